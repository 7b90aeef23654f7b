// Approvals for a digest of a service to enter an environment, in SQLite
// (migration 12): what an environment's promotion.approvals counts. Release
// approvals are another table and another question (ADR 19).
import type Database from "better-sqlite3";

export interface EnvironmentApproval {
  system: string;
  environment: string;
  service: string;
  digest: string;
  approver: string;
  at: string;
  comment?: string;
}

interface Row {
  system: string;
  environment: string;
  service: string;
  digest: string;
  approver: string;
  at: string;
  comment: string | null;
}

export class SqliteEnvironmentApprovalStore {
  constructor(private readonly db: Database.Database) {}

  /** A second approval by the same person (in any case) is ignored: approvals count once. Returns whether it was new. */
  add(a: EnvironmentApproval): boolean {
    const info = this.db
      .prepare("INSERT INTO environment_approvals (system, environment, service, digest, approver, at, comment) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")
      .run(a.system, a.environment, a.service, a.digest, a.approver, a.at, a.comment ?? null);
    return info.changes > 0;
  }

  /** Who approved `service@digest` for `environment`, oldest first. */
  list(system: string, environment: string, service: string, digest: string): EnvironmentApproval[] {
    return this.db
      .prepare<[string, string, string, string], Row>("SELECT * FROM environment_approvals WHERE system = ? AND environment = ? AND service = ? AND digest = ? ORDER BY at, rowid")
      .all(system, environment, service, digest)
      .map((r) => ({ system: r.system, environment: r.environment, service: r.service, digest: r.digest, approver: r.approver, at: r.at, ...(r.comment === null ? {} : { comment: r.comment }) }));
  }
}
