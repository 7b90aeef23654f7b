// Integration test runs in SQLite: which environment, what was deployed there
// (service → digest) and what each test said. A release policy that requires
// `integration-test` asks whether some passed run had the digest deployed.
import type Database from "better-sqlite3";
import { newestPassedWith } from "./passed-with.js";
import type { IntegrationRun, IntegrationRunStore } from "../../pipeline/integration-tests.js";

interface RunRow {
  id: string;
  system: string;
  environment: string;
  status: "passed" | "failed";
  deployed: string;
  results: string;
  started_at: string;
  finished_at: string;
}

export class SqliteIntegrationRunStore implements IntegrationRunStore {
  constructor(private readonly db: Database.Database) {}

  save(run: IntegrationRun): void {
    this.db
      .prepare("INSERT INTO integration_runs (id, system, environment, status, deployed, results, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(run.id, run.system, run.environment, run.status, JSON.stringify(run.deployed), JSON.stringify(run.results), run.startedAt, run.finishedAt);
  }

  /** Newest first. */
  list(system: string, environment: string | undefined, limit: number): IntegrationRun[] {
    const rows =
      environment === undefined
        ? this.db.prepare<[string, number], RunRow>("SELECT * FROM integration_runs WHERE system = ? ORDER BY started_at DESC, id DESC LIMIT ?").all(system, limit)
        : this.db.prepare<[string, string, number], RunRow>("SELECT * FROM integration_runs WHERE system = ? AND environment = ? ORDER BY started_at DESC, id DESC LIMIT ?").all(system, environment, limit);
    return rows.map(fromRow);
  }

  /** The newest passed run that had `service` deployed at `digest`, in any environment. */
  passedWith(system: string, service: string, digest: string): IntegrationRun | undefined {
    const row = newestPassedWith<RunRow>(this.db, "integration_runs", system, service, digest);
    return row === undefined ? undefined : fromRow(row);
  }
}

function fromRow(row: RunRow): IntegrationRun {
  return {
    id: row.id,
    system: row.system,
    environment: row.environment,
    status: row.status,
    deployed: JSON.parse(row.deployed) as Record<string, string>,
    results: JSON.parse(row.results) as IntegrationRun["results"],
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
