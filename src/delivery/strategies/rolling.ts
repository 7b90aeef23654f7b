// Rolling update with the Kubernetes Deployment controller's arithmetic
// (pkg/controller/deployment/rolling.go), one scaling decision per plan as
// there: scale the target up within maxSurge, or else scale old revisions
// down within maxUnavailable — unhealthy instances first, then oldest
// revision first — counting an instance available minReadySeconds after it
// turned ready. A revision's live instances stand in for a ReplicaSet's
// spec.replicas.
//
// Traffic follows instances as a Kubernetes Service does: each revision's
// share is proportional to its ready instances (1% granularity), computed for
// the instances left after this plan's scale-down, so an instance leaves the
// routing before it is removed.
//
// Abort (a person's, or the progress deadline's) is a rolling update back to
// the stable revision with the same arithmetic: with maxUnavailable 0 the
// stable revision is never scaled down in the first place.
import type { Action, Command, Observed, ObservedRevision, Plan, RollingSpec, RolloutState } from "../types.js";
import {
  abortRefusal,
  abortRollout,
  copyState,
  deadlineAt,
  deadlineReason,
  endPlan,
  note,
  pauseRollout,
  pendingScaleDowns,
  pruneScaleDowns,
  resumeRollout,
  retryRefusal,
  retryRollout,
  trackProgress,
} from "./lifecycle.js";
import { revisionsPastHistoryLimit } from "./history.js";
import { availableCount, liveCount, nextAvailableMs, readyCount, weightOf } from "./observation.js";
import { reconcile } from "./reconcile.js";
import { proportionalWeights, resolveRollingBounds } from "./resolve.js";

export function planRolling(spec: RollingSpec, state: RolloutState, observed: Observed, command?: Command): Plan {
  const s = applyCommand(copyState(state), observed.nowMs, command);
  if (s.userPaused) {
    // Kubernetes: a paused Deployment does not roll, and its deadline does not run.
    return endPlan({ ...s, phase: "paused", lastProgressMs: observed.nowMs }, [], observed, { waitingFor: "paused: slipway rollout resume continues", wakeAtMs: [] });
  }
  return planStep(spec, s, observed);
}

function applyCommand(s: RolloutState, nowMs: number, command: Command | undefined): RolloutState {
  switch (command?.type) {
    case undefined:
      return s;
    case "pause":
      return pauseRollout(s);
    case "resume":
      return resumeRollout(s, nowMs);
    case "abort": {
      const refusal = abortRefusal(s);
      return refusal === undefined ? abortRollout(s, command.reason ?? "aborted by slipway rollout abort", nowMs) : note(s, refusal);
    }
    case "retry": {
      const refusal = retryRefusal(s);
      return refusal === undefined ? retryRollout(s, nowMs) : note(s, refusal);
    }
    case "promote":
    case "promoteFull":
      return note(s, `${command.type === "promote" ? "promote" : "promote --full"} has no effect on a rolling update: it has no steps to go past`);
  }
}

/** The revision being rolled to: the target, or the stable one after an abort. */
function rollingTo(s: RolloutState): string {
  return s.aborted && s.stableRevision !== undefined ? s.stableRevision : s.targetRevision;
}

interface Counts {
  live: number;
  available: number;
}

/**
 * What each older revision does in this plan. serving: the instances the
 * Kubernetes arithmetic counts (and the router weighs); keep: whether its
 * other instances stay running (the scale-down delay) instead of following
 * serving down.
 */
interface OldRevision {
  revision: string;
  live: number;
  serving: number;
  keep: boolean;
}

/**
 * Older revisions as the arithmetic sees them. With a scale-down delay, an
 * instance the arithmetic removes only leaves the traffic split; a revision
 * kept warm by a timer serves nothing until it is due, then goes.
 */
