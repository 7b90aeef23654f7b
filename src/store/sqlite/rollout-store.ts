// Revisions, rollouts, their command queue and analysis measurements in
// SQLite. A partial unique index keeps one unfinished rollout per service
// and environment; the controller's "persist state and consume the command"
// is one transaction here.
import type Database from "better-sqlite3";
import type { Strategy } from "../../domain/config-schema.js";
import { SlipwayError } from "../../domain/errors.js";
import type { Measurement } from "../../delivery/analysis/metric-provider.js";
import type { AbortedImage, CountersMark, QueuedCommand, RevisionRecord, RolloutOrigin, RolloutRecord, RolloutStore, ServiceScope } from "../../delivery/controller/store-port.js";
import type { Command, CompletionOutcome, RolloutState } from "../../delivery/types.js";
import { SqliteLockHistoryStore } from "./lock-history-store.js";

interface RevisionRow {
  system: string;
  environment: string;
  service: string;
  name: string;
  number: number;
  image: string;
  version: string | null;
  template: string;
  created_at: string;
}

interface AbortedImageRow {
  system: string;
  environment: string;
  service: string;
  digest: string;
  version: string | null;
  rollout_id: string;
  reason: string | null;
  aborted_at: string;
}

interface RolloutRow {
  id: string;
  system: string;
  state: string;
  strategy: string;
  finished: number;
  outcome: string | null;
  created_at: string;
  updated_at: string;
}

