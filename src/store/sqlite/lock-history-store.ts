// Each environment's lock history in SQLite (domain/lock-history.ts), and who
// started each rollout. The rollout store appends an entry when a rollout
// finishes (in the same transaction), unless the rollout belongs to a group —
// a promotion or a rollback to a lock — whose use case appends one entry for
// the whole group when it is done.
import type Database from "better-sqlite3";
import { servingRevision } from "../../delivery/controller/begin-rollout.js";
import type { RolloutOrigin, RolloutRecord } from "../../delivery/controller/store-port.js";
import type { CompletionOutcome, RolloutState } from "../../delivery/types.js";
import { lockChanges, type EnvironmentLock, type LockAction, type LockChange, type LockEntry, type LockHistoryEntry, type LockResult } from "../../domain/lock-history.js";

interface HistoryRow {
  system: string;
  environment: string;
  number: number;
  at: string;
  actor: string;
  action: string;
  result: string;
  detail: string;
  changes: string;
  lock: string;
  group_id: string | null;
}

export interface NewLockEntry {
  system: string;
  environment: string;
  actor: string;
  action: LockAction;
  result: LockResult;
  detail: string;
  groupId?: string;
  /** Default: what differs from the previous entry's lock. */
  changes?: LockChange[];
}

export class SqliteLockHistoryStore {
  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  saveOrigin(rolloutId: string, origin: RolloutOrigin): void {
    this.db
      .prepare("INSERT INTO rollout_origins (rollout_id, actor, action, group_id) VALUES (?, ?, ?, ?) ON CONFLICT (rollout_id) DO UPDATE SET actor = excluded.actor, action = excluded.action, group_id = excluded.group_id")
      .run(rolloutId, origin.actor, origin.action, origin.groupId ?? null);
  }

  origin(rolloutId: string): RolloutOrigin | undefined {
    const row = this.db.prepare("SELECT actor, action, group_id FROM rollout_origins WHERE rollout_id = ?").get(rolloutId) as { actor: string; action: string; group_id: string | null } | undefined;
    return row === undefined ? undefined : { actor: row.actor, action: row.action as LockAction, ...(row.group_id === null ? {} : { groupId: row.group_id }) };
  }

  /**
   * What the environment serves according to the store: per service, the
   * revision its newest rollout leaves serving (for one in flight, the stable
   * revision it started from).
   */
  currentLock(system: string, environment: string): EnvironmentLock {
    const rows = this.db
      .prepare(
        `SELECT r.state, r.finished, r.outcome FROM rollouts r
         WHERE r.system = ? AND r.environment = ? AND r.rowid = (
           SELECT r2.rowid FROM rollouts r2 WHERE r2.system = r.system AND r2.environment = r.environment AND r2.service = r.service ORDER BY r2.created_at DESC, r2.rowid DESC LIMIT 1)`,
      )
      .all(system, environment) as { state: string; finished: number; outcome: string | null }[];
    const lock: Record<string, LockEntry> = {};
    for (const row of rows) {
      const state = JSON.parse(row.state) as RolloutState;
      const serving = row.finished === 1 ? servingRevision({ state, outcome: (row.outcome ?? undefined) as CompletionOutcome | undefined } as RolloutRecord) : state.undeployedAtMs === undefined ? state.stableRevision : undefined;
      if (serving === undefined) continue;
      const revision = this.db.prepare("SELECT image, version, template FROM revisions WHERE system = ? AND environment = ? AND service = ? AND name = ?").get(system, environment, state.service, serving) as
        | { image: string; version: string | null; template: string }
        | undefined;
      if (revision === undefined) continue;
      lock[state.service] = { image: revision.image, ...(revision.version === null ? {} : { version: revision.version }), revision: serving, replicas: state.desiredReplicas, template: JSON.parse(revision.template) as LockEntry["template"] };
    }
    return Object.fromEntries(Object.entries(lock).sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Appends the environment's current lock as the next entry. */
  append(entry: NewLockEntry): LockHistoryEntry {
    const lock = this.currentLock(entry.system, entry.environment);
    const previous = this.latest(entry.system, entry.environment);
    const changes = entry.changes ?? lockChanges(previous?.lock ?? {}, lock);
    const at = this.clock().toISOString();
    // One statement: the number is taken and written atomically, also with other writers.
    const result = this.db
      .prepare(
        `INSERT INTO lock_history (system, environment, number, at, actor, action, result, detail, changes, lock, group_id)
         SELECT ?, ?, COALESCE(MAX(number), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? FROM lock_history WHERE system = ? AND environment = ?
         RETURNING number`,
      )
      .get(entry.system, entry.environment, at, entry.actor, entry.action, entry.result, entry.detail, JSON.stringify(changes), JSON.stringify(lock), entry.groupId ?? null, entry.system, entry.environment) as { number: number };
    return { system: entry.system, environment: entry.environment, number: result.number, at, actor: entry.actor, action: entry.action, result: entry.result, detail: entry.detail, changes, lock };
  }

  /** Newest first. */
  list(system: string, environment: string, limit: number): LockHistoryEntry[] {
    const rows = this.db.prepare("SELECT * FROM lock_history WHERE system = ? AND environment = ? ORDER BY number DESC LIMIT ?").all(system, environment, limit) as HistoryRow[];
    return rows.map(fromRow);
  }

  get(system: string, environment: string, number: number): LockHistoryEntry | undefined {
    const row = this.db.prepare("SELECT * FROM lock_history WHERE system = ? AND environment = ? AND number = ?").get(system, environment, number) as HistoryRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  latest(system: string, environment: string): LockHistoryEntry | undefined {
    const row = this.db.prepare("SELECT * FROM lock_history WHERE system = ? AND environment = ? ORDER BY number DESC LIMIT 1").get(system, environment) as HistoryRow | undefined;
    return row === undefined ? undefined : fromRow(row);
  }

  /** The entry for a finished rollout that belongs to no group; called by the rollout store inside its transaction. */
  recordFinished(rollout: RolloutRecord, outcome: CompletionOutcome): void {
    const origin = this.origin(rollout.id);
    if (origin?.groupId !== undefined) return;
    const s = rollout.state;
    const why = s.abortReason ?? (outcome === "healthy" ? undefined : s.message);
    this.append({
      system: rollout.system,
      environment: s.environment,
      actor: origin?.actor ?? "unknown",
      action: origin?.action ?? (s.undeployedAtMs !== undefined ? "undeploy" : "deploy"),
      result: outcome === "healthy" || outcome === "aborted" || outcome === "degraded" ? outcome : "failed",
      detail: `rollout ${rollout.id} of ${s.service} (${s.targetRevision}) ended ${outcome}${why === undefined ? "" : `: ${why}`}`,
    });
  }
}

function fromRow(row: HistoryRow): LockHistoryEntry {
  return {
    system: row.system,
    environment: row.environment,
    number: row.number,
    at: row.at,
    actor: row.actor,
    action: row.action as LockAction,
    result: row.result as LockResult,
    detail: row.detail,
    changes: JSON.parse(row.changes) as LockChange[],
    lock: JSON.parse(row.lock) as EnvironmentLock,
  };
}
