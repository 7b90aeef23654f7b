// `slipway deploy`, `slipway rollout …`, `slipway rollback` and `slipway
// status`: thin faces over src/app (deploy, rollout, status). The rollout
// runs in this process until done or paused; Ctrl-C stops following it and
// leaves the deployed system as it is.
import { deploy } from "../../app/deploy.js";
import { withEnvironment } from "../../app/environment.js";
import { rolloutAction, rolloutStatus, undo, type RolloutAction, type RolloutStatus } from "../../app/rollout.js";
import { type EnvironmentLag, STATUS_COLUMNS, statusReport, type ServiceStatusRow } from "../../app/status.js";
import type { CommandContext } from "../main.js";
import { endpointsText, lineReporter, reportDriveEnd } from "../app-events.js";
import { paint, type Output } from "../output.js";

export interface EnvOption {
  env: string;
}

export async function deployCommand(ctx: CommandContext, serviceName: string, opts: EnvOption & { version?: string; digest?: string }): Promise<number> {
  const { output, globals } = ctx;
  return withEnvironment(globals.config, opts.env, async (session) => {
    const result = await deploy(session, { service: serviceName, ...(opts.version === undefined ? {} : { version: opts.version }), ...(opts.digest === undefined ? {} : { digest: opts.digest }) }, { reporter: lineReporter(output, globals) });
    if (result.kind === "already-serves") {
      output.out(`${serviceName} in ${opts.env} already runs ${result.image}; nothing to roll out (${endpointsText(result.endpoints)})`);
      return 0;
    }
    return reportDriveEnd(output, globals.json, serviceName, opts.env, result);
  });
}

export async function rolloutCommand(ctx: CommandContext, action: RolloutAction, serviceName: string, opts: EnvOption & { full?: boolean; reason?: string }): Promise<number> {
  const { output, globals } = ctx;
  return withEnvironment(globals.config, opts.env, async (session) => {
    const result = await rolloutAction(session, action, serviceName, opts, { reporter: lineReporter(output, globals) });
    if (result.kind === "already-finished") {
      output.out(`rollout ${result.rollout.id} ended ${result.rollout.outcome ?? ""}`);
      return 0;
    }
    return reportDriveEnd(output, globals.json, serviceName, opts.env, result);
  });
}

export async function rolloutStatusCommand(ctx: CommandContext, serviceName: string, opts: EnvOption): Promise<number> {
  const { output, globals } = ctx;
  return withEnvironment(globals.config, opts.env, async (session) => {
    printRolloutStatus(output, globals.json, rolloutStatus(session, serviceName));
    return 0;
  });
}

/** `rollout status`, from this machine's store or from a server. */
export function printRolloutStatus(output: Output, json: boolean, { rollout, revisions, endpoints }: RolloutStatus): void {
  if (json) {
    output.out(JSON.stringify({ rollout }));
    return;
  }
  const s = rollout.state;
  output.out(`rollout ${rollout.id} (${s.strategy}) ${rollout.finished ? `finished: ${rollout.outcome ?? ""}` : "in progress"}`);
  output.out(`  phase ${s.phase}${s.userPaused ? " (paused by hand)" : ""}; stable ${s.stableRevision ?? "none"} → target ${s.targetRevision}; step ${s.stepIndex}`);
  output.out(`  ${endpointsText(endpoints)}`);
  if (s.pause) output.out(`  pause: ${s.pause.reason}`);
  for (const a of s.analyses) output.out(`  analysis ${a.key}: ${a.status}${a.message ? ` — ${a.message}` : ""}`);
  if (s.message) output.out(`  ${s.message}`);
  for (const r of revisions) output.out(`  revision ${r.number} ${r.name} ${r.version ?? ""} ${r.image}`);
}

/** `rollout undo [--to-revision N]` and `rollback` (lastGood). */
export async function undoCommand(ctx: CommandContext, serviceName: string, opts: EnvOption & { toRevision?: string; lastGood?: boolean }): Promise<number> {
  const { output, globals } = ctx;
  return withEnvironment(globals.config, opts.env, async (session) => {
    const result = await undo(session, serviceName, opts, { reporter: lineReporter(output, globals) });
    return reportDriveEnd(output, globals.json, serviceName, opts.env, result);
  });
}

export async function statusCommand(ctx: CommandContext, opts: { env?: string }): Promise<number> {
  printStatus(ctx.output, ctx.globals.json, await statusReport(ctx.globals.config, opts));
  return 0;
}

/** `status`, from this machine or from a server (an older server sends no promotion). */
export function printStatus(output: Output, json: boolean, report: { services: readonly ServiceStatusRow[]; promotion?: readonly EnvironmentLag[] }): void {
  if (json) {
    output.out(JSON.stringify(report));
    return;
  }
  const rows = report.services;
  const cell = (r: ServiceStatusRow, c: (typeof STATUS_COLUMNS)[number]): string => r[c] ?? "";
  const widths = STATUS_COLUMNS.map((c) => Math.max(c.length, ...rows.map((r) => cell(r, c).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  output.out(paint(output, "bold", line([...STATUS_COLUMNS])));
  for (const r of rows) output.out(line(STATUS_COLUMNS.map((c) => cell(r, c))));
  for (const lag of report.promotion ?? []) {
    output.out("");
    if (lag.behind.length === 0) {
      output.out(`${paint(output, "bold", `${lag.from} → ${lag.environment}`)}: up to date`);
      continue;
    }
    const what = lag.behind.map((b) => `${b.service} ${b.here} → ${b.from}`).join(", ");
    output.out(`${paint(output, "bold", `${lag.from} → ${lag.environment}`)}: ${lag.environment} lags ${lag.from}: ${what}`);
    if (lag.blocked.length === 0) output.out(`  ${paint(output, "green", "ready")}: ${lag.from}'s lock meets ${lag.environment}'s promotion rules`);
    for (const why of lag.blocked) output.out(`  ${paint(output, "yellow", "blocked")}: ${why}`);
  }
}
