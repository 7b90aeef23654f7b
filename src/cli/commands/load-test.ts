// `slipway loadtest --env <env> [--scenario <name>]`: the system's load test
// scenarios against an environment (src/app/load-test.ts), as a table.
import { runLoadTests, type LoadTestRun } from "../../app/load-test.js";
import { describeVerdict } from "../../domain/load-test-verdict.js";
import { lineReporter } from "../app-events.js";
import { untilInterrupted } from "../interrupt.js";
import type { CommandContext } from "../main.js";
import { paint } from "../output.js";

export async function loadTestCommand(ctx: CommandContext, opts: { env: string; scenario?: string }): Promise<number> {
  const { output, globals } = ctx;
  return untilInterrupted(async (signal) => {
    const done = await runLoadTests(globals.config, opts.env, { ...(opts.scenario === undefined ? {} : { scenario: opts.scenario }), reporter: lineReporter(output, globals), signal });
    if (done === undefined) {
      output.err("interrupted: the scenario that was running was not recorded");
      return 130;
    }
    if (globals.json) output.out(JSON.stringify(done.runs));
    else {
      for (const line of summaryTable(done.runs)) output.out(line);
      for (const run of done.runs) {
        const failed = run.verdicts.filter((v) => !v.passed);
        const status = run.status === "passed" ? paint(output, "green", "passed") : paint(output, "red", `failed: ${failed.map(describeVerdict).join("; ")}`);
        output.out(`${run.scenario}: ${status}; report ${run.report}`);
      }
    }
    return done.runs.every((r) => r.status === "passed") ? 0 : 1;
  });
}

function summaryTable(runs: readonly LoadTestRun[]): string[] {
  const rows = [
    ["SCENARIO", "REQUESTS", "RPS", "P50 MS", "P95 MS", "P99 MS", "ERRORS", "VS LAST PASS", "RESULT"],
    ...runs.map((r) => {
      const m = r.measurement;
      const vsLast = r.baseline === undefined ? "-" : `p95 ${signed(((m.p95Ms - r.baseline.p95Ms) / (r.baseline.p95Ms || 1)) * 100)}%`;
      return [r.scenario, String(m.requests), m.rps.toFixed(0), m.p50Ms.toFixed(2), m.p95Ms.toFixed(2), m.p99Ms.toFixed(2), String(m.errors), vsLast, r.status];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ").trimEnd());
}

function signed(n: number): string {
  return `${n >= 0 ? "+" : ""}${n.toFixed(1)}`;
}