function oldRevisions(spec: RollingSpec, state: RolloutState, observed: Observed, target: string): OldRevision[] {
  const delayed = (spec.scaleDownDelaySeconds ?? 0) > 0;
  const timers = new Map(state.scaleDownAt.map((d) => [d.revision, d.atMs]));
  return [...observed.revisions]
    .sort((a, b) => a.number - b.number)
    .filter((r) => r.revision !== target && liveCount(observed, r.revision) > 0)
    .map((r) => {
      const live = liveCount(observed, r.revision);
      const timer = timers.get(r.revision);
      if (timer !== undefined) return { revision: r.revision, live, serving: 0, keep: timer > observed.nowMs };
      return { revision: r.revision, live, serving: Math.min(live, delayed ? (state.serving?.[r.revision] ?? live) : live), keep: delayed };
    });
}

function planStep(spec: RollingSpec, state: RolloutState, observed: Observed): Plan {
  const replicas = state.desiredReplicas;
  const target = rollingTo(state);
  const now = observed.nowMs;
  const minReadyMs = spec.minReadySeconds * 1000;
  // A spec frozen before scaleDownDelaySeconds existed rolls as Kubernetes does.
  const delaySeconds = spec.scaleDownDelaySeconds ?? 0;
  const { maxSurge, maxUnavailable } = resolveRollingBounds(spec.maxSurge, spec.maxUnavailable, replicas);
  const olds = oldRevisions(spec, state, observed, target);
  const oldByName = new Map(olds.map((o) => [o.revision, o]));
  const countsOf = (revision: string): Counts => {
    const old = oldByName.get(revision);
    const available = availableCount(observed, revision, minReadyMs);
    return old === undefined ? { live: liveCount(observed, revision), available } : { live: old.serving, available: Math.min(available, old.serving) };
  };

  const byAge = [...observed.revisions].sort((a, b) => a.number - b.number);
  const counted = olds.filter((o) => o.serving > 0).map((o) => byAge.find((r) => r.revision === o.revision) as ObservedRevision);
  const fresh = countsOf(target);
  const allLive = fresh.live + olds.reduce((sum, o) => sum + o.serving, 0);

  const scale = new Map<string, number>();
  const serving = new Map(olds.map((o) => [o.revision, o.serving]));
  const newCount = newRevisionCount(fresh.live, allLive, replicas, maxSurge);
  if (newCount !== fresh.live) scale.set(target, newCount);
  else for (const [revision, count] of oldRevisionCounts(counted, fresh, allLive, replicas, maxUnavailable, countsOf)) serving.set(revision, count);
  for (const o of olds) {
    const wanted = o.keep ? o.live : (serving.get(o.revision) ?? 0);
    if (wanted !== o.live) scale.set(o.revision, wanted);
  }

  const weights = proportionalWeights(
    byAge.map((r) => [r.revision, r.revision === target ? Math.min(readyCount(observed, target), scale.get(target) ?? fresh.live) : Math.min(readyCount(observed, r.revision), serving.get(r.revision) ?? 0)]),
  );
  const { actions, heldBack } = reconcile({ replicas: scale, ...(weights === undefined ? {} : { weights }) }, observed);

  // Kubernetes' DeploymentComplete: every instance is of the target and available; kept ones are out of the split.
  const complete = fresh.live === replicas && allLive === replicas && fresh.available === replicas && olds.every((o) => o.keep && weightOf(observed.weights, o.revision) === 0);
  const waitingFor = `${fresh.available} of ${replicas} instances of ${target} available, ${allLive - fresh.live} of other revisions left`;
  const counts = { updated: scale.get(target) ?? fresh.live, ready: readyCount(observed, target), available: fresh.available, old: allLive - fresh.live };
  const kept: Pick<RolloutState, "serving"> = delaySeconds > 0 ? { serving: Object.fromEntries([...serving].filter(([revision]) => revision !== target)) } : {};
  const tracked = trackProgress({ ...pruneScaleDowns(state, observed), ...kept }, counts, !complete, spec.progressDeadlineSeconds, now);
  let s = tracked.state;

  if (tracked.deadlineExceeded) {
    const reason = deadlineReason(spec.progressDeadlineSeconds, waitingFor);
    if (!s.aborted && abortRefusal(s) === undefined) return planStep(spec, abortRollout(s, reason, now), observed);
    const why = s.aborted
      ? `${reason}; the way back to ${target} is stuck too`
      : s.stableRevision === undefined
        ? `${reason}; a first deployment has no stable revision to go back to`
        : `${reason}; ${target} is the stable revision itself`;
    return endPlan({ ...s, phase: "degraded", message: why }, [], observed, { complete: { outcome: "degraded", reason }, waitingFor, wakeAtMs: [] });
  }

  const settled = complete && actions.length === 0;
  s = { ...s, phase: s.aborted ? "aborted" : settled ? "healthy" : "progressing" };
  if (settled && !s.aborted) s.stableRevision = target;
  const forget: Action[] = [];
  if (settled) {
    // Traffic is settled: the kept revisions' scale-down times start now, and the rollout ends (whoever finishes it: see docs/controller.md).
    const timed = new Set(s.scaleDownAt.map((d) => d.revision));
    s.scaleDownAt = [...s.scaleDownAt, ...olds.filter((o) => !timed.has(o.revision)).map((o) => ({ revision: o.revision, atMs: now + delaySeconds * 1000 }))];
    const warm = pendingScaleDowns(s, now);
    if (warm.length > 0) s.message = `${target} serves all traffic; ${warm.map((d) => d.revision).join(", ")} kept for a rollback for ${Math.round((Math.max(...warm.map((d) => d.atMs)) - now) / 1000)}s`;
    const revisions = revisionsPastHistoryLimit(byAge, target, spec.revisionHistoryLimit, observed, [s.stableRevision, s.targetRevision]);
    if (revisions.length > 0) forget.push({ type: "forgetRevisions", revisions });
  }
  return endPlan(s, [...actions, ...forget], observed, {
    ...(settled ? { complete: s.aborted ? { outcome: "aborted" as const, reason: s.abortReason ?? "aborted" } : { outcome: "healthy" as const } } : {}),
    waitingFor: [...heldBack, waitingFor].join("; "),
    wakeAtMs: [
      complete ? undefined : deadlineAt(s, spec.progressDeadlineSeconds),
      ...byAge.map((r) => nextAvailableMs(observed, r.revision, minReadyMs)),
      ...pendingScaleDowns(s, now).map((d) => d.atMs),
    ],
  });
}

