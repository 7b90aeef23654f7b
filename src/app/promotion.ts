// Promotion between environments, as the application layer sees it: what
// each environment runs (its lock), and the facts the promotion gate
// (domain/promotion-path.ts) judges — test runs in the source environment
// with what they had deployed, compatibility runs against the target, since when each digest serves there, health,
// and the target's approvals. `slipway status` and `slipway promote` ask the
// same gate.
import { loadSystem, type LoadedSystem } from "../config/load-system.js";
import { servingRevision } from "../delivery/controller/begin-rollout.js";
import type { RolloutRecord, RolloutStore } from "../delivery/controller/store-port.js";
import { SlipwayError } from "../domain/errors.js";
import { expandOwners, sameIdentity } from "../domain/release-policy.js";
import { findNamed } from "../domain/unknown-name.js";
import type { Identity } from "../release/identity.js";
import { type EvidenceRun, type GateVerdict, type Lock, lockDifference, PromotionPath, promotionGate, type SourceFacts } from "../domain/promotion-path.js";
import { SqliteCompatibilityRunStore } from "../store/sqlite/compatibility-run-store.js";
import { SqliteEnvironmentApprovalStore } from "../store/sqlite/environment-approval-store.js";
import { SqliteIntegrationRunStore } from "../store/sqlite/integration-run-store.js";
import { SqliteLoadTestRunStore } from "../store/sqlite/load-test-run-store.js";
import { SqliteReleaseStore } from "../store/sqlite/release-store.js";
import { SqliteRolloutStore } from "../store/sqlite/rollout-store.js";
import type { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { withStateStore } from "./state-store.js";

/** How many recent runs per kind the gate looks through for evidence. */
const EVIDENCE_WINDOW = 200;

const digestOf = (image: string): string => image.split("@")[1] ?? image;

/** What the environment serves: service → digest, for services deployed there (not undeployed). */
export function environmentLock(rollouts: RolloutStore, system: LoadedSystem, environment: string): Record<string, string> {
  const lock: Record<string, string> = {};
  for (const service of system.services) {
    const scope = { system: system.config.system, environment, service: service.config.name };
    const serving = servingRevision(rollouts.latestRollout(scope));
    const revision = rollouts.listRevisions(scope).find((r) => r.name === serving);
    if (revision !== undefined) lock[service.config.name] = digestOf(revision.image);
  }
  return lock;
}

/**
 * Since when (ms) the service has served `digest` in the environment without
 * a break: the end of the oldest rollout in the newest run of finished
 * rollouts that all left it serving that digest. Undefined while a rollout
 * is in flight or when nothing recorded says.
 */
export function servingSinceMs(rollouts: RolloutStore, scope: { system: string; environment: string; service: string }, digest: string): number | undefined {
  const start = windowStart(rollouts, scope, digest);
  return start === undefined ? undefined : Date.parse(start.updatedAt);
}

/** The finished rollout whose end began the service's unbroken run of serving `digest` (servingSinceMs is its end). */
export function windowStart(rollouts: RolloutStore, scope: { system: string; environment: string; service: string }, digest: string): RolloutRecord | undefined {
  const images = new Map(rollouts.listRevisions(scope).map((r) => [r.name, digestOf(r.image)]));
  let start: RolloutRecord | undefined;
  for (const rollout of rollouts.listRollouts(scope, 50)) {
    if (!rollout.finished) return start;
    if (images.get(servingRevision(rollout) ?? "") !== digest) break;
    start = rollout;
  }
  return start;
}

/** Integration test and load test runs in the environment, with what they had deployed. */
export function evidenceIn(store: SqliteStore, system: string, environment: string): EvidenceRun[] {
  const integration = new SqliteIntegrationRunStore(store.db).list(system, environment, EVIDENCE_WINDOW);
  const load = new SqliteLoadTestRunStore(store.db).list(system, environment, EVIDENCE_WINDOW);
  return [
    ...integration.map((r) => ({ kind: "integration-test" as const, environment: r.environment, status: r.status, deployed: r.deployed })),
    ...load.map((r) => ({ kind: "load-test" as const, environment: r.environment, status: r.status, deployed: r.deployed })),
  ];
}

/** Compatibility runs against the target (`slipway test --env <target> --mixed S`): the mix tested and the target lock it was taken from. */
export function compatibilityEvidenceFor(store: SqliteStore, system: string, target: string): EvidenceRun[] {
  return new SqliteCompatibilityRunStore(store.db).list(system, target, EVIDENCE_WINDOW).map((r) => ({ kind: "compatibility" as const, environment: r.environment, status: r.status, deployed: r.mixedLock, mixed: { service: r.service, against: r.targetLock } }));
}

/** Per service of the lock: who approved its digest for the environment and counts under the environment's `approvers`. */
export function environmentApprovals(store: SqliteStore, system: LoadedSystem, environment: string, lock: Lock): Record<string, string[]> {
  const rules = system.config.environments.find((e) => e.name === environment)?.promotion;
  const approvals = new SqliteEnvironmentApprovalStore(store.db);
  const out: Record<string, string[]> = {};
  for (const [service, digest] of Object.entries(lock)) {
    const owners = expandOwners(system.services.find((s) => s.config.name === service)?.config.owners ?? [], system.config.teams);
    const counts = (who: string): boolean => rules?.approvers === "anyone" || owners.some((o) => sameIdentity(o, who));
    out[service] = approvals
      .list(system.config.system, environment, service, digest)
      .map((a) => a.approver)
      .filter(counts);
  }
  return out;
}

/**
 * May `lock` enter `target` now? Gathers the facts from the store; `unhealthy`
 * says which services of the source environment are not healthy now, and why
 * (from the runtime and router, as `slipway status` judges them).
 */
export function promotionVerdict(system: LoadedSystem, store: SqliteStore, target: string, lock: Lock, unhealthy: Readonly<Record<string, string>>, nowMs = Date.now(), analysis?: SourceFacts["analysis"]): GateVerdict {
  const path = PromotionPath.of(system.config.environments);
  const rollouts = new SqliteRolloutStore(store.db);
  const source = path.predecessor(target);
  const name = system.config.system;
  const current = environmentLock(rollouts, system, target);
  const sourceLock = source === undefined ? {} : environmentLock(rollouts, system, source);
  const servingSince: Record<string, number> = {};
  if (source !== undefined) {
    for (const service of lockDifference(lock, current)) {
      const digest = lock[service];
      const since = digest === undefined || sourceLock[service] !== digest ? undefined : servingSinceMs(rollouts, { system: name, environment: source, service }, digest);
      if (since !== undefined) servingSince[service] = since;
    }
  }
  return promotionGate(path, target, {
    lock,
    current,
    source: { lock: sourceLock, servingSinceMs: servingSince, unhealthy, ...(analysis === undefined ? {} : { analysis }) },
    evidence: source === undefined ? [] : [...evidenceIn(store, name, source), ...compatibilityEvidenceFor(store, name, target)],
    approvedBy: environmentApprovals(store, system, target, lock),
    nowMs,
  });
}

export interface EnvironmentApprovalResult {
  environment: string;
  service: string;
  digest: string;
  approver: string;
  /** Approvals that count for this digest and environment, this one included. */
  counted: number;
  needed: number;
  /** False when this person had approved it already. */
  added: boolean;
}

/**
 * Approves `service` at `digest` (default: what the environment it is
 * promoted from serves) to enter `environment`, as `identity`; owners-only
 * environments refuse anyone else, naming the owners. Audited.
 */
export async function approveEnvironmentEntry(config: string, identity: Identity, environment: string, service: string, opts: { digest?: string; comment?: string }): Promise<EnvironmentApprovalResult> {
  const system = await loadSystem(config);
  const env = findNamed("environment", environment, system.config.environments, (e) => e.name, system.config.system);
  const loaded = findNamed("service", service, system.services, (s) => s.config.name, system.config.system);
  const rules = env.promotion;
  if (rules === undefined || rules.approvals === 0) {
    throw new SlipwayError("USAGE", `environment "${environment}" asks for no approvals`, { hint: `set environments[].promotion.approvals for "${environment}" in slipway.yaml to require them` });
  }
  const owners = expandOwners(loaded.config.owners, system.config.teams);
  if (rules.approvers === "owners" && !owners.some((o) => sameIdentity(o, identity.name))) {
    throw new SlipwayError("APPROVAL_REFUSED", `${identity.name} is not an owner of ${service}; ${environment} counts only its owners' approvals`, { hint: `owners: ${owners.join(", ") || "none"} (or set approvers: anyone on ${environment})` });
  }
  return withStateStore(config, (store) => {
    const source = PromotionPath.of(system.config.environments).predecessor(environment);
    const digest = opts.digest ?? (source === undefined ? undefined : environmentLock(new SqliteRolloutStore(store.db), system, source)[service]);
    if (digest === undefined) throw new SlipwayError("USAGE", `${service} is not deployed in ${source ?? "the environment before " + environment}, so there is no digest to approve`, { hint: `name it: slipway approve --env ${environment} ${service}@sha256:…` });
    const at = new Date().toISOString();
    const added = new SqliteEnvironmentApprovalStore(store.db).add({ system: system.config.system, environment, service, digest, approver: identity.name, at, ...(opts.comment === undefined ? {} : { comment: opts.comment }) });
    if (added) new SqliteReleaseStore(store.db).appendAudit({ actor: identity.name, action: "environment.approve", subject: `${service}@${digest}`, detail: { environment, ...(opts.comment === undefined ? {} : { comment: opts.comment }) } });
    const counted = environmentApprovals(store, system, environment, { [service]: digest })[service]?.length ?? 0;
    return { environment, service, digest, approver: identity.name, counted, needed: rules.approvals, added };
  });
}
