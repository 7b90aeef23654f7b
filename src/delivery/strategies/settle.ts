// The two ways a traffic-shifting rollout (canary, blue-green) ends up with
// one revision serving everything: the target, or the stable after an abort.
// Both keep the other revisions only while their scale-down timer runs.
import type { Observed, Plan, RolloutState } from "../types.js";
import { analysisActions, stopOpenAnalyses } from "./analyses.js";
import { addScaleDowns, deadlineAt, deadlineReason, endPlan, leftovers, pendingScaleDowns, pruneScaleDowns, trackProgress } from "./lifecycle.js";
import { availableCount, liveCount, readyCount, sameWeights } from "./observation.js";
import { reconcile } from "./reconcile.js";

function othersLive(observed: Observed, keep: string): number {
  return observed.revisions.filter((r) => r.revision !== keep).reduce((sum, r) => sum + liveCount(observed, r.revision), 0);
}

function servesAlone(observed: Observed, revision: string): boolean {
  return sameWeights(observed.weights, { [revision]: 100 }) && observed.previewRevision === undefined;
}

/**
 * The target serves alone: a first deployment (Argo Rollouts skips the steps
 * when there is nothing to compare with), a rollout of the revision already
 * stable, or after promotion while the old revision's timer runs. Traffic goes
 * to the target as soon as it has a ready instance: nothing else serves.
 */
export function planOnTarget(state: RolloutState, observed: Observed, deadlineSeconds: number): Plan {
  const target = state.targetRevision;
  const replicas = state.desiredReplicas;
  if (state.userPaused) {
    const held = { ...state, phase: "paused" as const, lastProgressMs: observed.nowMs };
    return endPlan(held, analysisActions(held.analyses, observed), observed, { waitingFor: "paused: slipway rollout resume continues", wakeAtMs: [] });
  }
  const ready = readyCount(observed, target);
  const available = availableCount(observed, target);
  const desired = { replicas: addScaleDowns(new Map([[target, replicas]]), state, observed), preview: null, ...(ready > 0 ? { weights: { [target]: 100 } } : {}) };
  const { actions, heldBack } = reconcile(desired, observed);

  const waitingOnInstances = available < replicas;
  const waitingFor = `${available} of ${replicas} instances of ${target} available`;
  const tracked = trackProgress(pruneScaleDowns(state, observed), { updated: replicas, ready, available, old: othersLive(observed, target) }, waitingOnInstances, deadlineSeconds, observed.nowMs);
  let s = tracked.state;
  const promoted = s.stableRevision === target;
  if (tracked.deadlineExceeded) {
    const reason = deadlineReason(deadlineSeconds, waitingFor);
    s = { ...s, phase: "degraded", message: promoted ? reason : `${reason}; a first deployment has no stable revision to go back to`, analyses: stopOpenAnalyses(s.analyses, "stopped: the rollout is degraded") };
    return endPlan(s, analysisActions(s.analyses, observed), observed, { complete: { outcome: "degraded", reason }, waitingFor, wakeAtMs: [] });
  }

  s.analyses = stopOpenAnalyses(s.analyses, "stopped: the rollout is promoted");
  const done = actions.length === 0 && !waitingOnInstances && servesAlone(observed, target) && leftovers(s, observed, target).length === 0;
  s = { ...s, phase: done || promoted ? "healthy" : "progressing" };
  if (done) s.stableRevision = target;
  const warm = pendingScaleDowns(s, observed.nowMs);
  const reasons = [...heldBack, ...(waitingOnInstances ? [waitingFor] : []), ...warm.map((d) => `${d.revision} kept warm until its scale-down time`)];
  return endPlan(s, [...actions, ...analysisActions(s.analyses, observed)], observed, {
    ...(done ? { complete: { outcome: "healthy" as const } } : {}),
    waitingFor: reasons.join("; ") || `routing to ${target}`,
    wakeAtMs: [...warm.map((d) => d.atMs), waitingOnInstances ? deadlineAt(s, deadlineSeconds) : undefined],
  });
}

/**
 * After an abort: all traffic on the stable revision at once (it was never
 * scaled down), the preview gone, and the target kept until its scale-down
 * timer so a retry or a person's diagnosis finds it running.
 */
export function planBackToStable(state: RolloutState, observed: Observed): Plan {
  const stable = state.stableRevision ?? state.targetRevision;
  const desired = { replicas: addScaleDowns(new Map([[stable, state.desiredReplicas]]), state, observed), weights: { [stable]: 100 }, preview: null };
  const { actions, heldBack } = reconcile(desired, observed);
  const s: RolloutState = { ...pruneScaleDowns(state, observed), phase: "aborted" };
  const done = actions.length === 0 && servesAlone(observed, stable) && leftovers(s, observed, stable).length === 0;
  const warm = pendingScaleDowns(s, observed.nowMs);
  const reasons = [...heldBack, ...warm.map((d) => `${d.revision} scales down at its scale-down time`)];
  return endPlan(s, [...actions, ...analysisActions(s.analyses, observed)], observed, {
    ...(done ? { complete: { outcome: "aborted" as const, reason: s.abortReason ?? "aborted" } } : {}),
    waitingFor: reasons.join("; ") || `routing back to ${stable}`,
    wakeAtMs: warm.map((d) => d.atMs),
  });
}
