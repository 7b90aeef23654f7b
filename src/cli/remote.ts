// The CLI's remote mode: with --server <url> (or SLIPWAY_SERVER) and a token
// in SLIPWAY_TOKEN, status, releases, approve, deploy, rollout, rollback,
// history and audit go to a `slipway serve` over its API instead of this machine's store. The
// server's controller drives what they record; the CLI follows it. Promote and
// rollback --to-lock: remote-group.ts.
import type { EnvironmentLag, ServiceStatusRow } from "../app/status.js";
import type { RolloutStatus } from "../app/rollout.js";
import type { ReleaseServicesResult, ServiceReleases } from "../app/release.js";
import type { Snapshot } from "../app/recovery.js";
import type { RunRecord } from "../store/types.js";
import type { RolloutRecord } from "../delivery/controller/store-port.js";
import type { RolloutState } from "../delivery/types.js";
import { ErrorCodes, SlipwayError, type ErrorCode } from "../domain/errors.js";
import type { ApproveResult } from "../release/release-service.js";
import type { AuditEntry, AuditVerification, ReleaseRecord } from "../release/types.js";
import type { CommandContext, GlobalOptions } from "./main.js";
import { printApproved, printAudit, printAuditVerify, printRejected, printReleaseResult, printReleases } from "./commands/release.js";
import { printRun, printRuns } from "./commands/runs.js";
import { writeSnapshot } from "./commands/recovery.js";
import { printRolloutStatus, printStatus } from "./commands/deploy.js";
import { printHistory } from "./commands/history.js";
import type { LockHistoryEntry } from "../domain/lock-history.js";
import { WakeSignal } from "../delivery/controller/wake-signal.js";

export interface Remote {
  url: string;
  token: string;
}

