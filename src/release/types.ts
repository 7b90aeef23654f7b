// Shared shapes of the release subsystem: what a release is, how approvals
// and audit entries look, and the ports its parts implement.

export type ChangeType = "initial" | "major" | "minor" | "patch" | "prerelease";

export type ReleaseStatus = "awaiting-approval" | "released" | "refused";

export interface ReleaseRecord {
  id: string;
  service: string;
  version: string;
  digest: string;
  changeType: ChangeType;
  /** The dev reference the digest was promoted from. */
  sourceRef: string;
  /** The prod reference, once released. */
  targetRef?: string;
  commit?: string;
  runId?: string;
  contentHash?: string;
  requestedBy: string;
  requestedAt: string;
  releasedAt?: string;
  status: ReleaseStatus;
  /** Why it waits or was refused, in a person's words. */
  statusDetail?: string;
  signatureDigest?: string;
  provenanceDigest?: string;
}

export interface ApprovalRecord {
  releaseId: string;
  approver: string;
  at: string;
  comment?: string;
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  /** e.g. release-requested, approved, approval-refused, promoted, release-refused, signed. */
  action: string;
  /** What it is about, e.g. "ingestion@1.3.0". */
  subject: string;
  detail: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** Each problem names the seq and what is wrong (edited, deleted, reordered). */
  problems: string[];
}

/** Releases, approvals and the hash-chained audit log, kept in the state store. */
export interface ReleaseStore {
  saveRelease(release: ReleaseRecord): void;
  getRelease(id: string): ReleaseRecord | undefined;
  findRelease(service: string, version: string): ReleaseRecord | undefined;
  /** Newest first. */
  listReleases(service?: string): ReleaseRecord[];
  /** The highest released version of a service (semver order), if any. */
  latestReleased(service: string): ReleaseRecord | undefined;
  addApproval(approval: ApprovalRecord): void;
  approvals(releaseId: string): ApprovalRecord[];
  appendAudit(entry: { actor: string; action: string; subject: string; detail: Record<string, unknown> }): AuditEntry;
  listAudit(limit?: number): AuditEntry[];
  verifyAudit(): AuditVerification;
}
