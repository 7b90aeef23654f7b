// Compatibility runs (`slipway test --env E --mixed S`) in SQLite: the pair of
// locks — what the target environment ran, and what was tested (the same with
// S at its new digest) — each test's result, and the service pairs a failure
// points at. A release policy that requires `compatibility` asks whether some
// passed run tested the service at the digest being released.
import type Database from "better-sqlite3";
import type { CompatibilityPair } from "../../domain/compatibility-pairs.js";
import type { IntegrationTestResult } from "../../pipeline/integration-tests.js";

export interface CompatibilityRun {
  id: string;
  system: string;
  /** The target environment whose digests the other services ran at. */
  environment: string;
  /** The service at its new digest. */
  service: string;
  digest: string;
  status: "passed" | "failed";
  /** service → digest the target environment ran. */
  targetLock: Record<string, string>;
  /** service → digest tested: the target's, with `service` at `digest`. */
  mixedLock: Record<string, string>;
  results: IntegrationTestResult[];
  /** For a failure: the service pairs whose interaction broke. */
  pairs: CompatibilityPair[];
  startedAt: string;
  finishedAt: string;
}

interface RunRow {
  id: string;
  system: string;
  environment: string;
  service: string;
  digest: string;
  status: "passed" | "failed";
  target_lock: string;
  mixed_lock: string;
  results: string;
  pairs: string;
  started_at: string;
  finished_at: string;
}

export class SqliteCompatibilityRunStore {
  constructor(private readonly db: Database.Database) {}

  save(run: CompatibilityRun): void {
    this.db
      .prepare("INSERT INTO compatibility_runs (id, system, environment, service, digest, status, target_lock, mixed_lock, results, pairs, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(run.id, run.system, run.environment, run.service, run.digest, run.status, JSON.stringify(run.targetLock), JSON.stringify(run.mixedLock), JSON.stringify(run.results), JSON.stringify(run.pairs), run.startedAt, run.finishedAt);
  }

  /** The newest passed run that tested `service` at `digest`, against any target environment. */
  passedWith(system: string, service: string, digest: string): CompatibilityRun | undefined {
    const row = this.db
      .prepare<[string, string, string], RunRow>("SELECT * FROM compatibility_runs WHERE system = ? AND service = ? AND digest = ? AND status = 'passed' ORDER BY started_at DESC, id DESC LIMIT 1")
      .get(system, service, digest);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Newest first. */
  list(system: string, environment: string, limit: number): CompatibilityRun[] {
    return this.db
      .prepare<[string, string, number], RunRow>("SELECT * FROM compatibility_runs WHERE system = ? AND environment = ? ORDER BY started_at DESC, id DESC LIMIT ?")
      .all(system, environment, limit)
      .map(fromRow);
  }
}

function fromRow(row: RunRow): CompatibilityRun {
  return {
    id: row.id,
    system: row.system,
    environment: row.environment,
    service: row.service,
    digest: row.digest,
    status: row.status,
    targetLock: JSON.parse(row.target_lock) as Record<string, string>,
    mixedLock: JSON.parse(row.mixed_lock) as Record<string, string>,
    results: JSON.parse(row.results) as IntegrationTestResult[],
    pairs: JSON.parse(row.pairs) as CompatibilityPair[],
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
