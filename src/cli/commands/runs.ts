import { getRun, listRuns } from "../../app/pipeline.js";
import type { RunRecord } from "../../store/types.js";
import type { CommandContext } from "../main.js";
import type { Output } from "../output.js";
import { formatTable } from "../table.js";

export async function runsListCommand({ output, globals }: CommandContext, opts: { limit: string }): Promise<number> {
  printRuns(output, globals.json, await listRuns(globals.config, Number(opts.limit) || 20));
  return 0;
}

/** `runs`, from this machine or from a server. */
export function printRuns(output: Output, json: boolean, runs: readonly RunRecord[]): void {
  if (json) {
    output.out(JSON.stringify({ runs }));
    return;
  }
  if (runs.length === 0) {
    output.out("no pipeline runs yet; `slipway ci` starts one");
    return;
  }
  const columns = [{ title: "RUN" }, { title: "STARTED" }, { title: "COMMIT" }, { title: "STATUS" }, { title: "DURATION", align: "right" as const }, { title: "SERVICES" }];
  const rows = runs.map((run) => [run.id, run.startedAt.slice(0, 19).replace("T", " "), (run.commit ?? "-").slice(0, 7), run.status, seconds(run.durationMs), countOutcomes(run)]);
  for (const line of formatTable(columns, rows)) output.out(line);
}

export async function runsShowCommand({ output, globals }: CommandContext, id: string): Promise<number> {
  printRun(output, globals.json, await getRun(globals.config, id));
  return 0;
}

/** `runs show`, from this machine or from a server. */
export function printRun(output: Output, json: boolean, run: RunRecord): void {
  if (json) {
    output.out(JSON.stringify({ run }));
    return;
  }
  output.out(`run ${run.id}: ${run.status}, started ${run.startedAt}, commit ${run.commit ?? "-"}, ${seconds(run.durationMs)}`);
  for (const s of run.services) {
    output.out(`\n${s.service}: ${s.outcome}  hash ${s.contentHash.slice(0, 12)}  ${seconds(s.durationMs)}`);
    if (s.digest !== undefined) output.out(`  digest ${s.digest}`);
    for (const ref of s.references) output.out(`  ${ref}`);
    for (const st of s.stages) output.out(`  ${st.stage.padEnd(15)} ${st.status.padEnd(9)} ${seconds(st.durationMs).padStart(7)}  ${st.detail ?? st.logFile}`);
    if (s.error !== undefined) output.out(`  error: ${s.error}`);
  }
}

function countOutcomes(run: RunRecord): string {
  const counts = new Map<string, number>();
  for (const s of run.services) counts.set(s.outcome, (counts.get(s.outcome) ?? 0) + 1);
  return [...counts].map(([k, v]) => `${v} ${k}`).join(", ");
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? "-" : `${(ms / 1000).toFixed(1)}s`;
}
