// `slipway history`, `slipway promote` and `slipway rollback --to-lock`: thin
// faces over src/app (history.ts, promote.ts, rollback-to-lock.ts).
import { lockHistory } from "../../app/history.js";
import { promote } from "../../app/promote.js";
import { rollbackToLock } from "../../app/rollback-to-lock.js";
import { describeChange, type LockHistoryEntry } from "../../domain/lock-history.js";
import type { CommandContext } from "../main.js";
import { lineReporter } from "../app-events.js";
import { paint, type Output } from "../output.js";
import { formatTable } from "../table.js";

export async function historyCommand(ctx: CommandContext, opts: { env: string; limit?: string }): Promise<number> {
  const entries = await lockHistory(ctx.globals.config, opts.env, opts.limit === undefined ? 50 : Number(opts.limit));
  printHistory(ctx.output, ctx.globals.json, entries);
  return 0;
}

export function printHistory(output: Output, json: boolean, entries: readonly LockHistoryEntry[]): void {
  if (json) {
    output.out(JSON.stringify({ locks: entries }));
    return;
  }
  if (entries.length === 0) {
    output.out("no changes recorded yet");
    return;
  }
  const rows = entries.map((e) => [String(e.number), e.at.replace("T", " ").slice(0, 19), e.actor, e.action, e.result, e.changes.length === 0 ? "(none)" : e.changes.map(describeChange).join(", "), `${Object.keys(e.lock).length}`]);
  for (const line of formatTable([{ title: "LOCK", align: "right" }, { title: "WHEN (UTC)" }, { title: "WHO" }, { title: "ACTION" }, { title: "RESULT" }, { title: "CHANGED" }, { title: "SERVICES", align: "right" }], rows)) output.out(line);
}

export async function promoteCommand(ctx: CommandContext, opts: { from: string; to: string }): Promise<number> {
  const { output, globals } = ctx;
  const result = await promote(globals.config, opts, { reporter: lineReporter(output, globals) });
  if (globals.json) output.out(JSON.stringify(result));
  if (result.kind === "up-to-date") {
    if (!globals.json) output.out(`${opts.to} already runs what ${opts.from} runs; nothing to promote`);
    return 0;
  }
  if (result.kind === "promoted") {
    if (!globals.json) output.out(`${paint(output, "green", "promoted")} ${result.promoted.join(", ")} from ${opts.from} to ${opts.to}: lock ${result.entry.number} (\`slipway history --env ${opts.to}\`)`);
    return 0;
  }
  if (!globals.json) {
    const where = result.mismatches.length === 0 ? `${opts.to} is back on its previous lock (lock ${result.entry.number})` : `${opts.to} is NOT on its previous lock: ${result.mismatches.join("; ")}`;
    output.out(`${paint(output, "red", "rolled back")}: ${result.failed} failed (${result.reason}); ${result.rolledBack.length > 0 ? `rolled back ${result.rolledBack.join(", ")}; ` : ""}${where}`);
  }
  return 1;
}

export async function rollbackToLockCommand(ctx: CommandContext, opts: { env: string; lock: number }): Promise<number> {
  const { output, globals } = ctx;
  const result = await rollbackToLock(globals.config, opts.env, opts.lock, { reporter: lineReporter(output, globals) });
  if (globals.json) output.out(JSON.stringify(result));
  else if (result.kind === "already-there") output.out(`${opts.env} already runs the digests of lock ${result.lock}; nothing to roll back`);
  else if (result.kind === "rolled-back") output.out(`${paint(output, "green", "rolled back")} ${opts.env} to lock ${result.lock} (${result.changed.join(", ")}): recorded as lock ${result.entry.number}`);
  else output.out(`${paint(output, "red", "failed")}: ${result.failed ? `${result.failed}: ${result.reason}; ` : ""}${opts.env} differs from lock ${result.lock}: ${result.mismatches.join("; ")}`);
  return result.kind === "failed" ? 1 : 0;
}
