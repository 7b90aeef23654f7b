// Pipeline runs in SQLite: one row per run, one per service in it.
import type Database from "better-sqlite3";
import type { PipelineRunStore, RunRecord, RunStatus, ServiceRunRecord } from "../types.js";

interface RunRow {
  id: string;
  started_at: string;
  finished_at: string | null;
  commit_sha: string | null;
  status: RunStatus;
  duration_ms: number | null;
}

interface ServiceRow {
  service: string;
  outcome: string;
  content_hash: string;
  digest: string | null;
  refs: string;
  stages: string;
  reasons: string;
  error: string | null;
  duration_ms: number;
}

export class SqlitePipelineRunStore implements PipelineRunStore {
  constructor(private readonly db: Database.Database) {}

  startRun(run: { id: string; startedAt: string; commit?: string }): void {
    this.db.prepare("INSERT INTO pipeline_runs (id, started_at, commit_sha, status) VALUES (?, ?, ?, 'running')").run(run.id, run.startedAt, run.commit ?? null);
  }

  recordService(runId: string, r: ServiceRunRecord): void {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO pipeline_services (run_id, service, outcome, content_hash, digest, refs, stages, reasons, error, duration_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(runId, r.service, r.outcome, r.contentHash, r.digest ?? null, JSON.stringify(r.references), JSON.stringify(r.stages), JSON.stringify(r.reasons), r.error ?? null, Math.round(r.durationMs));
  }

  finishRun(runId: string, status: RunStatus, finishedAt: string, durationMs: number): void {
    this.db.prepare("UPDATE pipeline_runs SET status = ?, finished_at = ?, duration_ms = ? WHERE id = ?").run(status, finishedAt, Math.round(durationMs), runId);
  }

  listRuns(limit: number): RunRecord[] {
    const rows = this.db.prepare("SELECT * FROM pipeline_runs ORDER BY started_at DESC, id DESC LIMIT ?").all(limit) as RunRow[];
    return rows.map((row) => this.toRecord(row));
  }

  getRun(id: string): RunRecord | undefined {
    const row = this.db.prepare("SELECT * FROM pipeline_runs WHERE id = ?").get(id) as RunRow | undefined;
    return row === undefined ? undefined : this.toRecord(row);
  }

  latestSuccessful(service: string): { runId: string; commit?: string; record: ServiceRunRecord } | undefined {
    const row = this.db
      .prepare(
        `SELECT s.*, r.id AS run, r.commit_sha AS commit_sha FROM pipeline_services s JOIN pipeline_runs r ON r.id = s.run_id
         WHERE s.service = ? AND s.outcome IN ('built', 'up-to-date') AND s.digest IS NOT NULL
         ORDER BY r.started_at DESC, r.id DESC LIMIT 1`,
      )
      .get(service) as (ServiceRow & { run: string; commit_sha: string | null }) | undefined;
    if (row === undefined) return undefined;
    return { runId: row.run, ...(row.commit_sha !== null ? { commit: row.commit_sha } : {}), record: toServiceRecord(row) };
  }

  findBuild(service: string, contentHash: string): { runId: string; commit?: string; record: ServiceRunRecord } | undefined {
    const row = this.db
      .prepare(
        `SELECT s.*, r.id AS run, r.commit_sha AS commit_sha FROM pipeline_services s JOIN pipeline_runs r ON r.id = s.run_id
         WHERE s.service = ? AND s.content_hash = ? AND s.outcome = 'built'
         ORDER BY r.started_at DESC, r.id DESC LIMIT 1`,
      )
      .get(service, contentHash) as (ServiceRow & { run: string; commit_sha: string | null }) | undefined;
    if (row === undefined) return undefined;
    return { runId: row.run, ...(row.commit_sha !== null ? { commit: row.commit_sha } : {}), record: toServiceRecord(row) };
  }

  recordHashInputs(service: string, hash: string, inputs: string): void {
    this.db.prepare("INSERT OR IGNORE INTO content_hashes (service, hash, recorded_at, inputs) VALUES (?, ?, ?, ?)").run(service, hash, new Date().toISOString(), inputs);
  }

  latestHashInputs(service: string): string | undefined {
    const row = this.db.prepare("SELECT inputs FROM content_hashes WHERE service = ? ORDER BY recorded_at DESC, rowid DESC LIMIT 1").get(service) as { inputs: string } | undefined;
    return row?.inputs;
  }

  recordBuildOutputs(service: string, paths: readonly string[]): void {
    const insert = this.db.prepare("INSERT OR IGNORE INTO build_outputs (service, path, recorded_at) VALUES (?, ?, ?)");
    const at = new Date().toISOString();
    this.db.transaction(() => paths.forEach((path) => insert.run(service, path, at)))();
  }

  buildOutputs(service: string): Set<string> {
    const rows = this.db.prepare("SELECT path FROM build_outputs WHERE service = ?").all(service) as { path: string }[];
    return new Set(rows.map((r) => r.path));
  }

  private toRecord(row: RunRow): RunRecord {
    const services = (this.db.prepare("SELECT * FROM pipeline_services WHERE run_id = ? ORDER BY service").all(row.id) as ServiceRow[]).map(toServiceRecord);
    return {
      id: row.id,
      startedAt: row.started_at,
      ...(row.finished_at !== null ? { finishedAt: row.finished_at } : {}),
      ...(row.commit_sha !== null ? { commit: row.commit_sha } : {}),
      status: row.status,
      ...(row.duration_ms !== null ? { durationMs: row.duration_ms } : {}),
      services,
    };
  }
}

function toServiceRecord(s: ServiceRow): ServiceRunRecord {
  return {
    service: s.service,
    outcome: s.outcome,
    contentHash: s.content_hash,
    ...(s.digest !== null ? { digest: s.digest } : {}),
    references: JSON.parse(s.refs) as string[],
    stages: JSON.parse(s.stages) as ServiceRunRecord["stages"],
    reasons: JSON.parse(s.reasons) as string[],
    ...(s.error !== null ? { error: s.error } : {}),
    durationMs: s.duration_ms,
  };
}
