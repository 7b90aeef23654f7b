// The API calls and answers of the Releases, CI runs, Audit and Users pages
// (the server's shapes: src/app/release.ts, src/pipeline/run-view.ts,
// src/release/types.ts, src/app/auth.ts; GET /api/openapi.json is the reference).
import { ApiError, request } from "./client.js";
import type { Role } from "./types.js";

export interface Placement {
  environment: string;
  as: "serving" | "rolling out";
}

export interface Blocker {
  kind: string;
  rule: string;
  message: string;
  howToSatisfy: string;
}

export interface ReleaseRow {
  id: string;
  service: string;
  version: string;
  digest: string;
  changeType: string;
  commit?: string;
  runId?: string;
  requestedBy: string;
  requestedAt: string;
  releasedAt?: string;
  status: "awaiting-approval" | "released" | "refused";
  statusDetail?: string;
  state: string;
  signature: string;
  approvals: string[];
  runsIn: Placement[];
  blockers?: Blocker[];
  approval?: { approvers: "owners" | "anyone"; eligible: string[]; counted: number; needed: number };
}

export interface ServiceReleases {
  service: string;
  owners: string[];
  dev?: { digest: string; runId: string; commit?: string; runsIn: Placement[]; integrationRun?: { id: string; environment: string } };
  releases: ReleaseRow[];
}

export type StageState = "pending" | "running" | "passed" | "failed" | "skipped" | "cancelled";

export interface RunService {
  service: string;
  dependsOn: string[];
  state: string;
  reasons: string[];
  stages: { stage: string; state: StageState; durationMs?: number; detail?: string }[];
  digest?: string;
  error?: string;
  durationMs?: number;
}

export interface RunView {
  id: string;
  status: "running" | "passed" | "failed" | "cancelled";
  startedAt?: string;
  commit?: string;
  durationMs?: number;
  services: RunService[];
}

export interface RunSummary {
  id: string;
  startedAt: string;
  status: string;
  commit?: string;
  durationMs?: number;
  services: { service: string; outcome: string }[];
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: Record<string, unknown>;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  problems: string[];
}

export interface UserRow {
  name: string;
  role: Role;
  /** Logs in with a password; false: API tokens only. */
  password: boolean;
  createdAt: string;
}

export interface TokenRow {
  id: string;
  user: string;
  role: Role;
  label?: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

/** The answer to creating a token: the token itself, this once. */
export interface CreatedToken {
  token: string;
  id: string;
  user: string;
  role: Role;
  label?: string;
}

const enc = encodeURIComponent;

export const pagesApi = {
  releases: (): Promise<{ services: ServiceReleases[] }> => request("GET", "/api/releases"),
  approve: (id: string, comment?: string): Promise<unknown> => request("POST", `/api/releases/${enc(id)}/approve`, comment === undefined || comment === "" ? {} : { comment }),
  reject: (id: string, reason: string): Promise<unknown> => request("POST", `/api/releases/${enc(id)}/reject`, { reason }),
  runs: (): Promise<{ runs: RunSummary[] }> => request("GET", "/api/runs?limit=30"),
  run: (id: string): Promise<{ view: RunView }> => request("GET", `/api/runs/${enc(id)}`),
  audit: (): Promise<{ entries: AuditEntry[] }> => request("GET", "/api/audit?limit=200"),
  verifyAudit: (): Promise<AuditVerification> => request("GET", "/api/audit/verify"),
  users: (): Promise<{ users: UserRow[] }> => request("GET", "/api/users"),
  addUser: (user: { name: string; role: Role; password?: string }): Promise<unknown> => request("POST", "/api/users", user),
  removeUser: (name: string): Promise<{ removed: { name: string; tokensRevoked: string[]; sessionsEnded: number } }> => request("POST", `/api/users/${enc(name)}/remove`, {}),
  setRole: (name: string, role: Role): Promise<{ changed: { name: string; from: Role; to: Role; tokensCapped: string[] } }> => request("POST", `/api/users/${enc(name)}/role`, { role }),
  tokens: (): Promise<{ tokens: TokenRow[] }> => request("GET", "/api/tokens"),
  createToken: (token: { user: string; role: Role; label?: string }): Promise<CreatedToken> => request("POST", "/api/tokens", token),
  revokeToken: (id: string): Promise<unknown> => request("POST", `/api/tokens/${enc(id)}/revoke`, {}),
};

/**
 * Follows a stage's log (text streamed while the stage writes it): `onText`
 * gets each piece; resolves when the stage is over, rejects on a refusal.
 */
export async function followStageLog(runId: string, service: string, stage: string, onText: (text: string) => void, signal: AbortSignal): Promise<void> {
  const res = await fetch(`/api/runs/${enc(runId)}/logs/${enc(service)}/${enc(stage)}`, { credentials: "same-origin", signal });
  if (!res.ok || res.body === null) {
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; hint?: string } };
    throw new ApiError(res.status, body.error?.code ?? "HTTP", body.error?.message ?? `the log answered ${res.status}`, body.error?.hint);
  }
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    onText(decoder.decode(value, { stream: true }));
  }
}
