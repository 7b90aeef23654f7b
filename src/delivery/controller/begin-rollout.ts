// Starts a rollout of an image to a service in an environment: records the
// revision (reusing one with the same image and template, as Kubernetes
// finds an old ReplicaSet again) and the rollout with its first state and
// the strategy frozen as it is now. A second rollout while one is in flight
// is refused, naming the one running.
import { randomBytes } from "node:crypto";
import type { Strategy, StrategyKind } from "../../domain/config-schema.js";
import { SlipwayError } from "../../domain/errors.js";
import { startRollout } from "../strategies/start.js";
import { revisionName } from "./revision-template.js";
import type { InstanceTemplate, RevisionRecord, RolloutOrigin, RolloutRecord, RolloutStore, ServiceScope } from "./store-port.js";

export interface RolloutRequest extends ServiceScope {
  image: string;
  version?: string;
  template: InstanceTemplate;
  strategy: Strategy;
  replicas: number;
  nowMs: number;
  /** Who, by which action (the lock history). */
  origin?: RolloutOrigin;
}

export function newRolloutId(service: string, nowMs: number): string {
  return `${service}-${new Date(nowMs).toISOString().replace(/[-:TZ.]/g, "").slice(0, 14)}-${randomBytes(2).toString("hex")}`;
}

export function strategyKind(strategy: Strategy): StrategyKind {
  if (strategy.canary !== undefined) return "canary";
  if (strategy.blueGreen !== undefined) return "blueGreen";
  return "rolling";
}

/** What serves once a rollout settles: its target, or its stable revision when it was aborted; nothing after an undeploy. */
export function servingRevision(rollout: RolloutRecord | undefined): string | undefined {
  if (rollout === undefined || rollout.state.undeployedAtMs !== undefined) return undefined;
  return rollout.state.aborted || rollout.outcome === "aborted" ? rollout.state.stableRevision : rollout.state.targetRevision;
}

/**
 * True when the service's last rollout settled on exactly this image and
 * template — healthy on its target, or aborted back to it as the stable
 * revision: deploying it again changes nothing.
 */
export function alreadyServes(store: RolloutStore, request: Pick<RolloutRequest, "system" | "environment" | "service" | "image" | "template">): boolean {
  const latest = store.latestRollout({ system: request.system, environment: request.environment, service: request.service });
  const settled = latest !== undefined && latest.finished && (latest.outcome === "healthy" || latest.outcome === "aborted");
  return settled && servingRevision(latest) === revisionName(request.image, request.template);
}

export function beginRollout(store: RolloutStore, request: RolloutRequest): RolloutRecord {
  const scope: ServiceScope = { system: request.system, environment: request.environment, service: request.service };
  const latest = store.latestRollout(scope);
  if (latest !== undefined && !latest.finished) throw inFlight(scope, latest.id);

  const name = revisionName(request.image, request.template);
  if (alreadyServes(store, request)) {
    throw new SlipwayError("USAGE", `${request.service} in ${request.environment} already runs ${request.image} (revision ${name})`, {
      hint: "nothing to roll out; `slipway status` shows what runs where",
    });
  }
  const revisions = store.listRevisions(scope);
  const newest = revisions.reduce((max, r) => Math.max(max, r.number), 0);
  const existing = revisions.find((r) => r.name === name);
  const revision: RevisionRecord = {
    ...scope,
    name,
    number: existing !== undefined && existing.number === newest ? existing.number : newest + 1,
    image: request.image,
    ...(request.version === undefined ? {} : { version: request.version }),
    template: request.template,
    createdAt: existing?.createdAt ?? new Date(request.nowMs).toISOString(),
  };
  store.saveRevision(revision);

  const id = newRolloutId(request.service, request.nowMs);
  const state = startRollout({
    id,
    service: request.service,
    environment: request.environment,
    strategy: strategyKind(request.strategy),
    targetRevision: name,
    desiredReplicas: request.replicas,
    nowMs: request.nowMs,
    // After an undeploy nothing serves: a first deployment again.
    ...(latest === undefined || latest.state.undeployedAtMs !== undefined ? {} : { previous: latest.state }),
  });
  store.createRollout({ id, system: request.system, state, strategy: request.strategy, ...(request.origin === undefined ? {} : { origin: request.origin }) });
  return store.getRollout(id) as RolloutRecord;
}

/**
 * Records that nothing serves the service any more — undeployed, or its
 * instances lost with the target they ran on — as a finished rollout to
 * nothing after `latest`: the next rollout is a first deployment.
 */
export function recordNothingServes(store: RolloutStore, system: string, latest: RolloutRecord, nowMs: number, message: string, origin?: RolloutOrigin): void {
  const state = {
    ...startRollout({ id: newRolloutId(latest.state.service, nowMs), service: latest.state.service, environment: latest.state.environment, strategy: latest.state.strategy, targetRevision: latest.state.targetRevision, desiredReplicas: 0, nowMs, previous: latest.state }),
    phase: "healthy" as const,
    scaleDownAt: [],
    undeployedAtMs: nowMs,
    message,
  };
  store.createRollout({ id: state.id, system, state, strategy: latest.strategy, ...(origin === undefined ? {} : { origin }) });
  store.finishRollout(state.id, "healthy");
}

export function inFlight(scope: ServiceScope, id: string): SlipwayError {
  return new SlipwayError("ROLLOUT_IN_PROGRESS", `${scope.service} in ${scope.environment} already has a rollout in progress (${id})`, {
    hint: `follow it with \`slipway rollout watch ${scope.service} --env ${scope.environment}\`, or stop it with \`slipway rollout abort ${scope.service} --env ${scope.environment}\``,
  });
}

/**
 * `slipway rollback`: the revision that served healthily before the one
 * serving now — unlike `rollout undo` (Kubernetes' "newest other revision"),
 * it skips revisions whose rollouts were aborted or never became healthy.
 */
export function lastGoodRevision(store: RolloutStore, scope: ServiceScope): RevisionRecord | undefined {
  const [latest, ...older] = store.listRollouts(scope, 100);
  const serving = servingRevision(latest);
  const good = older.find((r) => r.outcome === "healthy" && r.state.targetRevision !== serving);
  return good === undefined ? undefined : store.listRevisions(scope).find((r) => r.name === good.state.targetRevision);
}
