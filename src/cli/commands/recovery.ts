// `slipway snapshot` and `slipway restore`: faces over src/app/recovery.ts.
import { writeFileSync } from "node:fs";
import { withEnvironment } from "../../app/environment.js";
import { readLock, restore, takeSnapshot, type Snapshot } from "../../app/recovery.js";
import type { CommandContext } from "../main.js";
import { lineReporter } from "../app-events.js";
import { paint } from "../output.js";

export async function snapshotCommand(ctx: CommandContext, opts: { env: string; out?: string; allowPartial?: boolean }): Promise<number> {
  return withEnvironment(ctx.globals.config, opts.env, async (session) => writeSnapshot(ctx, await takeSnapshot(session, opts), opts));
}

/** Writes a snapshot (taken here or by a server) to stdout or `out`, and says what it holds and left out. */
export function writeSnapshot({ output, globals }: CommandContext, { lock, locked, omitted }: Snapshot, opts: { out?: string }): number {
  const text = `${JSON.stringify(lock, null, 2)}\n`;
  if (opts.out === undefined) {
    process.stdout.write(text);
  } else {
    writeFileSync(opts.out, text);
    if (globals.json) output.out(JSON.stringify({ file: opts.out, services: locked.map((s) => ({ service: s.service, image: s.image })), omitted }));
    else {
      output.out(`wrote ${opts.out}: ${locked.length} service(s) of ${lock.system} in ${lock.environment}`);
      for (const s of locked) output.out(`  ${s.service} ${s.version ?? "-"} ${s.image}`);
    }
  }
  for (const o of omitted) output.err(paint(output, "yellow", `left out ${o.service}: ${o.reason}`));
  return 0;
}

export async function restoreCommand(ctx: CommandContext, file: string, opts: { env: string }): Promise<number> {
  const { output, globals } = ctx;
  const lock = readLock(file);
  return withEnvironment(globals.config, opts.env, async (session) => {
    const target = session.environment.name;
    const result = await restore(session, lock, lineReporter(output, globals));
    const { restored, skipped } = result;
    if (result.kind === "failed") {
      output.err(paint(output, "red", `${result.failed} was not restored: ${result.reason}${result.cleaned > 0 ? `; removed its ${result.cleaned} instance(s)` : ""}`));
      output.err(`restored: ${restored.join(", ") || "none"}; skipped (already running): ${skipped.join(", ") || "none"}; not restored: ${[result.failed, ...result.notRestored].join(", ")}`);
      if (globals.json) output.out(JSON.stringify({ restored, skipped, failed: result.failed, reason: result.reason, notRestored: result.notRestored }));
      return 1;
    }
    if (globals.json) output.out(JSON.stringify({ restored, skipped, unanswered: result.unanswered }));
    for (const u of result.unanswered) output.err(paint(output, "red", `${u}`));
    if (result.unanswered.length > 0) return 1;
    if (restored.length === 0) output.out(`nothing to restore: every service of the lock already runs its digest in ${target}`);
    else output.out(`${paint(output, "green", "restored")} ${restored.join(", ")} in ${target}${skipped.length > 0 ? ` (already running: ${skipped.join(", ")})` : ""}; every endpoint answers`);
    return 0;
  });
}
