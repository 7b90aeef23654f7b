// The API's routes over the application layer. Reads answer from the store
// (and the runtime, for status); writes record what is wanted and return:
// this process's controllers drive every rollout, and the event stream
// (/api/events) shows it move.
import { identityOf } from "../app/auth.js";
import { deploy } from "../app/deploy.js";
import { promote } from "../app/promote.js";
import { rollbackToLock } from "../app/rollback-to-lock.js";
import { lockHistory, lockHistoryEntry } from "../app/history.js";
import { withEnvironment } from "../app/environment.js";
import { getRun, listRuns, runView, stageLog } from "../app/pipeline.js";
import { approveRelease, auditLog, listReleases, rejectRelease, releaseServices, verifyAuditLog } from "../app/release.js";
import { takeSnapshot } from "../app/recovery.js";
import { rolloutAction, rolloutStatus, undo } from "../app/rollout.js";
import { statusReport } from "../app/status.js";
import { loadSystem } from "../config/load-system.js";
import type { DriveResult } from "../app/drive.js";
import type { EnvironmentConfig } from "../domain/config-schema.js";
import { PromotionPath } from "../domain/promotion-path.js";
import {
  ApproveBody,
  DeployBody,
  EmptyBody,
  EnvLockParams,
  EnvParams,
  EnvServiceParams,
  FollowQuery,
  GroupChangeResponse,
  LimitQuery,
  RecordedResponse,
  PromoteBody,
  RejectBody,
  ReleaseBody,
  ReleaseIdParams,
  ReleasesQuery,
  SnapshotQuery,
  RolloutActionBody,
  RoleBody,
  RolloutActionParams,
  RunIdParams,
  SessionResponse,
  StageLogParams,
  TokenBody,
  TokenIdParams,
  UserBody,
  UserNameParams,
  StatusQuery,
  UndoBody,
} from "./api-schemas.js";
import { startGroupChange } from "./group-change.js";
import { route, type Route } from "./route.js";

/** Root first, each environment after the one it is promoted from (promotedFrom, default the one declared before it). */
function environmentsInPromotionOrder(environments: readonly EnvironmentConfig[]): { name: string; runtime: string; registry: string; promotedFrom?: string }[] {
  const path = PromotionPath.of(environments);
  return path.order.map((name) => {
    const e = environments.find((x) => x.name === name) as EnvironmentConfig;
    const from = path.predecessor(name);
    return { name, runtime: e.runtime, registry: e.registry, ...(from === undefined ? {} : { promotedFrom: from }) };
  });
}

const recorded = (r: DriveResult): { rolloutId: string; state: unknown } => ({ rolloutId: r.rolloutId, state: r.end.state });
const envService = ({ params }: { params: { env: string; service: string } }): string => `${params.service} in ${params.env}`;

