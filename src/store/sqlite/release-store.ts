// Releases, approvals and the hash-chained audit log in SQLite (migration 3).
import type Database from "better-sqlite3";
import { SlipwayError } from "../../domain/errors.js";
import { compareSemver, parseSemver } from "../../domain/semver.js";
import type { ApprovalRecord, AuditEntry, AuditVerification, ChangeType, ReleaseRecord, ReleaseStatus, ReleaseStore } from "../../release/types.js";
import { entryHash, GENESIS_HASH, verifyChain, type ChainHead, type ChainRow } from "./audit-chain.js";

/** system_info key of the newest audit entry's seq and hash. */
const AUDIT_HEAD_KEY = "audit_head";

interface ReleaseRow {
  id: string;
  service: string;
  version: string;
  digest: string;
  change_type: ChangeType;
  source_ref: string;
  target_ref: string | null;
  commit_sha: string | null;
  run_id: string | null;
  content_hash: string | null;
  requested_by: string;
  requested_at: string;
  released_at: string | null;
  status: ReleaseStatus;
  status_detail: string | null;
  signature_digest: string | null;
  provenance_digest: string | null;
}

interface ApprovalRow {
  release_id: string;
  approver: string;
  at: string;
  comment: string | null;
}

interface AuditRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: string;
  prev_hash: string;
  hash: string;
}

