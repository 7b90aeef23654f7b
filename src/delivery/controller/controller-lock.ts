// One controller plans a given rollout at a time (../types.ts). The lock is a
// file naming the holder's pid and start time; a holder that died (kill -9)
// leaves a file whose process is gone — even if its pid was reused since —
// which the next controller takes over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { dnsLabelName } from "../../domain/naming.js";
import { ownProcessIdentity, processStillRuns } from "../../platform/process-identity.js";

export interface ControllerLock {
  release(): void;
}

export function lockPath(stateDir: string, environment: string, service: string): string {
  return join(stateDir, "run", "controllers", `${dnsLabelName(environment, service)}.lock`);
}

/**
 * The lock of `slipway controller --env`: while its holder lives, that
 * process is the environment's only controller and router writer, and every
 * other slipway command follows rollouts through the store.
 */
export function environmentLockPath(stateDir: string, environment: string): string {
  return join(stateDir, "run", "controllers", `${dnsLabelName(environment)}.environment.lock`);
}

/** The pid of the live process holding the lock at `path`, if any; never takes it. */
export function lockHolder(path: string): number | undefined {
  let identity: string;
  try {
    identity = readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
  const holder = Number(identity.split(":")[0]);
  return processStillRuns(identity) ? holder : undefined;
}

/** The lock, or the pid holding it. */
export function acquireControllerLock(path: string): ControllerLock | { heldBy: number } {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, ownProcessIdentity());
      closeSync(fd);
      return { release: () => rmSync(path, { force: true }) };
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
      const identity = readFileSync(path, "utf8").trim();
      const holder = Number(identity.split(":")[0]);
      if (holder !== process.pid && processStillRuns(identity)) return { heldBy: holder };
      rmSync(path, { force: true });
    }
  }
  return { heldBy: 0 };
}
