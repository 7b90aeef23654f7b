// One group change (a promotion, a rollback to a lock) per environment at a
// time: a lock file beside the controllers' (pid and start time, so a holder
// killed with -9 is taken over), with a note saying who holds it for what, so
// a second one is refused naming the holder. Per-service deploys do not take
// it: a service of the group is protected by its own rollout being in flight.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { acquireControllerLock } from "../delivery/controller/controller-lock.js";
import { dnsLabelName } from "../domain/naming.js";
import { SlipwayError } from "../domain/errors.js";

export interface GroupLock {
  release(): void;
}

interface HolderNote {
  actor: string;
  what: string;
  startedAt: string;
}

function groupLockPath(stateDir: string, environment: string): string {
  return join(stateDir, "run", "controllers", `${dnsLabelName(environment)}.group.lock`);
}

/**
 * The group locks this process holds: the lock file names a process, and a
 * file of this very process reads as left behind (a pid reused), so `slipway
 * serve` running two group changes at once would take it twice without this.
 */
const heldHere = new Set<string>();

/** Takes the environment's group lock for `what` ("promotion staging → prod"), or refuses naming who holds it. */
export function acquireGroupLock(stateDir: string, environment: string, holder: { actor: string; what: string }): GroupLock {
  const path = groupLockPath(stateDir, environment);
  const lock = heldHere.has(path) ? { heldBy: process.pid } : acquireControllerLock(path);
  if ("heldBy" in lock) {
    const note = readNote(`${path}.json`);
    const who = note === undefined ? `process ${lock.heldBy}` : `${note.what} by ${note.actor} (process ${lock.heldBy}, since ${note.startedAt})`;
    throw new SlipwayError("ROLLOUT_IN_PROGRESS", `${environment} is already being changed as a group: ${who}; nothing was changed`, {
      hint: `wait for it to finish (\`slipway history --env ${environment}\` records its end), then try again`,
    });
  }
  const note: HolderNote = { ...holder, startedAt: new Date().toISOString() };
  writeFileSync(`${path}.json`, JSON.stringify(note));
  heldHere.add(path);
  return {
    release: () => {
      heldHere.delete(path);
      rmSync(`${path}.json`, { force: true });
      lock.release();
    },
  };
}

function readNote(path: string): HolderNote | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as HolderNote;
  } catch {
    return undefined;
  }
}
