// The two texts both human renderers print: the report of a failed stage,
// as it happens, and the summary at the end. Given a width (the live view),
// prose is wrapped and log excerpts are cut, but a line that carries a log
// path is never broken: a broken path cannot be opened or copied.
import { fitToWidth, sanitizeLogLine, wrapToWidth, type Paint } from "./ansi.js";
import { formatDuration } from "./format.js";
import { outcomeOrder, type RunProgress, type StageFailure } from "./run-progress.js";

const outcomeWords = { built: "built", "up-to-date": "up to date", failed: "failed", blocked: "blocked", cancelled: "cancelled" } as const;

export function failureReport(failure: StageFailure, paint: Paint, columns?: number): string[] {
  const detail = failure.detail === undefined ? "" : `: ${sanitizeLogLine(failure.detail)}`;
  const heading = `[${failure.service}] ${failure.stage} ${paint("red", "failed")} (${formatDuration(failure.durationMs)})${detail}`;
  const tail = failure.logTail.map((line) => cut(paint("dim", `    | ${sanitizeLogLine(line)}`), columns));
  return [...wrap(heading, columns), ...tail, `  log: ${failure.logFile}`];
}

export function runSummary(progress: RunProgress, paint: Paint, columns?: number): string[] {
  const finished = progress.finished;
  const verdict = finished === undefined ? "ended" : finished.outcome;
  const verdictColor = verdict === "passed" ? "green" : verdict === "failed" ? "red" : "yellow";
  const duration = finished === undefined ? "" : ` in ${formatDuration(finished.durationMs)}`;
  const counts = progress.countByOutcome();
  const tally = outcomeOrder.flatMap((outcome) => {
    const count = counts.get(outcome) ?? 0;
    return count === 0 ? [] : [`${count} ${outcomeWords[outcome]}`];
  });
  const runName = progress.runId === undefined ? "run" : `run ${progress.runId}`;
  const lines = wrap(`${runName} ${paint(verdictColor, verdict)}${duration}: ${tally.length === 0 ? "no services" : tally.join(", ")}`, columns);

  for (const service of progress.services.values()) {
    if (service.outcome === "failed") {
      const failures = progress.failures.filter((failure) => failure.service === service.name);
      for (const failure of failures) lines.push(`  ${paint("red", "failed")}: ${service.name} at ${failure.stage}, log: ${failure.logFile}`);
      const error = service.error === undefined ? "" : `: ${sanitizeLogLine(service.error)}`;
      if (failures.length === 0) lines.push(...wrap(`  ${paint("red", "failed")}: ${service.name}${error}`, columns));
    } else if (service.outcome === "blocked") {
      const cause = service.blockedBy === undefined ? "" : `, dependency ${service.blockedBy} failed`;
      lines.push(...wrap(`  ${paint("yellow", "blocked")}: ${service.name}${cause}`, columns));
    }
  }
  for (const warning of progress.warnings) lines.push(...wrap(`  ${paint("yellow", "warning")}: ${warning.service}: ${sanitizeLogLine(warning.message)}`, columns));
  return lines;
}

const wrap = (line: string, columns: number | undefined): string[] => (columns === undefined ? [line] : wrapToWidth(line, columns));
const cut = (line: string, columns: number | undefined): string => (columns === undefined ? line : fitToWidth(line, columns));
