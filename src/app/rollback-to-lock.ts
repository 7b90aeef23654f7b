// `slipway rollback --env prod --to-lock N`: the whole system back to an
// earlier lock from the environment's history, through the rollout
// controller, dependencies first. Each service whose digest differs from lock
// N goes back to that entry's revision (a weight flip while the revision is
// still warm), or is rolled out again from the entry's image and template; a
// service lock N did not have is undeployed (dependents first, before the
// rest). Stops at the first service that does not come back, and says so;
// the history gets one entry for the group.
import { randomBytes } from "node:crypto";
import { SlipwayError } from "../domain/errors.js";
import { digestMismatches, digestOf, lockDigests, type LockHistoryEntry } from "../domain/lock-history.js";
import { currentIdentity, type Identity } from "../release/identity.js";
import { SqliteLockHistoryStore } from "../store/sqlite/lock-history-store.js";
import { openEnvironment, type EnvironmentSession } from "./environment.js";
import type { Reporter } from "./events.js";
import { acquireGroupLock } from "./group-lock.js";
import { returnToEntry, undeployByHand, type GroupOptions } from "./group-rollout.js";
import { findEntry } from "./history.js";

export type RollbackToLockResult =
  | { kind: "already-there"; lock: number }
  | { kind: "rolled-back"; lock: number; changed: string[]; entry: LockHistoryEntry }
  | { kind: "failed"; lock: number; changed: string[]; failed: string; reason: string; mismatches: string[]; entry: LockHistoryEntry };

export interface RollbackToLockOptions extends Pick<GroupOptions, "ownController"> {
  reporter: Reporter;
  identity?: Identity;
  signal?: AbortSignal;
}

export async function rollbackToLock(config: string, envName: string, number: number, options: RollbackToLockOptions): Promise<RollbackToLockResult> {
  const session = await openEnvironment(config, envName);
  const identity = options.identity ?? currentIdentity();
  try {
    const lock = acquireGroupLock(session.system.stateDir, session.environment.name, { actor: identity.name, what: `a rollback to lock ${number}` });
    try {
      return await rollBack(session, number, { reporter: options.reporter, identity, actor: identity.name, groupId: `lock-${number}-${randomBytes(3).toString("hex")}`, ...(options.signal === undefined ? {} : { signal: options.signal }), ...(options.ownController === undefined ? {} : { ownController: options.ownController }) });
    } finally {
      lock.release();
    }
  } finally {
    session.close();
  }
}

async function rollBack(session: EnvironmentSession, number: number, group: GroupOptions): Promise<RollbackToLockResult> {
  const system = session.system.config.system;
  const env = session.environment.name;
  const history = new SqliteLockHistoryStore(session.store.db);
  const wanted = findEntry(history, system, env, number);
  const inFlight = session.rollouts.unfinishedRollouts(system, env);
  if (inFlight.length > 0) {
    throw new SlipwayError("ROLLOUT_IN_PROGRESS", `${env} has ${inFlight.length === 1 ? "a rollout" : "rollouts"} in progress: ${inFlight.map((r) => `${r.state.service} (${r.id})`).join(", ")}; nothing was rolled back`, {
      hint: `let ${inFlight.length === 1 ? "it" : "them"} finish or abort (\`slipway rollout abort <service> --env ${env}\`), then roll back again`,
    });
  }
  const configured = session.system.services.map((s) => s.config.name);
  const unknown = Object.keys(wanted.lock).filter((s) => !configured.includes(s));
  if (unknown.length > 0) {
    throw new SlipwayError("USAGE", `lock ${number} of ${env} has ${unknown.join(", ")}, which the configuration no longer has; nothing was rolled back`, { hint: "roll back with the configuration the lock was recorded with" });
  }
  const before = lockDigests(history.currentLock(system, env));
  const target = lockDigests(wanted.lock);
  const order = session.system.graph.topologicalOrder();
  // Services lock N did not have leave first (dependents first), then the rest come back dependencies first.
  const leaving = [...order].reverse().filter((s) => before[s] !== undefined && target[s] === undefined);
  const returning = order.filter((s) => target[s] !== undefined && target[s] !== before[s]);
  if (leaving.length > 0 && group.ownController !== undefined) {
    throw new SlipwayError("USAGE", `lock ${number} of ${env} does not have ${leaving.join(", ")}, which would be undeployed, and undeploying does not go through the server's controller; nothing was rolled back`, {
      hint: `${undeployByHand(session, leaving.join(" "))}, then roll back to lock ${number}`,
    });
  }
  const changing = [...leaving, ...returning];
  if (changing.length === 0) return { kind: "already-there", lock: number };
  group.reporter.emit({ type: "group.started", groupId: group.groupId, environment: env, action: "rollback-to-lock", services: changing, detail: `to lock ${number}` });
  const changed: string[] = [];
  let failure: { service: string; reason: string } | undefined;
  for (const service of changing) {
    const entry = wanted.lock[service];
    group.reporter.emit({ type: "group.step", groupId: group.groupId, environment: env, service, message: entry === undefined ? "leaves (not in the lock)" : `→ ${entry.version ?? digestOf(entry.image).slice(0, 19)}` });
    const back = await returnToEntry(session, service, entry, group).catch((err: unknown) => ({ ok: false, how: err instanceof Error ? err.message : String(err) }));
    if (!back.ok) {
      failure = { service, reason: back.how };
      break;
    }
    changed.push(service);
  }
  const mismatches = digestMismatches(wanted.lock, history.currentLock(system, env));
  const ok = failure === undefined && mismatches.length === 0;
  const detail = ok ? `rolled back to lock ${number} (${group.groupId}): ${changed.join(", ")}` : `rollback to lock ${number} (${group.groupId}) stopped${failure === undefined ? "" : ` at ${failure.service}: ${failure.reason}`}; not as in lock ${number}: ${mismatches.join("; ")}`;
  const entry = history.append({ system, environment: env, actor: group.identity.name, action: "rollback-to-lock", result: ok ? "healthy" : "failed", detail, groupId: group.groupId });
  group.reporter.emit({ type: "group.finished", groupId: group.groupId, environment: env, result: ok ? "rolled back" : "failed", detail, lockNumber: entry.number });
  if (ok) return { kind: "rolled-back", lock: number, changed, entry };
  return { kind: "failed", lock: number, changed, failed: failure?.service ?? "", reason: failure?.reason ?? "the digests differ", mismatches, entry };
}
