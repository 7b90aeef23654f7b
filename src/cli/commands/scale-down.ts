// `slipway scale-down --env E`: finishes the scale-downs that the
// environment's finished rollouts left behind — the previous revisions kept
// warm for scaleDownDelaySeconds so that a rollback is a weight flip — and
// exits once none is left. `deploy`, `rollback` and `rollout …` start it
// detached when a rollout ends with a revision kept warm and no `slipway
// controller` runs (a controller does this itself). If it is killed, the next
// such command starts it again, and any later rollout of the service inherits
// the timers and scales the revisions down itself: the store holds them.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { acquireControllerLock, lockPath } from "../../delivery/controller/controller-lock.js";
import { keepsRevisionsWarm, scaleDownPass } from "../../delivery/controller/scale-down-finisher.js";
import { dnsLabelName } from "../../domain/naming.js";
import { spawnDetached } from "../../platform/detached.js";
import type { CommandContext } from "../main.js";
import { openEnvironment, otherEnvironmentController, scopeOf } from "./deploy.js";

type Session = Awaited<ReturnType<typeof openEnvironment>>;

/** The router or the engine away this many passes in a row (about a minute): stop; the store keeps what is left. */
const MAX_FAILED_PASSES = 12;

function finisherLockPath(stateDir: string, environment: string): string {
  return join(stateDir, "run", "controllers", `${dnsLabelName(environment)}.scale-down.lock`);
}

export function finisherLogPath(stateDir: string, environment: string): string {
  return join(stateDir, "logs", `scale-down-${dnsLabelName(environment)}.log`);
}

/** Starts `slipway scale-down --env E` detached; a second one exits at once (its lock), so starting it again is harmless. */
export function startScaleDownFinisher(config: string, stateDir: string, environment: string): number | undefined {
  const cli = fileURLToPath(new URL("../../../../bin/slipway.js", import.meta.url));
  return spawnDetached(process.execPath, [cli, "--config", config, "scale-down", "--env", environment], finisherLogPath(stateDir, environment));
}

export async function scaleDownCommand(ctx: CommandContext, opts: { env: string }): Promise<number> {
  const session = await openEnvironment(ctx.globals.config, opts.env);
  const lock = acquireControllerLock(finisherLockPath(session.system.stateDir, session.environment.name));
  const log = (line: string): void => ctx.output.out(`${new Date().toISOString()} ${line}`);
  if ("heldBy" in lock) {
    log(`the scale-down of ${opts.env} already runs in process ${lock.heldBy}`);
    session.close();
    return 0;
  }
  let failures = 0;
  try {
    for (;;) {
      const controller = otherEnvironmentController(session);
      if (controller !== undefined) {
        log(`slipway controller (process ${controller}) finishes the scale-down of ${opts.env}`);
        return 0;
      }
      const { nextAtMs, failed } = await passOverServices(session, log);
      failures = failed ? failures + 1 : 0;
      if (failures >= MAX_FAILED_PASSES) {
        log(`giving up after ${failures} failed passes; the next deploy, rollback or slipway controller of ${opts.env} resumes the scale-down from the store`);
        return 1;
      }
      if (nextAtMs === undefined) {
        log(`nothing left to scale down in ${opts.env}`);
        return 0;
      }
      await sleep(Math.max(0, Math.min(nextAtMs - Date.now(), 5_000)));
    }
  } finally {
    lock.release();
    await session.router.close();
    session.close();
  }
}

/** One pass over every service of the environment; the earliest moment to look again, or undefined when nothing is left. */
async function passOverServices(session: Session, log: (line: string) => void): Promise<{ nextAtMs?: number; failed: boolean }> {
  const services = [...new Set(session.rollouts.listEnvironmentRevisions(session.system.config.system, session.environment.name).map((r) => r.service))];
  let next: number | undefined;
  let failed = false;
  const later = (atMs: number): void => void (next = Math.min(next ?? atMs, atMs));
  for (const service of services) {
    const scope = scopeOf(session, service);
    if (!keepsRevisionsWarm(session.rollouts, scope)) continue;
    try {
      const pass = await scaleDownPass({ scope, runtime: session.runtime, router: session.router, store: session.rollouts, lockPath: lockPath(session.system.stateDir, session.environment.name, service), log: (line) => log(`[${service}] ${line}`) });
      if (pass.kind === "skipped" && pass.retryAtMs !== undefined) later(pass.retryAtMs);
      if (pass.kind === "done" && pass.nextAtMs !== undefined) later(pass.nextAtMs);
    } catch (err) {
      log(`[${service}] scale-down failed: ${err instanceof Error ? err.message : String(err)}; trying again in 5 s`);
      later(Date.now() + 5_000);
      failed = true;
    }
  }
  return { ...(next === undefined ? {} : { nextAtMs: next }), failed };
}
