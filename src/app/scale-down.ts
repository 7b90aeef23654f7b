// Finishing the scale-downs that an environment's finished rollouts left
// behind — the previous revisions kept warm for scaleDownDelaySeconds so that
// a rollback is a weight flip — then stopping once none is left (`slipway
// scale-down --env E`). Commands that end a rollout start it detached when no
// environment controller runs (a controller does this itself). If it is
// killed, the next command that ends a rollout starts it again, and any later
// rollout of the service inherits the timers and scales the revisions down
// itself: the store holds them.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { LoadedSystem } from "../config/load-system.js";
import { acquireControllerLock, lockPath } from "../delivery/controller/controller-lock.js";
import { keepsRevisionsWarm, scaleDownPass } from "../delivery/controller/scale-down-finisher.js";
import { dnsLabelName } from "../domain/naming.js";
import { installPath } from "../install-paths.js";
import { spawnDetached } from "../platform/detached.js";
import { openEnvironment, otherEnvironmentController, scopeOf, withEnvironment, type EnvironmentSession } from "./environment.js";

/** The router or the engine away this many passes in a row (about a minute): stop; the store keeps what is left. */
const MAX_FAILED_PASSES = 12;
const RETRY_MS = 5_000;

function scaleDownLockPath(stateDir: string, environment: string): string {
  return join(stateDir, "run", "controllers", `${dnsLabelName(environment)}.scale-down.lock`);
}

export function scaleDownLogPath(stateDir: string, environment: string): string {
  return join(stateDir, "logs", `scale-down-${dnsLabelName(environment)}.log`);
}

/** Starts `slipway scale-down --env E` detached, its output appended to scaleDownLogPath; a second one exits at once (its lock). */
export function startScaleDownProcess(system: Pick<LoadedSystem, "file" | "stateDir">, environment: string): void {
  const cli = installPath("bin", "slipway.js");
  spawnDetached(process.execPath, [cli, "--config", system.file, "scale-down", "--env", environment], scaleDownLogPath(system.stateDir, environment));
}

export type ScaleDownEnd = "finished" | "already running" | "controller runs" | "gave up";

/** Runs passes over the environment's services until nothing is left to scale down (or a controller takes over). */
export async function finishScaleDowns(config: string, envName: string, log: (line: string) => void): Promise<ScaleDownEnd> {
  const session = await openEnvironment(config, envName);
  const lock = acquireControllerLock(scaleDownLockPath(session.system.stateDir, session.environment.name));
  if ("heldBy" in lock) {
    log(`the scale-down of ${envName} already runs in process ${lock.heldBy}`);
    session.close();
    return "already running";
  }
  let failures = 0;
  try {
    for (;;) {
      const controller = otherEnvironmentController(session);
      if (controller !== undefined) {
        log(`slipway controller (process ${controller}) finishes the scale-down of ${envName}`);
        return "controller runs";
      }
      const { nextAtMs, failed } = await passInFreshSession(config, envName, log);
      failures = failed ? failures + 1 : 0;
      if (failures >= MAX_FAILED_PASSES) {
        log(`giving up after ${failures} failed passes; the next command that ends a rollout in ${envName}, or slipway controller, resumes the scale-down from the store`);
        return "gave up";
      }
      if (nextAtMs === undefined) {
        log(`nothing left to scale down in ${envName}`);
        return "finished";
      }
      await sleep(Math.max(0, Math.min(nextAtMs - Date.now(), RETRY_MS)));
    }
  } finally {
    lock.release();
    await session.router.close();
    session.close();
  }
}

/**
 * A pass with the environment opened afresh: between passes another process
 * may move traffic (a `rollback` inside the delay), and a router keeps what it
 * read — the Gateway API router its route's split, so a revision rolled back
 * from still looked like it carried traffic and was never scaled down.
 */
async function passInFreshSession(config: string, envName: string, log: (line: string) => void): Promise<{ nextAtMs?: number; failed: boolean }> {
  try {
    return await withEnvironment(config, envName, async (session) => {
      try {
        return await passOverServices(session, log);
      } finally {
        await session.router.close();
      }
    });
  } catch (err) {
    log(`cannot open ${envName}: ${err instanceof Error ? err.message : String(err)}; trying again in ${RETRY_MS / 1000} s`);
    return { nextAtMs: Date.now() + RETRY_MS, failed: true };
  }
}

/** One pass over every service of the environment: the earliest moment to look again (undefined: nothing left), and whether a pass failed. */
async function passOverServices(session: EnvironmentSession, log: (line: string) => void): Promise<{ nextAtMs?: number; failed: boolean }> {
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
      log(`[${service}] scale-down failed: ${err instanceof Error ? err.message : String(err)}; trying again in ${RETRY_MS / 1000} s`);
      later(Date.now() + RETRY_MS);
      failed = true;
    }
  }
  return { ...(next === undefined ? {} : { nextAtMs: next }), failed };
}