/** Kubernetes' NewRSNewReplicas: grow the target up to replicas, keeping every revision's total within replicas + maxSurge. */
function newRevisionCount(live: number, allLive: number, replicas: number, maxSurge: number): number {
  if (live >= replicas) return replicas;
  const room = replicas + maxSurge - allLive;
  return room <= 0 ? live : live + Math.min(room, replicas - live);
}

/**
 * Kubernetes' reconcileOldReplicaSets: first remove old instances that are
 * not available (they serve no one, and would block the rollout), then
 * available ones, oldest revision first, while availability stays at
 * replicas − maxUnavailable. Returns only the revisions whose count changes.
 */
function oldRevisionCounts(
  olds: readonly ObservedRevision[],
  fresh: Counts,
  allLive: number,
  replicas: number,
  maxUnavailable: number,
  countsOf: (revision: string) => Counts,
): Map<string, number> {
  const minAvailable = replicas - maxUnavailable;
  const maxScaledDown = allLive - minAvailable - (fresh.live - fresh.available);
  const changed = new Map<string, number>();
  if (olds.length === 0 || maxScaledDown <= 0) return changed;

  const live = new Map(olds.map((r) => [r.revision, countsOf(r.revision).live]));
  let cleaned = 0;
  for (const r of olds) {
    if (cleaned >= maxScaledDown) break;
    const { live: count, available } = countsOf(r.revision);
    if (count === available) continue;
    const down = Math.min(maxScaledDown - cleaned, count - available);
    live.set(r.revision, count - down);
    cleaned += down;
  }

  const availableAll = fresh.available + olds.reduce((sum, r) => sum + countsOf(r.revision).available, 0);
  let allowed = availableAll - minAvailable;
  for (const r of olds) {
    if (allowed <= 0) break;
    const count = live.get(r.revision) ?? 0;
    const down = Math.min(count, allowed);
    live.set(r.revision, count - down);
    allowed -= down;
  }

  for (const r of olds) {
    const count = live.get(r.revision) ?? 0;
    if (count !== countsOf(r.revision).live) changed.set(r.revision, count);
  }
  return changed;
}