export const routes: Route[] = [
  route({
    method: "get",
    path: "/api/session",
    summary: "who is calling, with the CSRF token a browser session sends back on every mutating request",
    tag: "auth",
    permission: "read",
    response: SessionResponse,
    handle: ({ principal, csrf }) => ({ user: principal.name, role: principal.role, via: principal.via, ...(csrf === undefined ? {} : { csrfToken: csrf }) }),
  }),
  route({
    method: "get",
    path: "/api/system",
    summary: "the system: environments in promotion order (each with the one it is promoted from), services with owners and dependencies",
    tag: "status",
    permission: "read",
    handle: async ({ host }) => {
      const system = await loadSystem(host.config);
      return {
        system: system.config.system,
        environments: environmentsInPromotionOrder(system.config.environments),
        services: system.services.map((s) => ({ name: s.config.name, owners: s.config.owners, dependsOn: s.config.dependsOn, strategy: s.config.strategy.canary ? "canary" : s.config.strategy.blueGreen ? "blue-green" : "rolling" })),
      };
    },
  }),
  route<Record<string, never>, { env?: string }>({
    method: "get",
    path: "/api/status",
    summary: "environment × service: version, digest, ready instances, traffic split, rollout state; where each environment lags the one it is promoted from, and why it is blocked",
    tag: "status",
    permission: "read",
    query: StatusQuery,
    handle: async ({ host, query }) => statusReport(host.config, query),
  }),
  route<{ env: string; service: string }>({
    method: "get",
    path: "/api/environments/:env/services/:service/rollout",
    summary: "the service's latest rollout: phase, step, weights, analyses, revisions",
    tag: "rollouts",
    permission: "read",
    params: EnvServiceParams,
    handle: ({ host, params }) => withEnvironment(host.config, params.env, async (session) => rolloutStatus(session, params.service)),
  }),
  route<{ env: string; service: string }>({
    method: "get",
    path: "/api/environments/:env/services/:service/traffic",
    summary: "per-revision request rate, error rate and p95 latency from the environment's router, one point a second for the last five minutes (sampled while asked for: the first answer starts it)",
    tag: "rollouts",
    permission: "read",
    params: EnvServiceParams,
    handle: ({ host, params }) => host.traffic.series(params.env, params.service),
  }),
  route<{ env: string; service: string }, Record<string, never>, { version?: string; digest?: string }>({
    method: "post",
    path: "/api/environments/:env/services/:service/deploy",
    summary: "start a rollout of the service (a released version for prod environments, else CI's newest build or a digest)",
    tag: "rollouts",
    permission: "deploy",
    params: EnvServiceParams,
    body: DeployBody,
    response: RecordedResponse,
    status: 202,
    subject: envService,
    handle: ({ host, params, body, principal }) =>
      withEnvironment(host.config, params.env, async (session) => {
        const result = await deploy(session, { service: params.service, ...body }, { reporter: host.hub, recordOnly: true, actor: principal.name });
        return result.kind === "already-serves" ? { alreadyServes: result.image, endpoints: result.endpoints } : recorded(result);
      }),
  }),
  route<{ env: string; service: string; action: "pause" | "resume" | "promote" | "abort" | "retry" }, Record<string, never>, { full?: boolean; reason?: string }>({
    method: "post",
    path: "/api/environments/:env/services/:service/rollout/:action",
    summary: "steer the rollout in flight: pause, resume, promote (full: skip every step), abort, or retry an aborted one",
    tag: "rollouts",
    permission: "deploy",
    params: RolloutActionParams,
    body: RolloutActionBody,
    response: RecordedResponse,
    status: 202,
    subject: ({ params }) => `${params.action} ${params.service} in ${params.env}`,
    handle: ({ host, params, body }) =>
      withEnvironment(host.config, params.env, async (session) => {
        const result = await rolloutAction(session, params.action, params.service, body, { reporter: host.hub, recordOnly: true });
        return result.kind === "already-finished" ? { rolloutId: result.rollout.id, finished: result.rollout.outcome ?? "finished" } : recorded(result);
      }),
  }),
  route<{ env: string; service: string }, Record<string, never>, { toRevision?: number }>({
    method: "post",
    path: "/api/environments/:env/services/:service/undo",
    summary: "abort the rollout in flight, or roll back to the previous (or a given) revision",
    tag: "rollouts",
    permission: "deploy",
    params: EnvServiceParams,
    body: UndoBody,
    response: RecordedResponse,
    status: 202,
    subject: envService,
    handle: ({ host, params, body, principal }) =>
      withEnvironment(host.config, params.env, async (session) =>
        recorded(await undo(session, params.service, body.toRevision === undefined ? {} : { toRevision: String(body.toRevision) }, { reporter: host.hub, recordOnly: true, actor: principal.name })),
      ),
  }),
  route<{ env: string; service: string }>({
    method: "post",
    path: "/api/environments/:env/services/:service/rollback",
    summary: "abort the rollout in flight, or return to the last revision that served healthily",
    tag: "rollouts",
    permission: "deploy",
    params: EnvServiceParams,
    body: EmptyBody,
    response: RecordedResponse,
    status: 202,
    subject: envService,
    handle: ({ host, params, principal }) => withEnvironment(host.config, params.env, async (session) => recorded(await undo(session, params.service, { lastGood: true }, { reporter: host.hub, recordOnly: true, actor: principal.name }))),
  }),
  route<{ env: string }, Record<string, never>, { from: string }>({
    method: "post",
    path: "/api/environments/:env/promote",
    summary: "promote the lock of `from` into the environment as one group (`slipway promote`), as the caller; answers once it has started — its groupId, whose group.* events on /api/events show it move and end — or when there is nothing to do",
    tag: "rollouts",
    permission: "deploy",
    params: EnvParams,
    body: PromoteBody,
    response: GroupChangeResponse,
    status: 202,
    subject: ({ params, body }) => `promote ${body.from} → ${params.env}`,
    handle: ({ host, params, body, principal }) =>
      startGroupChange(host, params.env, (reporter, ownController) => promote(host.config, { from: body.from, to: params.env }, { reporter, identity: identityOf(principal), ownController, signal: host.stopping })),
  }),
  route<{ env: string; number: number }>({
    method: "post",
    path: "/api/environments/:env/history/:number/rollback",
    summary: "roll the whole system in the environment back to this lock of its history (`slipway rollback --to-lock`), as the caller; answers as a promotion does",
    tag: "rollouts",
    permission: "deploy",
    params: EnvLockParams,
    body: EmptyBody,
    response: GroupChangeResponse,
    status: 202,
    subject: ({ params }) => `rollback ${params.env} to lock ${params.number}`,
    handle: ({ host, params, principal }) =>
      startGroupChange(host, params.env, (reporter, ownController) => rollbackToLock(host.config, params.env, params.number, { reporter, identity: identityOf(principal), ownController, signal: host.stopping })),
  }),
  route<{ env: string }, { limit?: number }>({
    method: "get",
    path: "/api/environments/:env/history",
    summary: "the environment's lock history, newest first: each change of its digests with the resulting lock, what changed, who, when, the result",
    tag: "status",
    permission: "read",
    params: EnvParams,
    query: LimitQuery,
    handle: async ({ host, params, query }) => ({ locks: await lockHistory(host.config, params.env, query.limit ?? 50) }),
  }),
  route<{ env: string; number: number }>({
    method: "get",
    path: "/api/environments/:env/history/:number",
    summary: "one lock of the environment's history: per service the image pinned by digest, version, revision, replicas and template",
    tag: "status",
    permission: "read",
    params: EnvLockParams,
    handle: async ({ host, params }) => ({ lock: await lockHistoryEntry(host.config, params.env, params.number) }),
  }),
  route<{ env: string }, { allowPartial?: "true" | "false" }>({
    method: "get",
    path: "/api/environments/:env/snapshot",
    summary: "the environment's system lock now (`slipway snapshot`): per service in dependency order the serving image pinned by digest, version, template (secrets by name only), replicas and strategy; a service in a rollout or without a ready instance is refused by name unless allowPartial=true leaves it out",
    tag: "status",
    permission: "read",
    params: EnvParams,
    query: SnapshotQuery,
    handle: ({ host, params, query }) => withEnvironment(host.config, params.env, (session) => takeSnapshot(session, { allowPartial: query.allowPartial === "true" })),
  }),
  route<Record<string, never>, { service?: string }>({
    method: "get",
    path: "/api/releases",
    summary: "per service: CI's tested digest and every release with its approvals and signature status",
    tag: "releases",
    permission: "read",
    query: ReleasesQuery,
    handle: async ({ host, query }) => ({ services: await listReleases(host.config, query.service) }),
  }),
  route<Record<string, never>, Record<string, never>, { services: string[]; version?: string; prerelease?: string; all?: boolean }>({
    method: "post",
    path: "/api/releases",
    summary: "promote the digests CI tested to the prod registry under the release policy (as the caller)",
    tag: "releases",
    permission: "deploy",
    body: ReleaseBody,
    subject: ({ body }) => (body.all === true ? "all services" : body.services.join(", ")),
    handle: async ({ host, principal, body }) => {
      const { services, ...opts } = body;
      const result = await releaseServices(host.config, identityOf(principal), services, opts);
      for (const outcome of result.kind === "done" ? result.outcomes : []) host.hub.emit({ type: "release.changed", release: outcome.release.id, action: outcome.kind, actor: principal.name });
      return result;
    },
  }),
  route<{ id: string }, Record<string, never>, { comment?: string }>({
    method: "post",
    path: "/api/releases/:id/approve",
    summary: "approve a waiting release as the caller; it counts only from an owner of the service who did not request it",
    tag: "releases",
    permission: "approve",
    params: ReleaseIdParams,
    body: ApproveBody,
    subject: ({ params }) => params.id,
    handle: async ({ host, principal, params, body }) => {
      const result = await approveRelease(host.config, identityOf(principal), params.id, body.comment);
      host.hub.emit({ type: "release.changed", release: params.id, action: "approved", actor: principal.name });
      return result;
    },
  }),
  route<{ id: string }, Record<string, never>, { reason: string }>({
    method: "post",
    path: "/api/releases/:id/reject",
    summary: "reject a waiting release as the caller (an owner of the service), saying why: it becomes refused",
    tag: "releases",
    permission: "approve",
    params: ReleaseIdParams,
    body: RejectBody,
    subject: ({ params }) => params.id,
    handle: async ({ host, principal, params, body }) => {
      const release = await rejectRelease(host.config, identityOf(principal), params.id, body.reason);
      host.hub.emit({ type: "release.changed", release: params.id, action: "rejected", actor: principal.name });
      return { release };
    },
  }),
  route<Record<string, never>, { limit?: number }>({
    method: "get",
    path: "/api/audit",
    summary: "the newest entries of the hash-chained audit log",
    tag: "audit",
    permission: "read",
    query: LimitQuery,
    handle: async ({ host, query }) => ({ entries: await auditLog(host.config, query.limit ?? 50) }),
  }),
  route({
    method: "get",
    path: "/api/audit/verify",
    summary: "check the audit log's hash chain",
    tag: "audit",
    permission: "read",
    handle: ({ host }) => verifyAuditLog(host.config),
  }),
  route<Record<string, never>, { limit?: number }>({
    method: "get",
    path: "/api/runs",
    summary: "pipeline runs, newest first",
    tag: "ci",
    permission: "read",
    query: LimitQuery,
    handle: async ({ host, query }) => ({ runs: await listRuns(host.config, query.limit ?? 20) }),
  }),
  route<{ id: string }>({
    method: "get",
    path: "/api/runs/:id",
    summary: "one pipeline run: its record, and its view — each service with the ones it is built after (the DAG) and each stage's state, live while it runs",
    tag: "ci",
    permission: "read",
    params: RunIdParams,
    handle: async ({ host, params }) => ({ run: await getRun(host.config, params.id), view: await runView(host.config, params.id) }),
  }),
  route<{ id: string; service: string; stage: string }, { follow?: "true" | "false" }>({
    method: "get",
    path: "/api/runs/:id/logs/:service/:stage",
    summary: "a stage's log (secrets masked), streamed as text while the stage writes it; ?follow=false for what is there now",
    tag: "ci",
    permission: "read",
    params: StageLogParams,
    query: FollowQuery,
    produces: "text",
    handle: async ({ host, params, query, signal }) => {
      const follow = new AbortController();
      if (query.follow === "false") follow.abort();
      signal.addEventListener("abort", () => follow.abort(), { once: true });
      const log = await stageLog(host.config, params.id, params.service, params.stage, follow.signal);
      const encoder = new TextEncoder();
      const iterator = log.chunks[Symbol.asyncIterator]();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await iterator.next();
          if (next.done === true) controller.close();
          else controller.enqueue(encoder.encode(next.value));
        },
        cancel: () => follow.abort(),
      });
      return new Response(body, { headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" } });
    },
  }),
  route({
    method: "get",
    path: "/api/users",
    summary: "the users of this server with their roles (never their password hashes)",
    tag: "users",
    permission: "admin",
    handle: ({ host }) => ({ users: host.auth.listUsers() }),
  }),
  route<Record<string, never>, Record<string, never>, { name: string; role: string; password?: string }>({
    method: "post",
    path: "/api/users",
    summary: "add a user (`slipway users add`); without a password, the user works with API tokens only",
    tag: "users",
    permission: "admin",
    body: UserBody,
    subject: ({ body }) => `user ${body.name}`,
    handle: async ({ host, principal, body }) => {
      const user = await host.auth.addUser(identityOf(principal), body);
      return { user: { name: user.name, role: user.role, password: user.passwordHash !== undefined, createdAt: user.createdAt } };
    },
  }),
  route<{ name: string }>({
    method: "post",
    path: "/api/users/:name/remove",
    summary: "remove a user (`slipway users remove`): their API tokens and sessions stop working at once; never the last admin",
    tag: "users",
    permission: "admin",
    params: UserNameParams,
    body: EmptyBody,
    subject: ({ params }) => `user ${params.name}`,
    handle: ({ host, principal, params }) => ({ removed: host.auth.removeUser(identityOf(principal), params.name) }),
  }),
  route<{ name: string }, Record<string, never>, { role: string }>({
    method: "post",
    path: "/api/users/:name/role",
    summary: "change a user's role (`slipway users set-role`), for their sessions at once; a demotion caps their tokens at the new role; never the last admin's",
    tag: "users",
    permission: "admin",
    params: UserNameParams,
    body: RoleBody,
    subject: ({ params }) => `user ${params.name}`,
    handle: ({ host, principal, params, body }) => ({ changed: host.auth.setRole(identityOf(principal), { name: params.name, role: body.role }) }),
  }),
  route({
    method: "get",
    path: "/api/tokens",
    summary: "API tokens by id, user, role, last use and revocation (never the tokens)",
    tag: "users",
    permission: "admin",
    handle: ({ host }) => ({ tokens: host.auth.listTokens() }),
  }),
  route<Record<string, never>, Record<string, never>, { user: string; role: string; label?: string }>({
    method: "post",
    path: "/api/tokens",
    summary: "create an API token for a user (`slipway token create`): the answer holds it this once; only its sha256 is kept",
    tag: "users",
    permission: "admin",
    body: TokenBody,
    subject: ({ body }) => `token for ${body.user}`,
    handle: ({ host, principal, body }) => {
      const { token, record } = host.auth.createToken(identityOf(principal), body);
      return { token, id: record.id, user: record.user, role: record.role, ...(record.label === undefined ? {} : { label: record.label }) };
    },
  }),
  route<{ id: string }>({
    method: "post",
    path: "/api/tokens/:id/revoke",
    summary: "revoke an API token (`slipway token revoke`); it stops working at once",
    tag: "users",
    permission: "admin",
    params: TokenIdParams,
    body: EmptyBody,
    subject: ({ params }) => `token ${params.id}`,
    handle: ({ host, principal, params }) => {
      host.auth.revokeToken(identityOf(principal), params.id);
      return { revoked: params.id };
    },
  }),
];