export class SqliteReleaseStore implements ReleaseStore {
  /** `clock` stamps audit entries; tests pass a fixed one. */
  constructor(
    private readonly db: Database.Database,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  saveRelease(r: ReleaseRecord): void {
    const row: ReleaseRow = {
      id: r.id,
      service: r.service,
      version: r.version,
      digest: r.digest,
      change_type: r.changeType,
      source_ref: r.sourceRef,
      target_ref: r.targetRef ?? null,
      commit_sha: r.commit ?? null,
      run_id: r.runId ?? null,
      content_hash: r.contentHash ?? null,
      requested_by: r.requestedBy,
      requested_at: r.requestedAt,
      released_at: r.releasedAt ?? null,
      status: r.status,
      status_detail: r.statusDetail ?? null,
      signature_digest: r.signatureDigest ?? null,
      provenance_digest: r.provenanceDigest ?? null,
    };
    const columns = Object.keys(row);
    try {
      this.db
        .prepare(
          `INSERT INTO releases (${columns.join(", ")}) VALUES (${columns.map((c) => `@${c}`).join(", ")})
           ON CONFLICT (id) DO UPDATE SET ${columns.filter((c) => c !== "id").map((c) => `${c} = excluded.${c}`).join(", ")}`,
        )
        .run(row);
    } catch (err) {
      if (isConstraint(err, "SQLITE_CONSTRAINT_UNIQUE")) {
        throw new SlipwayError("STATE_STORE", `${r.service} ${r.version} is already released; release ${r.id} cannot release it again`, {
          cause: err,
          hint: "raise the service's version and release that",
        });
      }
      throw err;
    }
  }

  getRelease(id: string): ReleaseRecord | undefined {
    const row = this.db.prepare("SELECT * FROM releases WHERE id = ?").get(id) as ReleaseRow | undefined;
    return row === undefined ? undefined : toRelease(row);
  }

  /** The released one if there is one, else the newest request. */
  findRelease(service: string, version: string): ReleaseRecord | undefined {
    const row = this.db
      .prepare("SELECT * FROM releases WHERE service = ? AND version = ? ORDER BY status = 'released' DESC, requested_at DESC, rowid DESC LIMIT 1")
      .get(service, version) as ReleaseRow | undefined;
    return row === undefined ? undefined : toRelease(row);
  }

  listReleases(service?: string): ReleaseRecord[] {
    const rows =
      service === undefined
        ? this.db.prepare("SELECT * FROM releases ORDER BY requested_at DESC, rowid DESC").all()
        : this.db.prepare("SELECT * FROM releases WHERE service = ? ORDER BY requested_at DESC, rowid DESC").all(service);
    return (rows as ReleaseRow[]).map(toRelease);
  }

  latestReleased(service: string): ReleaseRecord | undefined {
    const rows = this.db.prepare("SELECT * FROM releases WHERE service = ? AND status = 'released'").all(service) as ReleaseRow[];
    let best: { row: ReleaseRow; version: NonNullable<ReturnType<typeof parseSemver>> } | undefined;
    for (const row of rows) {
      const version = parseSemver(row.version);
      if (version !== undefined && (best === undefined || compareSemver(version, best.version) > 0)) best = { row, version };
    }
    return best === undefined ? undefined : toRelease(best.row);
  }

  /** A second approval by the same person (in any case) is ignored: approvals count once. */
  addApproval(a: ApprovalRecord): void {
    try {
      this.db
        .prepare("INSERT INTO approvals (release_id, approver, at, comment) VALUES (?, ?, ?, ?) ON CONFLICT (release_id, approver) DO NOTHING")
        .run(a.releaseId, a.approver, a.at, a.comment ?? null);
    } catch (err) {
      if (isConstraint(err, "SQLITE_CONSTRAINT_FOREIGNKEY")) {
        throw new SlipwayError("STATE_STORE", `there is no release ${a.releaseId} to approve`, { cause: err, hint: "`slipway releases` lists the releases" });
      }
      throw err;
    }
  }

  approvals(releaseId: string): ApprovalRecord[] {
    const rows = this.db.prepare("SELECT * FROM approvals WHERE release_id = ? ORDER BY at, rowid").all(releaseId) as ApprovalRow[];
    return rows.map((row) => ({ releaseId: row.release_id, approver: row.approver, at: row.at, ...(row.comment !== null ? { comment: row.comment } : {}) }));
  }

  appendAudit(entry: { actor: string; action: string; subject: string; detail: Record<string, unknown> }): AuditEntry {
    // IMMEDIATE: two processes appending at once must not both take the next seq.
    return this.db
      .transaction((): AuditEntry => {
        const recorded = this.headRecord();
        const head = recorded === undefined || recorded === "unreadable" ? this.newestRowAsHead() : recorded;
        const seq = (head?.seq ?? 0) + 1;
        const prevHash = head?.hash ?? GENESIS_HASH;
        const at = this.clock().toISOString();
        // Stored as JSON, so hash what JSON keeps (no undefined, no Dates): verification reads it back.
        const detail = JSON.parse(JSON.stringify(entry.detail)) as Record<string, unknown>;
        const hash = entryHash(prevHash, { seq, at, actor: entry.actor, action: entry.action, subject: entry.subject, detail });
        this.db
          .prepare("INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
          .run(seq, at, entry.actor, entry.action, entry.subject, JSON.stringify(detail), prevHash, hash);
        this.db.prepare("INSERT INTO system_info (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(AUDIT_HEAD_KEY, JSON.stringify({ seq, hash }));
        return { seq, at, actor: entry.actor, action: entry.action, subject: entry.subject, detail, prevHash, hash };
      })
      .immediate();
  }

  /** The newest `limit` entries (all without one), oldest first. */
  listAudit(limit?: number): AuditEntry[] {
    const rows = this.db.prepare("SELECT * FROM (SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?) ORDER BY seq").all(limit ?? -1) as AuditRow[];
    return rows.map((row) => ({
      seq: row.seq,
      at: row.at,
      actor: row.actor,
      action: row.action,
      subject: row.subject,
      detail: parseDetail(row.detail),
      prevHash: row.prev_hash,
      hash: row.hash,
    }));
  }

  verifyAudit(): AuditVerification {
    const rows = (this.db.prepare("SELECT * FROM audit_log ORDER BY seq").all() as AuditRow[]).map(
      (row): ChainRow => ({ seq: row.seq, at: row.at, actor: row.actor, action: row.action, subject: row.subject, detail: row.detail, prevHash: row.prev_hash, hash: row.hash }),
    );
    return verifyChain(rows, this.headRecord());
  }

  private headRecord(): ChainHead | "unreadable" | undefined {
    const text = (this.db.prepare("SELECT value FROM system_info WHERE key = ?").get(AUDIT_HEAD_KEY) as { value: string } | undefined)?.value;
    return text === undefined ? undefined : parseHead(text);
  }

  /** Without a head record, the chain continues from its newest row (verification reports the missing head). */
  private newestRowAsHead(): ChainHead | undefined {
    return this.db.prepare("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").get() as ChainHead | undefined;
  }
}

function toRelease(row: ReleaseRow): ReleaseRecord {
  return {
    id: row.id,
    service: row.service,
    version: row.version,
    digest: row.digest,
    changeType: row.change_type,
    sourceRef: row.source_ref,
    ...(row.target_ref !== null ? { targetRef: row.target_ref } : {}),
    ...(row.commit_sha !== null ? { commit: row.commit_sha } : {}),
    ...(row.run_id !== null ? { runId: row.run_id } : {}),
    ...(row.content_hash !== null ? { contentHash: row.content_hash } : {}),
    requestedBy: row.requested_by,
    requestedAt: row.requested_at,
    ...(row.released_at !== null ? { releasedAt: row.released_at } : {}),
    status: row.status,
    ...(row.status_detail !== null ? { statusDetail: row.status_detail } : {}),
    ...(row.signature_digest !== null ? { signatureDigest: row.signature_digest } : {}),
    ...(row.provenance_digest !== null ? { provenanceDigest: row.provenance_digest } : {}),
  };
}

function parseHead(text: string): ChainHead | "unreadable" {
  try {
    const value = JSON.parse(text) as Partial<ChainHead>;
    if (typeof value.seq === "number" && typeof value.hash === "string") return { seq: value.seq, hash: value.hash };
  } catch {
    // Damaged by hand: reported by verifyAudit.
  }
  return "unreadable";
}

/** A row damaged by hand still lists; verifyAudit says what is wrong with it. */
function parseDetail(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    if (value !== null && typeof value === "object" && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // Fall through.
  }
  return { unreadable: text };
}

function isConstraint(err: unknown, code: string): boolean {
  return err instanceof Error && (err as Error & { code?: unknown }).code === code;
}