/** The server to talk to, if any: --server, else SLIPWAY_SERVER; the token from SLIPWAY_TOKEN. */
export function remoteOf(globals: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Remote | undefined {
  const url = globals.server ?? env["SLIPWAY_SERVER"];
  if (url === undefined || url === "") return undefined;
  const token = env["SLIPWAY_TOKEN"];
  if (token === undefined || token === "") throw new SlipwayError("USAGE", `talking to ${url} needs an API token in SLIPWAY_TOKEN`, { hint: "on the server's machine: `slipway token create --user <you> --role <role>`" });
  return { url: url.replace(/\/+$/, ""), token };
}

export class RemoteClient {
  constructor(private readonly remote: Remote) {}

  get<T>(path: string): Promise<T> {
    return this.call<T>("GET", path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>("POST", path, body);
  }

  /**
   * The server's event stream (GET /api/events, server-sent events): calls
   * `onEvent` with each event's name and JSON data until `signal` aborts.
   * Resolves when the stream ends; a server that cannot stream rejects.
   */
  async events(signal: AbortSignal, onEvent: (type: string, data: unknown) => void): Promise<void> {
    const res = await fetch(this.remote.url + "/api/events", { headers: { authorization: `Bearer ${this.remote.token}`, accept: "text/event-stream" }, signal });
    if (!res.ok || res.body === null) throw new SlipwayError("SERVER_REFUSED", `${this.remote.url}/api/events answered ${res.status}`);
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of res.body) {
      buffered += decoder.decode(chunk as Uint8Array, { stream: true });
      for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
        const { type, data } = parseServerSentEvent(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
        if (type !== undefined) onEvent(type, data);
      }
    }
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.remote.url + path, {
        method,
        headers: { authorization: `Bearer ${this.remote.token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(120_000),
      });
    } catch (err) {
      throw new SlipwayError("SERVER_REFUSED", `cannot reach ${this.remote.url}: ${(err as Error).message}`, { cause: err, hint: "is `slipway serve` running there? check --server / SLIPWAY_SERVER" });
    }
    const text = await res.text();
    const parsed = ((): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        return undefined;
      }
    })();
    if (res.ok) return parsed as T;
    const error = (parsed as { error?: { code?: string; message?: string; hint?: string } } | undefined)?.error;
    const code: ErrorCode = error?.code !== undefined && error.code in ErrorCodes ? (error.code as ErrorCode) : "SERVER_REFUSED";
    const what = error?.code !== undefined && code === "SERVER_REFUSED" ? `${error.code}: ` : "";
    throw new SlipwayError(code, `${this.remote.url} answered ${res.status}: ${what}${error?.message ?? text.slice(0, 200)}`, { ...(error?.hint === undefined ? {} : { hint: error.hint }) });
  }
}

const rolloutPath = (env: string, service: string): string => `/api/environments/${encodeURIComponent(env)}/services/${encodeURIComponent(service)}`;

export async function remoteStatus(ctx: CommandContext, remote: Remote, opts: { env?: string }): Promise<number> {
  const report = await new RemoteClient(remote).get<{ services: ServiceStatusRow[]; promotion?: EnvironmentLag[] }>(`/api/status${opts.env === undefined ? "" : `?env=${encodeURIComponent(opts.env)}`}`);
  printStatus(ctx.output, ctx.globals.json, report);
  return 0;
}

export async function remoteHistory(ctx: CommandContext, remote: Remote, opts: { env: string; limit?: string }): Promise<number> {
  const { locks } = await new RemoteClient(remote).get<{ locks: LockHistoryEntry[] }>(`/api/environments/${encodeURIComponent(opts.env)}/history?limit=${Number(opts.limit ?? 50)}`);
  printHistory(ctx.output, ctx.globals.json, locks);
  return 0;
}

export async function remoteReleases(ctx: CommandContext, remote: Remote, service: string | undefined): Promise<number> {
  const { services } = await new RemoteClient(remote).get<{ services: ServiceReleases[] }>(`/api/releases${service === undefined ? "" : `?service=${encodeURIComponent(service)}`}`);
  printReleases(ctx.output, ctx.globals.json, services);
  return 0;
}

export async function remoteAudit(ctx: CommandContext, remote: Remote, opts: { limit: string }): Promise<number> {
  const { entries } = await new RemoteClient(remote).get<{ entries: AuditEntry[] }>(`/api/audit?limit=${encodeURIComponent(opts.limit)}`);
  printAudit(ctx.output, ctx.globals.json, entries);
  return 0;
}

export async function remoteAuditVerify(ctx: CommandContext, remote: Remote): Promise<number> {
  return printAuditVerify(ctx.output, ctx.globals.json, await new RemoteClient(remote).get<AuditVerification>("/api/audit/verify"));
}

/** Releases on the server, as its user: the server copies, signs and records; the answer is the local command's. */
export async function remoteRelease(ctx: CommandContext, remote: Remote, services: string[], opts: { version?: string; prerelease?: string; all?: boolean }): Promise<number> {
  return printReleaseResult(ctx.output, ctx.globals.json, await new RemoteClient(remote).post<ReleaseServicesResult>("/api/releases", releaseBody(services, opts)));
}

/** POST /api/releases' body for `release`'s arguments: only the options given (the server's schema is strict). */
export function releaseBody(services: string[], opts: { version?: string; prerelease?: string; all?: boolean }): { services: string[]; version?: string; prerelease?: string; all?: true } {
  return { services, ...(opts.version === undefined ? {} : { version: opts.version }), ...(opts.prerelease === undefined ? {} : { prerelease: opts.prerelease }), ...(opts.all === true ? { all: true as const } : {}) };
}

export async function remoteRuns(ctx: CommandContext, remote: Remote, opts: { limit: string }): Promise<number> {
  const { runs } = await new RemoteClient(remote).get<{ runs: RunRecord[] }>(`/api/runs?limit=${encodeURIComponent(opts.limit)}`);
  printRuns(ctx.output, ctx.globals.json, runs);
  return 0;
}

export async function remoteRun(ctx: CommandContext, remote: Remote, id: string): Promise<number> {
  const { run } = await new RemoteClient(remote).get<{ run: RunRecord }>(`/api/runs/${encodeURIComponent(id)}`);
  printRun(ctx.output, ctx.globals.json, run);
  return 0;
}

/** The server takes the snapshot of what runs in the environment; the lock is written here (stdout or -o). */
export async function remoteSnapshot(ctx: CommandContext, remote: Remote, opts: { env: string; out?: string; allowPartial?: boolean }): Promise<number> {
  const snapshot = await new RemoteClient(remote).get<Snapshot>(`/api/environments/${encodeURIComponent(opts.env)}/snapshot${opts.allowPartial === true ? "?allowPartial=true" : ""}`);
  return writeSnapshot(ctx, snapshot, opts);
}

export async function remoteApprove(ctx: CommandContext, remote: Remote, releaseId: string, opts: { comment?: string; env?: string }): Promise<number> {
  if (opts.env !== undefined) throw new SlipwayError("USAGE", "environment approvals (approve --env) are recorded on this machine only; the server has no route for them yet", { hint: "run it without --server on the machine that holds the state store" });
  const client = new RemoteClient(remote);
  const result = await client.post<ApproveResult>(`/api/releases/${encodeURIComponent(releaseId)}/approve`, opts.comment === undefined ? {} : { comment: opts.comment });
  const { user } = await client.get<{ user: string }>("/api/session");
  printApproved(ctx.output, ctx.globals.json, releaseId, user, result);
  return 0;
}

export async function remoteReject(ctx: CommandContext, remote: Remote, releaseId: string, opts: { reason: string }): Promise<number> {
  const { release } = await new RemoteClient(remote).post<{ release: ReleaseRecord }>(`/api/releases/${encodeURIComponent(releaseId)}/reject`, { reason: opts.reason });
  printRejected(ctx.output, ctx.globals.json, release);
  return 0;
}

export async function remoteRolloutStatus(ctx: CommandContext, remote: Remote, service: string, opts: { env: string }): Promise<number> {
  printRolloutStatus(ctx.output, ctx.globals.json, await new RemoteClient(remote).get<RolloutStatus>(`${rolloutPath(opts.env, service)}/rollout`));
  return 0;
}

const pausedByHand = (s: RolloutState): boolean => s.userPaused || s.pause?.kind === "manual";

/** Records the deploy on the server, then follows the rollout there until done or paused by hand. */
export async function remoteDeploy(ctx: CommandContext, remote: Remote, service: string, opts: { env: string; version?: string; digest?: string }): Promise<number> {
  const client = new RemoteClient(remote);
  const answer = await client.post<{ rolloutId?: string; alreadyServes?: string }>(`${rolloutPath(opts.env, service)}/deploy`, { ...(opts.version === undefined ? {} : { version: opts.version }), ...(opts.digest === undefined ? {} : { digest: opts.digest }) });
  if (answer.alreadyServes !== undefined) {
    ctx.output.out(`${service} in ${opts.env} already runs ${answer.alreadyServes}; nothing to roll out`);
    return 0;
  }
  ctx.output.out(`rollout ${answer.rolloutId ?? "?"}: ${service} in ${opts.env}, recorded on ${remote.url}; its controller drives it`);
  return follow(ctx, client, service, opts.env, pausedByHand, "healthy");
}

/** pause|resume|promote|abort|retry|watch, undo and rollback on the server; then follows as the local commands do. */
export async function remoteRolloutAction(ctx: CommandContext, remote: Remote, action: string, service: string, opts: { env: string; full?: boolean; reason?: string; toRevision?: string; lastGood?: boolean }): Promise<number> {
  const client = new RemoteClient(remote);
  const base = rolloutPath(opts.env, service);
  if (action === "rollback") await client.post(`${base}/rollback`);
  else if (action === "undo") await client.post(`${base}/undo`, opts.toRevision === undefined ? {} : { toRevision: Number(opts.toRevision) });
  else if (action !== "watch") await client.post(`${base}/rollout/${action}`, { ...(opts.full === true ? { full: true } : {}), ...(opts.reason === undefined ? {} : { reason: opts.reason }) });
  const stopWhen = action === "pause" ? (s: RolloutState) => s.userPaused : action === "undo" || action === "rollback" ? () => false : pausedByHand;
  return follow(ctx, client, service, opts.env, stopWhen, action === "abort" || (action === "undo" && opts.toRevision === undefined) ? "aborted-or-healthy" : "healthy");
}

/**
 * Prints the server's rollout as it changes, until it ends or `stopWhen`
 * holds; exit 0 when it ended as expected. It reads the rollout again as soon
 * as the server's event stream reports progress of this service (its
 * controller's steps), and every 0.5 s in any case (a stream that breaks off
 * only makes it slower).
 */
async function follow(ctx: CommandContext, client: RemoteClient, service: string, env: string, stopWhen: (s: RolloutState) => boolean, expected: "healthy" | "aborted-or-healthy"): Promise<number> {
  const stream = new AbortController();
  const wake = new WakeSignal();
  client
    .events(stream.signal, (type, data) => {
      const about = data as { service?: unknown; environment?: unknown } | undefined;
      if (type.startsWith("rollout.") && about?.service === service && about.environment === env) wake.nudge();
    })
    .catch(() => undefined);
  try {
    return await followRollout(ctx, client, service, env, stopWhen, expected, wake);
  } finally {
    stream.abort();
  }
}

async function followRollout(ctx: CommandContext, client: RemoteClient, service: string, env: string, stopWhen: (s: RolloutState) => boolean, expected: "healthy" | "aborted-or-healthy", wake: WakeSignal): Promise<number> {
  let last = "";
  const never = new AbortController().signal;
  for (;;) {
    wake.clear();
    const { rollout, commandPending } = await client.get<{ rollout: RolloutRecord; commandPending: boolean }>(`${rolloutPath(env, service)}/rollout`);
    const line = `${rollout.state.phase}${rollout.state.userPaused ? " (paused)" : ""} · ${rollout.state.message ?? ""}`;
    if (line !== last && !ctx.globals.json) ctx.output.out(line);
    last = line;
    if (rollout.finished) {
      if (ctx.globals.json) ctx.output.out(JSON.stringify({ rollout: rollout.id, end: "complete", outcome: rollout.outcome, state: rollout.state }));
      const ok = rollout.outcome === "healthy" || (expected === "aborted-or-healthy" && rollout.outcome === "aborted");
      return ok ? 0 : 1;
    }
    if (!commandPending && stopWhen(rollout.state)) return 0;
    // A settled state is recorded as finished a moment after the step reports it: look again soon.
    await wake.sleep(["healthy", "aborted", "degraded"].includes(rollout.state.phase) ? 50 : 500, never);
  }
}

/** One server-sent event's name and data (JSON when it parses). */
export function parseServerSentEvent(block: string): { type: string | undefined; data: unknown } {
  let type: string | undefined;
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) type = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  const text = data.join("\n");
  try {
    return { type, data: JSON.parse(text) };
  } catch {
    return { type, data: text };
  }
}
