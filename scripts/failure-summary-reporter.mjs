// A node:test reporter that prints, after the run, each failed test with the
// tail of its error: CI logs keep only part of a long TAP stream, and the
// part that explains a failure is usually cut. Used beside the TAP reporter
// by scripts/test.sh; it prints nothing when every test passed.
const TAIL_LINES = 40;

function errorText(error) {
  const cause = error?.cause ?? error;
  if (cause?.failureType === "subtestsFailed" || error?.failureType === "subtestsFailed") return undefined;
  const text = String(cause?.stack ?? cause?.message ?? cause ?? "");
  // Frames inside node itself say nothing about the failure.
  const lines = text.split("\n").filter((l) => !/^\s+at .*\(?node:(internal|async_hooks)/.test(l));
  return (lines.length > TAIL_LINES ? ["[…]", ...lines.slice(-TAIL_LINES)] : lines).join("\n");
}

export default async function* failureSummary(source) {
  const failures = [];
  for await (const event of source) {
    if (event.type !== "test:fail") continue;
    const { name, file, line, details } = event.data;
    if (details?.error?.failureType === "subtestsFailed") continue;
    failures.push({ where: `${file ?? "?"}:${line ?? "?"}`, name, error: errorText(details?.error) ?? "(no error text)" });
  }
  if (failures.length === 0) return;
  yield `\n==== ${failures.length} failed test(s) or hook(s) ====\n`;
  for (const f of failures) yield `\n--- ${f.name}  (${f.where})\n${f.error}\n`;
}
