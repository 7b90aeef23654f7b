// `slipway promote --from staging --to prod`: the whole system as one group.
// It takes the source environment's lock (the digests that serve there
// together), refuses what the target's promotion rules refuse (promotion.ts), releases what the target
// needs released and is not yet (the release flow: policies, approvals,
// signatures), then rolls out every changed service in dependency order, each
// with its own strategy, through the rollout controller. After each service
// settles, the group's health gate checks every service the group changed so
// far. If a rollout aborts, its analysis fails or the gate finds a service
// unhealthy, the services already promoted roll back too, dependents first,
// and the target must end exactly on its previous lock (digests compared).
// The history gets one entry for the group. ADR 22 explains the design.
import { randomBytes } from "node:crypto";
import { loadSystem, type LoadedSystem } from "../config/load-system.js";
import { SlipwayError } from "../domain/errors.js";
import { PromotionPath } from "../domain/promotion-path.js";
import { digestMismatches, digestOf, lockDigests, type LockChange, type LockHistoryEntry } from "../domain/lock-history.js";
import { currentIdentity, type Identity } from "../release/identity.js";
import { SqliteLockHistoryStore } from "../store/sqlite/lock-history-store.js";
import { SqlitePipelineRunStore } from "../store/sqlite/pipeline-run-store.js";
import { SqliteReleaseStore } from "../store/sqlite/release-store.js";
import { deploy } from "./deploy.js";
import { openEnvironmentOf, serviceOf, type EnvironmentSession } from "./environment.js";
import type { Reporter } from "./events.js";
import { acquireGroupLock } from "./group-lock.js";
import { returnToEntry, unhealthyServices, type GroupOptions } from "./group-rollout.js";
import { promotionVerdict } from "./promotion.js";
import { takeSnapshot } from "./recovery.js";
import { releaseServices } from "./release.js";
import { soakAnalysisOrWhyNot } from "./soak-analysis.js";
import { serviceStatus } from "./status.js";

export interface PromoteRequest {
  from: string;
  to: string;
}

export type PromoteResult =
  | { kind: "up-to-date"; from: string; to: string; lock: Record<string, string> }
  | { kind: "promoted"; from: string; to: string; promoted: string[]; entry: LockHistoryEntry }
  /** A service failed; the group is back on the previous lock (`restored`), or not quite (`mismatches`). */
  | { kind: "rolled-back"; from: string; to: string; failed: string; reason: string; rolledBack: string[]; mismatches: string[]; entry: LockHistoryEntry };

export interface PromoteOptions extends Pick<GroupOptions, "ownController"> {
  reporter: Reporter;
  identity?: Identity;
  signal?: AbortSignal;
}

export async function promote(config: string, request: PromoteRequest, options: PromoteOptions): Promise<PromoteResult> {
  const system = await loadSystem(config);
  checkPath(system, request);
  const identity = options.identity ?? currentIdentity();
  const source = openEnvironmentOf(system, request.from);
  const target = openEnvironmentOf(system, request.to, source.store);
  try {
    const lock = acquireGroupLock(system.stateDir, request.to, { actor: identity.name, what: `a promotion ${request.from} → ${request.to}` });
    try {
      return await promoteLocked(config, source, target, identity, options);
    } finally {
      lock.release();
    }
  } finally {
    target.close();
    source.close();
  }
}

/** `to` must be promoted from `from` on the promotion path (promotedFrom, default the environment declared before). */
function checkPath(system: LoadedSystem, request: PromoteRequest): void {
  const path = PromotionPath.of(system.config.environments);
  for (const name of [request.from, request.to]) {
    if (path.environment(name) === undefined) throw new SlipwayError("USAGE", `there is no environment "${name}" in ${system.config.system}`, { hint: `the promotion path: ${path.order.join(" → ")}` });
  }
  const before = path.predecessor(request.to);
  if (before !== request.from) {
    throw new SlipwayError("USAGE", before === undefined ? `${request.to} is the first environment: nothing is promoted into it` : `${request.to} is promoted from ${before}, not ${request.from}`, {
      hint: `the promotion path: ${path.order.join(" → ")}`,
    });
  }
}

