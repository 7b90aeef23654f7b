// Load test runs in SQLite, one row per scenario run: the environment's lock
// (service → digest), the numbers and each threshold's verdict. Answers the
// regression baseline (last passing run of a scenario) and the release
// policy's `load-test` stage (a passing run with the digest deployed).
import type Database from "better-sqlite3";
import { newestPassedWith } from "./passed-with.js";
import type { Baseline, LoadMeasurement, ThresholdVerdict } from "../../domain/load-test-verdict.js";

export interface LoadTestRun {
  id: string;
  system: string;
  environment: string;
  scenario: string;
  status: "passed" | "failed";
  deployed: Record<string, string>;
  measurement: LoadMeasurement;
  verdicts: ThresholdVerdict[];
  /** The passing run the regression threshold compared with, if any. */
  baseline?: Baseline;
  /** The SVG latency report's path. */
  report?: string;
  startedAt: string;
  finishedAt: string;
}

interface RunRow {
  id: string;
  system: string;
  environment: string;
  scenario: string;
  status: "passed" | "failed";
  deployed: string;
  measurement: string;
  verdicts: string;
  baseline: string | null;
  report: string | null;
  started_at: string;
  finished_at: string;
}

export class SqliteLoadTestRunStore {
  constructor(private readonly db: Database.Database) {}

  save(run: LoadTestRun): void {
    this.db
      .prepare("INSERT INTO load_test_runs (id, system, environment, scenario, status, deployed, measurement, verdicts, baseline, report, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
      .run(run.id, run.system, run.environment, run.scenario, run.status, JSON.stringify(run.deployed), JSON.stringify(run.measurement), JSON.stringify(run.verdicts), run.baseline === undefined ? null : JSON.stringify(run.baseline), run.report ?? null, run.startedAt, run.finishedAt);
  }

  /** The newest passing run of the scenario in the environment: the regression baseline. */
  lastPassing(system: string, environment: string, scenario: string): LoadTestRun | undefined {
    const row = this.db
      .prepare<[string, string, string], RunRow>("SELECT * FROM load_test_runs WHERE system = ? AND environment = ? AND scenario = ? AND status = 'passed' ORDER BY started_at DESC, id DESC LIMIT 1")
      .get(system, environment, scenario);
    return row === undefined ? undefined : fromRow(row);
  }

  /** The environment's runs, newest first. */
  list(system: string, environment: string, limit: number): LoadTestRun[] {
    return this.db
      .prepare<[string, string, number], RunRow>("SELECT * FROM load_test_runs WHERE system = ? AND environment = ? ORDER BY started_at DESC, id DESC LIMIT ?")
      .all(system, environment, limit)
      .map(fromRow);
  }

  /** The newest passing run that had `service` deployed at `digest`, in any environment. */
  passedWith(system: string, service: string, digest: string): LoadTestRun | undefined {
    const row = newestPassedWith<RunRow>(this.db, "load_test_runs", system, service, digest);
    return row === undefined ? undefined : fromRow(row);
  }
}

function fromRow(row: RunRow): LoadTestRun {
  return {
    id: row.id,
    system: row.system,
    environment: row.environment,
    scenario: row.scenario,
    status: row.status,
    deployed: JSON.parse(row.deployed) as Record<string, string>,
    measurement: JSON.parse(row.measurement) as LoadMeasurement,
    verdicts: JSON.parse(row.verdicts) as ThresholdVerdict[],
    ...(row.baseline === null ? {} : { baseline: JSON.parse(row.baseline) as Baseline }),
    ...(row.report === null ? {} : { report: row.report }),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
