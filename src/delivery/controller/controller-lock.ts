// One controller plans a given rollout at a time (../types.ts). The lock is a
// file naming the holder's pid and start time; a holder that died (kill -9)
// leaves a file whose process is gone — even if its pid was reused since —
// which the next controller takes over. After those, optionally, what holds
// it ("slipway serve") and "stopping" once the holder shuts down, so a
// command refused by it can say who and why, or wait for it to let go:
// `pid:ticks[:holder[:stopping]]` (older readers read the first two fields).
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { dnsLabelName } from "../../domain/naming.js";
import { ownProcessIdentity, processStillRuns } from "../../platform/process-identity.js";

export interface ControllerLock {
  release(): void;
  /** Says in the lock that the holder is shutting down: it lets go once it has saved where its work is. */
  markStopping(): void;
}

export interface LockHolder {
  pid: number;
  /** What holds it, e.g. "slipway serve"; absent when the holder did not say. */
  holder?: string;
  /** The holder is shutting down and releases the lock once it has saved. */
  stopping: boolean;
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
  return lockHolderOf(path)?.pid;
}

/** The live process holding the lock at `path`, with what it is and whether it is stopping; never takes it. */
export function lockHolderOf(path: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
  if (!processStillRuns(text)) return undefined;
  const [pid, , holder, state] = text.split(":");
  return { pid: Number(pid), ...(holder === undefined || holder === "" ? {} : { holder }), stopping: state === "stopping" };
}

/** The lock, or the pid holding it; `holder` says what takes it (e.g. "slipway serve"), for the messages of those it refuses. */
export function acquireControllerLock(path: string, holder?: string): ControllerLock | { heldBy: number } {
  mkdirSync(dirname(path), { recursive: true });
  const identity = ownProcessIdentity();
  const what = holder === undefined ? "" : `:${holder.replaceAll(":", " ")}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, identity + what);
      closeSync(fd);
      let released = false;
      return {
        release: () => {
          released = true;
          rmSync(path, { force: true });
        },
        // Whole or not at all (a rename): a reader never sees a half-written file, which would read as a dead holder.
        // Only a hint to others: a failure leaves the lock as it was.
        markStopping: () => {
          if (released) return;
          const temporary = `${path}.${process.pid}.tmp`;
          try {
            writeFileSync(temporary, `${identity}${what === "" ? ":" : what}:stopping`);
            renameSync(temporary, path);
          } catch {
            rmSync(temporary, { force: true });
          }
        },
      };
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
      const existing = readFileSync(path, "utf8").trim();
      const pid = Number(existing.split(":")[0]);
      if (pid !== process.pid && processStillRuns(existing)) return { heldBy: pid };
      rmSync(path, { force: true });
    }
  }
  return { heldBy: 0 };
}
