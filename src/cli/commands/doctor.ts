import { checkHost } from "../../app/platform.js";
import { paint } from "../output.js";
import type { CommandContext } from "../main.js";

export async function doctorCommand({ output, globals }: CommandContext): Promise<number> {
  const results = await checkHost(globals.config);
  const failed = results.some((r) => r.level === "fail");
  if (globals.json) {
    output.out(JSON.stringify({ ok: !failed, checks: results }));
    return failed ? 1 : 0;
  }
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const mark = r.level === "ok" ? paint(output, "green", "✓") : r.level === "warn" ? paint(output, "yellow", "!") : paint(output, "red", "✗");
    output.out(`${mark} ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.fix !== undefined && r.level !== "ok") output.out(`  ${" ".repeat(width)}  fix: ${r.fix}`);
  }
  output.out(failed ? "doctor: some checks failed" : "doctor: all required checks passed");
  return failed ? 1 : 0;
}