export class SqliteRolloutStore implements RolloutStore {
  private readonly history: SqliteLockHistoryStore;

  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.history = new SqliteLockHistoryStore(db, clock);
  }

  listRevisions(scope: ServiceScope): RevisionRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM revisions WHERE system = ? AND environment = ? AND service = ? ORDER BY number")
      .all(scope.system, scope.environment, scope.service) as RevisionRow[];
    return rows.map(toRevision);
  }

  listEnvironmentRevisions(system: string, environment: string): RevisionRecord[] {
    const rows = this.db.prepare("SELECT * FROM revisions WHERE system = ? AND environment = ? ORDER BY service, number").all(system, environment) as RevisionRow[];
    return rows.map(toRevision);
  }

  saveRevision(r: RevisionRecord): void {
    this.db
      .prepare(
        `INSERT INTO revisions (system, environment, service, name, number, image, version, template, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (system, environment, service, name) DO UPDATE SET number = excluded.number, version = excluded.version`,
      )
      .run(r.system, r.environment, r.service, r.name, r.number, r.image, r.version ?? null, JSON.stringify(r.template), r.createdAt);
  }

  deleteRevisions(scope: ServiceScope, names: readonly string[]): void {
    const del = this.db.prepare("DELETE FROM revisions WHERE system = ? AND environment = ? AND service = ? AND name = ?");
    this.db.transaction(() => names.forEach((n) => del.run(scope.system, scope.environment, scope.service, n)))();
  }

  createRollout(r: { id: string; system: string; state: RolloutState; strategy: Strategy; origin?: RolloutOrigin }, finishPrevious?: string): void {
    const now = this.clock().toISOString();
    try {
      this.db.transaction(() => {
        if (finishPrevious !== undefined) this.db.prepare("UPDATE rollouts SET finished = 1, updated_at = ? WHERE id = ?").run(now, finishPrevious);
        this.db
          .prepare("INSERT INTO rollouts (id, system, environment, service, state, strategy, finished, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)")
          .run(r.id, r.system, r.state.environment, r.state.service, JSON.stringify(r.state), JSON.stringify(r.strategy), now, now);
        if (r.origin !== undefined) this.history.saveOrigin(r.id, r.origin);
      })();
    } catch (err) {
      if (isUniqueViolation(err)) throw this.inFlightError({ system: r.system, environment: r.state.environment, service: r.state.service }, err);
      throw err;
    }
  }

  getRollout(id: string): RolloutRecord | undefined {
    const row = this.db.prepare("SELECT * FROM rollouts WHERE id = ?").get(id) as RolloutRow | undefined;
    return row === undefined ? undefined : toRollout(row);
  }

  latestRollout(scope: ServiceScope): RolloutRecord | undefined {
    const row = this.db
      .prepare("SELECT * FROM rollouts WHERE system = ? AND environment = ? AND service = ? ORDER BY created_at DESC, rowid DESC LIMIT 1")
      .get(scope.system, scope.environment, scope.service) as RolloutRow | undefined;
    return row === undefined ? undefined : toRollout(row);
  }

  unfinishedRollouts(system: string, environment?: string): RolloutRecord[] {
    const rows = (
      environment === undefined
        ? this.db.prepare("SELECT * FROM rollouts WHERE system = ? AND finished = 0 ORDER BY created_at").all(system)
        : this.db.prepare("SELECT * FROM rollouts WHERE system = ? AND environment = ? AND finished = 0 ORDER BY created_at").all(system, environment)
    ) as RolloutRow[];
    return rows.map(toRollout);
  }

  listRollouts(scope: ServiceScope, limit: number): RolloutRecord[] {
    const rows = this.db
      .prepare("SELECT * FROM rollouts WHERE system = ? AND environment = ? AND service = ? ORDER BY created_at DESC, rowid DESC LIMIT ?")
      .all(scope.system, scope.environment, scope.service, limit) as RolloutRow[];
    return rows.map(toRollout);
  }

  saveState(id: string, state: RolloutState, consumedCommand?: number): void {
    const now = this.clock().toISOString();
    this.db.transaction(() => {
      this.db.prepare("UPDATE rollouts SET state = ?, updated_at = ? WHERE id = ?").run(JSON.stringify(state), now, id);
      if (consumedCommand !== undefined) this.db.prepare("UPDATE rollout_commands SET consumed_at = ? WHERE id = ?").run(now, consumedCommand);
    })();
  }

  finishRollout(id: string, outcome: CompletionOutcome): void {
    const now = this.clock().toISOString();
    this.db.transaction(() => {
      this.db.prepare("UPDATE rollouts SET finished = 1, outcome = ?, updated_at = ? WHERE id = ?").run(outcome, now, id);
      const rollout = this.getRollout(id);
      if (rollout !== undefined) this.history.recordFinished(rollout, outcome);
      if (rollout === undefined || (outcome !== "aborted" && outcome !== "healthy")) return;
      const scope = { system: rollout.system, environment: rollout.state.environment, service: rollout.state.service };
      const target = this.listRevisions(scope).find((r) => r.name === rollout.state.targetRevision);
      const digest = target?.image.split("@")[1];
      if (target === undefined || digest === undefined) return;
      if (outcome === "healthy") {
        this.db.prepare("DELETE FROM aborted_images WHERE system = ? AND environment = ? AND service = ? AND digest = ?").run(scope.system, scope.environment, scope.service, digest);
        return;
      }
      this.db
        .prepare(
          `INSERT INTO aborted_images (system, environment, service, digest, version, rollout_id, reason, aborted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (system, environment, service, digest) DO UPDATE SET version = excluded.version, rollout_id = excluded.rollout_id, reason = excluded.reason, aborted_at = excluded.aborted_at`,
        )
        .run(scope.system, scope.environment, scope.service, digest, target.version ?? null, id, rollout.state.abortReason ?? null, now);
    })();
  }

  saveCountersMark(id: string, mark: CountersMark): void {
    this.db.prepare("INSERT INTO rollout_counter_marks (rollout_id, mark) VALUES (?, ?) ON CONFLICT (rollout_id) DO UPDATE SET mark = excluded.mark").run(id, JSON.stringify(mark));
  }

  countersMark(id: string): CountersMark | undefined {
    const row = this.db.prepare("SELECT mark FROM rollout_counter_marks WHERE rollout_id = ?").get(id) as { mark: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.mark) as CountersMark);
  }

  abortedImages(filter: { system: string; service: string; environment?: string }): AbortedImage[] {
    const rows = (
      filter.environment === undefined
        ? this.db.prepare("SELECT * FROM aborted_images WHERE system = ? AND service = ? ORDER BY aborted_at DESC").all(filter.system, filter.service)
        : this.db.prepare("SELECT * FROM aborted_images WHERE system = ? AND service = ? AND environment = ? ORDER BY aborted_at DESC").all(filter.system, filter.service, filter.environment)
    ) as AbortedImageRow[];
    return rows.map((r) => ({
      system: r.system,
      environment: r.environment,
      service: r.service,
      digest: r.digest,
      ...(r.version !== null ? { version: r.version } : {}),
      rolloutId: r.rollout_id,
      ...(r.reason !== null ? { reason: r.reason } : {}),
      abortedAt: r.aborted_at,
    }));
  }

  reopenRollout(id: string): void {
    const rollout = this.getRollout(id);
    if (rollout === undefined) return;
    try {
      this.db.prepare("UPDATE rollouts SET finished = 0, outcome = NULL, updated_at = ? WHERE id = ?").run(this.clock().toISOString(), id);
    } catch (err) {
      if (isUniqueViolation(err)) throw this.inFlightError({ system: rollout.system, environment: rollout.state.environment, service: rollout.state.service }, err);
      throw err;
    }
  }

  enqueueCommand(rolloutId: string, command: Command): number {
    const result = this.db.prepare("INSERT INTO rollout_commands (rollout_id, command, queued_at) VALUES (?, ?, ?)").run(rolloutId, JSON.stringify(command), this.clock().toISOString());
    return Number(result.lastInsertRowid);
  }

  nextCommand(rolloutId: string): QueuedCommand | undefined {
    const row = this.db.prepare("SELECT id, command FROM rollout_commands WHERE rollout_id = ? AND consumed_at IS NULL ORDER BY id LIMIT 1").get(rolloutId) as
      | { id: number; command: string }
      | undefined;
    return row === undefined ? undefined : { id: row.id, rolloutId, command: JSON.parse(row.command) as Command };
  }

  dropCommand(id: number): void {
    this.db.prepare("UPDATE rollout_commands SET consumed_at = ? WHERE id = ?").run(this.clock().toISOString(), id);
  }

  loadMeasurements(rolloutId: string, key: string): Measurement[] {
    const row = this.db.prepare("SELECT measurements FROM analysis_measurements WHERE rollout_id = ? AND key = ?").get(rolloutId, key) as { measurements: string } | undefined;
    return row === undefined ? [] : (JSON.parse(row.measurements) as Measurement[]);
  }

  saveMeasurements(rolloutId: string, key: string, measurements: readonly Measurement[]): void {
    this.db
      .prepare("INSERT INTO analysis_measurements (rollout_id, key, measurements) VALUES (?, ?, ?) ON CONFLICT (rollout_id, key) DO UPDATE SET measurements = excluded.measurements")
      .run(rolloutId, key, JSON.stringify(measurements));
  }

  private inFlightError(scope: ServiceScope, cause: unknown): SlipwayError {
    const running = this.db
      .prepare("SELECT id FROM rollouts WHERE system = ? AND environment = ? AND service = ? AND finished = 0")
      .get(scope.system, scope.environment, scope.service) as { id: string } | undefined;
    return new SlipwayError("ROLLOUT_IN_PROGRESS", `${scope.service} in ${scope.environment} already has a rollout in progress${running ? ` (${running.id})` : ""}`, {
      cause,
      hint: `wait for it (\`slipway rollout watch ${scope.service} --env ${scope.environment}\`), or stop it with \`slipway rollout abort ${scope.service} --env ${scope.environment}\``,
    });
  }
}

function toRevision(row: RevisionRow): RevisionRecord {
  return {
    system: row.system,
    environment: row.environment,
    service: row.service,
    name: row.name,
    number: row.number,
    image: row.image,
    ...(row.version !== null ? { version: row.version } : {}),
    template: JSON.parse(row.template) as RevisionRecord["template"],
    createdAt: row.created_at,
  };
}

function toRollout(row: RolloutRow): RolloutRecord {
  return {
    id: row.id,
    system: row.system,
    state: JSON.parse(row.state) as RolloutState,
    strategy: JSON.parse(row.strategy) as Strategy,
    finished: row.finished === 1,
    ...(row.outcome !== null ? { outcome: row.outcome as CompletionOutcome } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === "SQLITE_CONSTRAINT_UNIQUE";
}