async function promoteLocked(config: string, source: EnvironmentSession, target: EnvironmentSession, identity: Identity, options: PromoteOptions): Promise<PromoteResult> {
  const system = target.system.config.system;
  const from = source.environment.name;
  const to = target.environment.name;
  const history = new SqliteLockHistoryStore(target.store.db);
  const inFlight = target.rollouts.unfinishedRollouts(system, to);
  if (inFlight.length > 0) {
    throw new SlipwayError("ROLLOUT_IN_PROGRESS", `${to} has ${inFlight.length === 1 ? "a rollout" : "rollouts"} in progress: ${inFlight.map((r) => `${r.state.service} (${r.id})`).join(", ")}; nothing was promoted`, {
      hint: `let ${inFlight.length === 1 ? "it" : "them"} finish or abort (\`slipway rollout abort <service> --env ${to}\`), then promote again`,
    });
  }
  // The digests that serve in the source together: every service settled and ready there.
  const { lock: sourceLock } = await takeSnapshot(source, {});
  const wanted = Object.fromEntries(sourceLock.services.map((s) => [s.service, digestOf(s.image)]));
  const previous = history.currentLock(system, to);
  const current = lockDigests(previous);
  const order = target.system.graph.topologicalOrder().filter((s) => wanted[s] !== undefined && wanted[s] !== current[s]);
  if (order.length === 0) return { kind: "up-to-date", from, to, lock: wanted };

  await checkGate(source, target, wanted);
  await releaseWhatIsNeeded(config, target, order, wanted, identity);

  const groupId = `promote-${new Date().toISOString().replace(/[-:TZ.]/g, "").slice(0, 14)}-${randomBytes(2).toString("hex")}`;
  const group: GroupOptions = { reporter: options.reporter, identity, groupId, actor: identity.name, ...(options.signal === undefined ? {} : { signal: options.signal }), ...(options.ownController === undefined ? {} : { ownController: options.ownController }) };
  options.reporter.emit({ type: "group.started", groupId, environment: to, action: "promote", services: order, detail: `from ${from}` });
  const attempted: LockChange[] = order.map((s) => {
    const was = previous[s];
    const version = sourceLock.services.find((l) => l.service === s)?.version;
    return { service: s, ...(was === undefined ? {} : { from: digestOf(was.image), ...(was.version === undefined ? {} : { fromVersion: was.version }) }), to: wanted[s] ?? "", ...(version === undefined ? {} : { toVersion: version }) };
  });
  const promoted: string[] = [];
  let failure: { service: string; reason: string } | undefined;
  for (const service of order) {
    options.reporter.emit({ type: "group.step", groupId, environment: to, service, message: `${service} → ${(wanted[service] ?? "").slice(0, 19)}` });
    const result = await deploy(target, { service, digest: wanted[service] ?? "" }, { ...group, stopWhen: () => false }).catch((err: unknown) => ({ kind: "error" as const, message: err instanceof Error ? err.message : String(err) }));
    if (result.kind === "error") {
      failure = { service, reason: result.message };
      break;
    }
    if (result.kind === "rolled-out") {
      const end = result.end;
      if (end.kind !== "complete" || end.outcome !== "healthy") {
        failure = { service, reason: end.kind === "complete" ? `its rollout ${result.rolloutId} ended ${end.outcome}${end.state.abortReason ? `: ${end.state.abortReason}` : ""}` : `its rollout ${result.rolloutId} was ${end.kind}` };
        break;
      }
      promoted.push(service);
    }
    const sick = await unhealthyServices(target, promoted);
    if (sick.length > 0) {
      failure = { service, reason: `the group health gate found ${sick.join(", ")}` };
      break;
    }
  }

  if (failure === undefined) {
    const entry = history.append({ system, environment: to, actor: identity.name, action: "promote", result: "promoted", detail: `promoted from ${from} (${groupId}): ${order.join(", ")}`, groupId });
    options.reporter.emit({ type: "group.finished", groupId, environment: to, result: "promoted", detail: entry.detail, lockNumber: entry.number });
    return { kind: "promoted", from, to, promoted: order, entry };
  }

  // Dependents first: what the group changed goes back to the previous lock.
  options.reporter.emit({ type: "group.rollingBack", groupId, environment: to, failed: failure.service, reason: failure.reason });
  const rolledBack: string[] = [];
  const notBack: string[] = [];
  for (const service of [...order].reverse()) {
    const now = lockDigests(history.currentLock(system, to));
    if (now[service] === current[service]) continue;
    const back = await returnToEntry(target, service, previous[service], group).catch((err: unknown) => ({ ok: false, how: err instanceof Error ? err.message : String(err) }));
    options.reporter.emit({ type: "group.step", groupId, environment: to, service, message: back.how });
    if (back.ok) rolledBack.push(service);
    else notBack.push(`${service}: ${back.how}`);
  }
  const mismatches = [...digestMismatches(previous, history.currentLock(system, to)), ...notBack];
  const result = mismatches.length === 0 ? "rolled-back" : "failed";
  const detail = `promotion from ${from} (${groupId}) rolled back: ${failure.service} failed (${failure.reason})${rolledBack.length > 0 ? `; rolled back ${rolledBack.join(", ")}` : ""}${mismatches.length > 0 ? `; NOT on the previous lock: ${mismatches.join("; ")}` : ""}`;
  const entry = history.append({ system, environment: to, actor: identity.name, action: "promote", result, detail, groupId, changes: attempted });
  options.reporter.emit({ type: "group.finished", groupId, environment: to, result, detail, lockNumber: entry.number });
  return { kind: "rolled-back", from, to, failed: failure.service, reason: failure.reason, rolledBack, mismatches, entry };
}

