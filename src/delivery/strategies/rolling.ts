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
  resumeRollout,
  retryRefusal,
  retryRollout,
  trackProgress,
} from "./lifecycle.js";
import { availableCount, liveCount, nextAvailableMs, readyCount } from "./observation.js";
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

function planStep(spec: RollingSpec, state: RolloutState, observed: Observed): Plan {
  const replicas = state.desiredReplicas;
  const target = rollingTo(state);
  const minReadyMs = spec.minReadySeconds * 1000;
  const { maxSurge, maxUnavailable } = resolveRollingBounds(spec.maxSurge, spec.maxUnavailable, replicas);
  const countsOf = (revision: string): Counts => ({ live: liveCount(observed, revision), available: availableCount(observed, revision, minReadyMs) });

  const byAge = [...observed.revisions].sort((a, b) => a.number - b.number);
  const olds = byAge.filter((r) => r.revision !== target && liveCount(observed, r.revision) > 0);
  const fresh = countsOf(target);
  const allLive = fresh.live + olds.reduce((sum, r) => sum + liveCount(observed, r.revision), 0);

  const scale = new Map<string, number>();
  const newCount = newRevisionCount(fresh.live, allLive, replicas, maxSurge);
  if (newCount !== fresh.live) scale.set(target, newCount);
  else for (const [revision, count] of oldRevisionCounts(olds, fresh, allLive, replicas, maxUnavailable, countsOf)) scale.set(revision, count);

  const weights = proportionalWeights(byAge.map((r) => [r.revision, Math.min(readyCount(observed, r.revision), scale.get(r.revision) ?? liveCount(observed, r.revision))]));
  const { actions, heldBack } = reconcile({ replicas: scale, ...(weights === undefined ? {} : { weights }) }, observed);

  // Kubernetes' DeploymentComplete: every instance is of the target and available.
  const complete = fresh.live === replicas && allLive === replicas && fresh.available === replicas;
  const waitingFor = `${fresh.available} of ${replicas} instances of ${target} available, ${allLive - fresh.live} of other revisions left`;
  const counts = { updated: scale.get(target) ?? fresh.live, ready: readyCount(observed, target), available: fresh.available, old: allLive - fresh.live };
  // Timers inherited from a blue-green or canary rollout mean nothing here: the arithmetic scales old revisions down.
  const untimed = { ...state, scaleDownAt: state.scaleDownAt.filter((d) => liveCount(observed, d.revision) > 0) };
  const tracked = trackProgress(untimed, counts, !complete, spec.progressDeadlineSeconds, observed.nowMs);
  let s = tracked.state;

  if (tracked.deadlineExceeded) {
    const reason = deadlineReason(spec.progressDeadlineSeconds, waitingFor);
    if (!s.aborted && abortRefusal(s) === undefined) return planStep(spec, abortRollout(s, reason, observed.nowMs), observed);
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
    const revisions = revisionsPastHistoryLimit(byAge, target, spec.revisionHistoryLimit, observed, [s.stableRevision, s.targetRevision]);
    if (revisions.length > 0) forget.push({ type: "forgetRevisions", revisions });
  }
  return endPlan(s, [...actions, ...forget], observed, {
    ...(settled ? { complete: s.aborted ? { outcome: "aborted" as const, reason: s.abortReason ?? "aborted" } : { outcome: "healthy" as const } } : {}),
    waitingFor: [...heldBack, waitingFor].join("; "),
    wakeAtMs: [complete ? undefined : deadlineAt(s, spec.progressDeadlineSeconds), ...byAge.map((r) => nextAvailableMs(observed, r.revision, minReadyMs))],
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

/**
 * Kubernetes' cleanupDeployment: beyond revisionHistoryLimit old revisions,
 * the oldest ones without instances are forgotten (undo can no longer reach
 * them). The rollout's own stable and target revisions are always kept.
 */
function revisionsPastHistoryLimit(byAge: readonly ObservedRevision[], current: string, limit: number, observed: Observed, keep: (string | undefined)[]): string[] {
  const olds = byAge.filter((r) => r.revision !== current);
  const excess = olds.length - limit;
  return olds
    .slice(0, Math.max(0, excess))
    .filter((r) => liveCount(observed, r.revision) === 0 && !keep.includes(r.revision))
    .map((r) => r.revision);
}
