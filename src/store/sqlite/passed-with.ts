// The question every run store answers for a release policy's stage: the
// newest passed run that had `service` deployed at `digest`, read from the
// run's `deployed` JSON (service → digest).
import type Database from "better-sqlite3";

/** Tables whose rows carry system, status, deployed (JSON) and started_at. */
type RunTable = "integration_runs" | "load_test_runs";

export function newestPassedWith<Row>(db: Database.Database, table: RunTable, system: string, service: string, digest: string): Row | undefined {
  return db
    .prepare<[string, string, string], Row>(
      `SELECT r.* FROM ${table} r, json_each(r.deployed) d
       WHERE r.system = ? AND r.status = 'passed' AND d.key = ? AND d.value = ?
       ORDER BY r.started_at DESC LIMIT 1`,
    )
    .get(system, service, digest);
}