/**
 * The target's promotion rules (evidence in the source for these exact
 * digests, soak, approvals: domain/promotion-path.ts), judged as `slipway
 * status` judges them; an unmet rule stops the promotion before anything
 * rolls out, in words.
 */
async function checkGate(source: EnvironmentSession, target: EnvironmentSession, wanted: Record<string, string>): Promise<void> {
  const unhealthy: Record<string, string> = {};
  for (const service of Object.keys(wanted)) {
    const row = await serviceStatus(source, serviceOf(source.system, service));
    if (row.health !== "healthy") unhealthy[service] = row.health ?? "unknown";
  }
  await source.router.close();
  const verdict = promotionVerdict(target.system, target.store, target.environment.name, wanted, unhealthy, Date.now(), await soakAnalysisOrWhyNot(target.system, target.store, target.environment.name, wanted));
  if (verdict.allowed) return;
  throw new SlipwayError("RELEASE_BLOCKED", `${target.environment.name} does not let the lock of ${source.environment.name} in yet; nothing was rolled out:\n  ${verdict.unmet.map((u) => `${u.rule}: ${u.message}`).join("\n  ")}`, {
    hint: `\`slipway status\` shows what each environment waits for; \`slipway approve --env ${target.environment.name} <service>\` records an approval`,
  });
}

/**
 * A target deploying from the prod registry runs released digests only: each
 * changed digest that is not released yet goes through the release flow
 * (policy, approvals, signature), which promotes the digest CI tested last —
 * so a source digest that is not CI's newest cannot be released here. A
 * blocked release stops the promotion before anything rolls out.
 */
async function releaseWhatIsNeeded(config: string, target: EnvironmentSession, services: readonly string[], wanted: Record<string, string>, identity: Identity): Promise<void> {
  if (target.environment.registry !== "prod") return;
  const releases = new SqliteReleaseStore(target.store.db);
  const runs = new SqlitePipelineRunStore(target.store.db);
  const refusals: string[] = [];
  for (const service of services) {
    const digest = wanted[service] ?? "";
    if (releases.listReleases(service).some((r) => r.digest === digest && r.status === "released")) continue;
    const tested = runs.latestSuccessful(service)?.record.digest;
    if (tested !== digest) {
      refusals.push(`${service}@${digest.slice(0, 19)} is not released, and it is not the digest CI tested last (${tested?.slice(0, 19) ?? "none"}), which is what a release promotes`);
      continue;
    }
    const result = await releaseServices(config, identity, [service], {});
    for (const outcome of result.kind === "done" ? result.outcomes : []) {
      if (outcome.kind === "blocked") refusals.push(`${service}@${outcome.release.version} cannot be released: ${outcome.evaluation.blockers.map((b) => `${b.message} (to go ahead: ${b.howToSatisfy})`).join("; ")}`);
    }
  }
  if (refusals.length > 0) {
    throw new SlipwayError("RELEASE_REFUSED", `cannot promote into ${target.environment.name}; nothing was rolled out:\n  ${refusals.join("\n  ")}`, {
      hint: "satisfy the release policy (`slipway releases`, `slipway approve`), then promote again",
    });
  }
}
