// Canary with traffic routing, as Argo Rollouts does it: weights are traffic
// percentages set on the router, not replica ratios. The stable revision
// stays at full size until promotion completes; the canary is scaled to
// ceil(replicas × weight / 100) and must have that many ready instances
// before its weight goes up. Steps run in order:
//
//   setWeight w   scale the canary, then route w% to it; done once the router shows it
//   pause         timed (duration) or until `slipway rollout promote`
//   analysis      run these metrics against the canary; failed aborts, inconclusive pauses
//
// A background analysis (spec.analysis) runs beside the steps from the
// canary's first traffic. After the last
// step the canary is scaled to full size, takes 100%, becomes the stable
// revision, and the old one is scaled down after scaleDownDelaySeconds.
// Abort routes 100% to the stable revision at once and scales the canary
// down after the same delay.
import type { CanarySpec, CanaryStepSpec, Command, Observed, Plan, RolloutState } from "../types.js";
import {
  acceptInconclusive,
  analysisActions,
  analysisKey,
  analysisLetsThrough,
  failedAnalysis,
  findAnalysis,
  stopOpenAnalyses,
  syncAnalyses,
  unacceptedInconclusive,
  withAnalysis,
} from "./analyses.js";
import {
  abortRefusal,
  abortRollout,
  addScaleDowns,
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
import { availableCount, liveCount, readyCount, sameWeights, splitWeights, weightOf } from "./observation.js";
import { reconcile } from "./reconcile.js";
import { replicaSplit } from "../../domain/replica-split.js";
import { canaryReplicas } from "./resolve.js";
import { planBackToStable, planOnTarget } from "./settle.js";

export function planCanary(spec: CanarySpec, state: RolloutState, observed: Observed, command?: Command): Plan {
  let s = copyState(state);
  s.analyses = syncAnalyses(s.analyses, observed);
  s = applyCommand(spec, s, observed, command);

  const stable = s.stableRevision;
  if (stable === undefined || stable === s.targetRevision) return planOnTarget(s, observed, spec.progressDeadlineSeconds);
  if (s.aborted) return planBackToStable(s, observed);

  const failed = failedAnalysis(s);
  if (failed !== undefined) return abortAndPlan(spec, s, observed, `analysis ${failed.key} failed${failed.message === undefined ? "" : `: ${failed.message}`}`);

  return planSteps(spec, s, stable, observed);
}

function applyCommand(spec: CanarySpec, s: RolloutState, observed: Observed, command: Command | undefined): RolloutState {
  const now = observed.nowMs;
  switch (command?.type) {
    case undefined:
      return s;
    case "pause":
      return pauseRollout(s);
    case "resume":
      return resumeRollout(s, now);
    case "abort": {
      const refusal = abortRefusal(s);
      return refusal === undefined ? abortRollout(s, command.reason ?? "aborted by slipway rollout abort", now, canaryScaleDown(spec, s, now)) : note(s, refusal);
    }
    case "retry": {
      const refusal = retryRefusal(s);
      return refusal === undefined ? retryRollout(s, now) : note(s, refusal);
    }
    case "promote":
      return promote(spec, s);
    case "promoteFull":
      return promoteFull(s);
  }
}

function inFlight(s: RolloutState): boolean {
  return !s.aborted && s.stableRevision !== undefined && s.stableRevision !== s.targetRevision;
}

/** Argo's promote: accept an inconclusive analysis, or go past the current pause or analysis step. */
function promote(spec: CanarySpec, s: RolloutState): RolloutState {
  if (!inFlight(s)) return note(s, `promote has no effect: the rollout is ${s.aborted ? "aborted" : s.phase}`);
  const inconclusive = unacceptedInconclusive(s);
  if (inconclusive !== undefined) return { ...s, analyses: acceptInconclusive(s.analyses, inconclusive.key), message: `promote: accepted inconclusive analysis ${inconclusive.key}` };
  const step = s.promoteFull ? undefined : spec.steps[s.stepIndex];
  if (step?.pause !== undefined) {
    const next = { ...s, stepIndex: s.stepIndex + 1, message: `promote: went past step ${s.stepIndex + 1} (pause)` };
    delete next.pause;
    return next;
  }
  if (step?.analysis !== undefined) {
    const key = analysisKey(s.attempt, `step-${s.stepIndex}`);
    return {
      ...s,
      stepIndex: s.stepIndex + 1,
      analyses: stopOpenAnalyses(s.analyses, "stopped: skipped by promote", (r) => r.key === key),
      message: `promote: went past step ${s.stepIndex + 1} (analysis)`,
    };
  }
  return note(s, "promote has no effect: the current step is not a pause or an analysis (promote --full skips to the end)");
}

/** Skip every remaining step, pause and analysis. */
function promoteFull(s: RolloutState): RolloutState {
  if (!inFlight(s)) return note(s, `promote --full has no effect: the rollout is ${s.aborted ? "aborted" : s.phase}`);
  const inconclusive = s.analyses.filter((r) => r.status === "inconclusive").map((r) => r.key);
  let analyses = stopOpenAnalyses(s.analyses, "stopped: skipped by promote --full");
  for (const key of inconclusive) analyses = acceptInconclusive(analyses, key);
  const next: RolloutState = { ...s, promoteFull: true, analyses, message: "promote --full: skipping the remaining steps" };
  delete next.pause;
  return next;
}

function canaryScaleDown(spec: CanarySpec, s: RolloutState, nowMs: number) {
  return { revision: s.targetRevision, atMs: nowMs + spec.scaleDownDelaySeconds * 1000 };
}

function abortAndPlan(spec: CanarySpec, s: RolloutState, observed: Observed, reason: string): Plan {
  return planBackToStable(abortRollout(s, reason, observed.nowMs, canaryScaleDown(spec, s, observed.nowMs)), observed);
}

function promoting(spec: CanarySpec, s: RolloutState): boolean {
  return s.promoteFull || s.stepIndex >= spec.steps.length;
}

/** The router shows 100% on the canary: it becomes the stable revision; the old one stays warm for scaleDownDelaySeconds. */
function promotionComplete(spec: CanarySpec, s: RolloutState, oldStable: string, nowMs: number): RolloutState {
  const next: RolloutState = {
    ...s,
    stableRevision: s.targetRevision,
    phase: "healthy",
    message: `promoted ${s.targetRevision}; ${oldStable} scales down in ${spec.scaleDownDelaySeconds}s`,
    analyses: stopOpenAnalyses(s.analyses, "stopped: the rollout is promoted"),
    scaleDownAt: [...s.scaleDownAt.filter((d) => d.revision !== oldStable), { revision: oldStable, atMs: nowMs + spec.scaleDownDelaySeconds * 1000 }],
  };
  delete next.pause;
  return next;
}

/** The weight in force at a step: the latest setWeight at or before it (Argo's GetCurrentSetWeight). */
function weightAtStep(steps: readonly CanaryStepSpec[], stepIndex: number): number {
  for (let i = Math.min(stepIndex, steps.length - 1); i >= 0; i--) {
    const weight = steps[i]?.setWeight;
    if (weight !== undefined) return weight;
  }
  return 0;
}

/** Steps are done when what they asked for shows in the observation, so a step never completes on a promise. */
function advanceSteps(spec: CanarySpec, state: RolloutState, stable: string, observed: Observed): RolloutState {
  const s = { ...state };
  const now = observed.nowMs;
  const canary = s.targetRevision;
  while (!s.promoteFull && s.stepIndex < spec.steps.length) {
    const step = spec.steps[s.stepIndex];
    const label = `step ${s.stepIndex + 1} of ${spec.steps.length}`;
    if (step?.setWeight !== undefined) {
      const size = stepSize(s.desiredReplicas, step.setWeight, observed);
      const reached =
        sameWeights(observed.weights, splitWeights(stable, canary, size.percent)) &&
        readyCount(observed, canary) >= size.canary &&
        (size.stable === undefined || liveCount(observed, stable) <= size.stable);
      if (!reached) break;
    } else if (step?.pause !== undefined) {
      const duration = step.pause.duration;
      s.pause ??= duration === undefined ? { kind: "manual", reason: `${label}: paused until slipway rollout promote` } : { kind: "timed", untilMs: now + duration * 1000, reason: `${label}: pause ${duration}s` };
      if (s.pause.kind === "manual" || now < s.pause.untilMs) break;
      delete s.pause;
    } else if (step?.analysis !== undefined) {
      const key = analysisKey(s.attempt, `step-${s.stepIndex}`);
      s.analyses = withAnalysis(s.analyses, { key, purpose: "step", stepIndex: s.stepIndex, metrics: step.analysis.metrics, revision: canary, baseline: stable });
      if (!analysisLetsThrough(findAnalysis(s, key))) break;
    }
    s.stepIndex += 1;
  }
  return s;
}

function planSteps(spec: CanarySpec, state: RolloutState, stable: string, observed: Observed): Plan {
  const canary = state.targetRevision;
  const replicas = state.desiredReplicas;
  let s = state;
  // Derived, not stored as a pause: accepting the result is what lifts it.
  const inconclusive = unacceptedInconclusive(s);
  const held = s.userPaused || inconclusive !== undefined;
  // From the canary's first traffic: before it, a metric of its requests has nothing to measure (and says inconclusive).
  if (spec.analysis !== undefined && !s.promoteFull && weightOf(observed.weights, canary) > 0) {
    s.analyses = withAnalysis(s.analyses, { key: analysisKey(s.attempt, "background"), purpose: "background", metrics: spec.analysis.metrics, revision: canary, baseline: stable });
  }
  if (!held) s = advanceSteps(spec, s, stable, observed);
  if (promoting(spec, s) && sameWeights(observed.weights, { [canary]: 100 })) {
    return planOnTarget(promotionComplete(spec, s, stable, observed.nowMs), observed, spec.progressDeadlineSeconds);
  }

  const full = promoting(spec, s);
  const weight = full ? 100 : weightAtStep(spec.steps, s.stepIndex);
  const size = stepSize(replicas, weight, observed);
  const needed = full ? replicas : size.canary;
  const ready = readyCount(observed, canary);
  const available = full ? availableCount(observed, canary) : ready;
  const routed = weightOf(observed.weights, canary);
  // Argo keeps the previous weight until the canary has the instances for the next.
  const safeWeight = weight === 0 ? 0 : available >= needed ? size.percent : ready === 0 ? 0 : Math.min(size.percent, routed);
  // Split by replicas, the stable shrinks to its part only once the canary has its own (no capacity dip), and keeps what it has while promoting.
  const stableLive = liveCount(observed, stable);
  const stableWanted = size.stable === undefined ? replicas : full ? Math.min(replicas, stableLive) : available >= needed ? size.stable : Math.max(size.stable, Math.min(replicas, stableLive));

  const desiredReplicas = new Map<string, number>(held ? [] : [[stable, stableWanted], [canary, needed]]);
  const desired = { replicas: addScaleDowns(desiredReplicas, s, observed), preview: null, ...(held ? {} : { weights: splitWeights(stable, canary, safeWeight) }) };
  const { actions, heldBack } = reconcile(desired, observed);

  const waitingOnInstances = !held && available < needed;
  const waitingFor = `${available} of ${needed} instances of ${canary} ${full ? "available" : "ready"} for ${describeStepWeight(replicas, weight, observed.splitByReplicas === true)}`;
  const old = observed.revisions.filter((r) => r.revision !== canary).reduce((sum, r) => sum + liveCount(observed, r.revision), 0);
  const tracked = trackProgress(pruneScaleDowns(s, observed), { updated: needed, ready, available, old }, waitingOnInstances, spec.progressDeadlineSeconds, observed.nowMs);
  if (tracked.deadlineExceeded) return abortAndPlan(spec, tracked.state, observed, deadlineReason(spec.progressDeadlineSeconds, waitingFor));
  s = { ...tracked.state, phase: held || s.pause !== undefined ? "paused" : "progressing" };

  const reasons = [
    ...(s.userPaused ? ["paused: slipway rollout resume continues"] : []),
    ...(inconclusive === undefined ? [] : [`analysis ${inconclusive.key} inconclusive: promote accepts it, abort goes back`]),
    ...(s.pause === undefined ? [] : [s.pause.reason]),
    ...heldBack,
    ...(waitingOnInstances ? [waitingFor] : []),
    ...openAnalysisReasons(s),
  ];
  return endPlan(s, [...actions, ...analysisActions(s.analyses, observed)], observed, {
    waitingFor: reasons.join("; ") || (full ? `promoting ${canary}` : `step ${s.stepIndex + 1} of ${spec.steps.length}: ${describeStepWeight(replicas, weight, observed.splitByReplicas === true)} to ${canary}`),
    wakeAtMs: [s.pause?.kind === "timed" ? s.pause.untilMs : undefined, ...pendingScaleDowns(s, observed.nowMs).map((d) => d.atMs), waitingOnInstances ? deadlineAt(s, spec.progressDeadlineSeconds) : undefined],
  });
}

/**
 * What a weight asks of the revisions. Through a router: ceil(replicas ×
 * weight) canary instances beside a full-size stable, the weight routed as
 * asked. Split by replicas: the replicas shared out (resolve.replicaSplit),
 * the stable shrunk to the rest, and the weight the ratio gives.
 */
function stepSize(replicas: number, weight: number, observed: Observed): { canary: number; stable?: number; percent: number } {
  if (observed.splitByReplicas !== true) return { canary: canaryReplicas(replicas, weight), percent: weight };
  return replicaSplit(replicas, weight);
}

/** The weight a step asks for as the replicas give it, for a person: "10% (1 of 4 instances: 25%)". */
export function describeStepWeight(replicas: number, weight: number, splitByReplicas: boolean): string {
  if (!splitByReplicas) return `${weight}%`;
  const split = replicaSplit(replicas, weight);
  return split.percent === weight ? `${weight}% (${split.canary} of ${split.canary + split.stable} instances)` : `${weight}% as ${split.canary} of ${split.canary + split.stable} instances: ${split.percent}%`;
}

function openAnalysisReasons(s: RolloutState): string[] {
  return s.analyses.filter((r) => r.status === "pending" || r.status === "running").map((r) => `analysis ${r.key} ${r.status}`);
}
