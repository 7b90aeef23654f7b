// Blue-green, as Argo Rollouts does it: the target ("green") runs at full
// size beside the stable revision ("blue"), reachable on the preview
// endpoint once it has a ready instance. Once every instance is available:
// the pre-promotion analysis runs (if configured), and the switch waits for
// promotion — at once with autoPromote, after autoPromotionSeconds, or on
// `slipway rollout promote`. The switch is one route action: 100% to the
// target and the preview cleared. The old revision stays warm for
// scaleDownDelaySeconds, so a rollback within that time is one switch back.
// Abort before the switch leaves the stable revision serving, clears the
// preview, and scales the target down after the same delay.
import type { BlueGreenSpec, Command, Observed, Plan, RolloutState } from "../types.js";
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
import { availableCount, liveCount, readyCount, sameWeights } from "./observation.js";
import { reconcile } from "./reconcile.js";
import { planBackToStable, planOnTarget } from "./settle.js";

export function planBlueGreen(spec: BlueGreenSpec, state: RolloutState, observed: Observed, command?: Command): Plan {
  let s = copyState(state);
  s.analyses = syncAnalyses(s.analyses, observed);
  s = applyCommand(spec, s, observed, command);

  const stable = s.stableRevision;
  if (stable === undefined || stable === s.targetRevision) return planOnTarget(s, observed, spec.progressDeadlineSeconds);
  if (s.aborted) return planBackToStable(s, observed);

  const failed = failedAnalysis(s);
  if (failed !== undefined) return abortAndPlan(spec, s, observed, `analysis ${failed.key} failed${failed.message === undefined ? "" : `: ${failed.message}`}`);

  // The router shows the switch: the target is the stable revision now.
  if (sameWeights(observed.weights, { [s.targetRevision]: 100 })) return planOnTarget(switched(spec, s, stable, observed.nowMs), observed, spec.progressDeadlineSeconds);
  return planPreview(spec, s, stable, observed);
}

function applyCommand(spec: BlueGreenSpec, s: RolloutState, observed: Observed, command: Command | undefined): RolloutState {
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
      return refusal === undefined ? abortRollout(s, command.reason ?? "aborted by slipway rollout abort", now, targetScaleDown(spec, s, now)) : note(s, refusal);
    }
    case "retry": {
      const refusal = retryRefusal(s);
      return refusal === undefined ? retryRollout(s, now) : note(s, refusal);
    }
    case "promote":
    case "promoteFull": {
      if (s.aborted || s.stableRevision === undefined || s.stableRevision === s.targetRevision) {
        return note(s, `${command.type === "promote" ? "promote" : "promote --full"} has no effect: the rollout is ${s.aborted ? "aborted" : s.phase}`);
      }
      // One promote both accepts an inconclusive analysis and allows the switch.
      const inconclusive = unacceptedInconclusive(s);
      let analyses = inconclusive === undefined ? s.analyses : acceptInconclusive(s.analyses, inconclusive.key);
      if (command.type === "promoteFull") analyses = stopOpenAnalyses(analyses, "stopped: skipped by promote --full");
      const next: RolloutState = {
        ...s,
        promoted: true,
        promoteFull: s.promoteFull || command.type === "promoteFull",
        analyses,
        message: `promote: ${s.targetRevision} takes all traffic once every instance is available${command.type === "promoteFull" ? "" : " and the analysis passes"}`,
      };
      delete next.pause;
      return next;
    }
  }
}

/**
 * Seconds from full availability to the automatic switch, or undefined for
 * a manual promotion. autoPromotionSeconds alone implies auto-promotion
 * (validate refuses it beside an explicit `autoPromote: false`, which Argo
 * would let silently ignore it; a spec frozen before that rule still counts it).
 */
export function autoPromotionDelay(spec: BlueGreenSpec): number | undefined {
  if (spec.autoPromotionSeconds !== undefined) return spec.autoPromotionSeconds;
  return spec.autoPromote === true ? 0 : undefined;
}

function targetScaleDown(spec: BlueGreenSpec, s: RolloutState, nowMs: number) {
  return { revision: s.targetRevision, atMs: nowMs + spec.scaleDownDelaySeconds * 1000 };
}

function abortAndPlan(spec: BlueGreenSpec, s: RolloutState, observed: Observed, reason: string): Plan {
  return planBackToStable(abortRollout(s, reason, observed.nowMs, targetScaleDown(spec, s, observed.nowMs)), observed);
}

function switched(spec: BlueGreenSpec, s: RolloutState, oldStable: string, nowMs: number): RolloutState {
  const next: RolloutState = {
    ...s,
    stableRevision: s.targetRevision,
    phase: "healthy",
    message: `switched to ${s.targetRevision}; ${oldStable} stays warm for ${spec.scaleDownDelaySeconds}s`,
    analyses: stopOpenAnalyses(s.analyses, "stopped: the rollout is promoted"),
    scaleDownAt: [...s.scaleDownAt.filter((d) => d.revision !== oldStable), { revision: oldStable, atMs: nowMs + spec.scaleDownDelaySeconds * 1000 }],
  };
  delete next.pause;
  return next;
}

function planPreview(spec: BlueGreenSpec, state: RolloutState, stable: string, observed: Observed): Plan {
  const target = state.targetRevision;
  const replicas = state.desiredReplicas;
  const now = observed.nowMs;
  let s = state;
  const ready = readyCount(observed, target);
  const available = availableCount(observed, target);
  const fullyAvailable = available >= replicas;
  const inconclusive = unacceptedInconclusive(s);
  const held = s.userPaused || inconclusive !== undefined;

  const analysisKeyNow = analysisKey(s.attempt, "pre-promotion");
  if (fullyAvailable && spec.prePromotionAnalysis !== undefined && !s.promoteFull) {
    s.analyses = withAnalysis(s.analyses, { key: analysisKeyNow, purpose: "prePromotion", metrics: spec.prePromotionAnalysis.metrics, revision: target, baseline: stable });
  }
  // Argo Rollouts: the countdown starts once every new instance is available; the preview serves meanwhile.
  if (fullyAvailable && !held && !s.promoted && !s.promoteFull) {
    const seconds = autoPromotionDelay(spec);
    if (seconds === undefined) s.pause ??= { kind: "manual", reason: "awaiting slipway rollout promote" };
    else if (seconds > 0) s.pause ??= { kind: "timed", untilMs: now + seconds * 1000, reason: `previewing ${target}; switching automatically after ${seconds}s` };
    if (seconds !== undefined && (s.pause === undefined || (s.pause.kind === "timed" && now >= s.pause.untilMs))) {
      s = { ...s, promoted: true, message: seconds > 0 ? `promoted automatically after ${seconds}s of preview` : "promoted automatically" };
      delete s.pause;
    }
  }
  const analysisPasses = spec.prePromotionAnalysis === undefined || s.promoteFull || analysisLetsThrough(findAnalysis(s, analysisKeyNow));
  const promotionAllowed = s.promoted || s.promoteFull;
  const switchNow = !held && fullyAvailable && analysisPasses && promotionAllowed;

  const managed = new Map<string, number>(held ? [] : [[stable, replicas], [target, replicas]]);
  const routing = held ? {} : switchNow ? { weights: { [target]: 100 }, preview: null } : { weights: { [stable]: 100 }, preview: ready > 0 ? target : null };
  const { actions, heldBack } = reconcile({ replicas: addScaleDowns(managed, s, observed), ...routing }, observed);

  const waitingOnInstances = !held && !fullyAvailable;
  const waitingFor = `${available} of ${replicas} instances of ${target} available`;
  const old = observed.revisions.filter((r) => r.revision !== target).reduce((sum, r) => sum + liveCount(observed, r.revision), 0);
  const tracked = trackProgress(pruneScaleDowns(s, observed), { updated: replicas, ready, available, old }, waitingOnInstances, spec.progressDeadlineSeconds, now);
  if (tracked.deadlineExceeded) return abortAndPlan(spec, tracked.state, observed, deadlineReason(spec.progressDeadlineSeconds, waitingFor));
  s = { ...tracked.state, phase: held || s.pause !== undefined ? "paused" : "progressing" };

  const record = findAnalysis(s, analysisKeyNow);
  const reasons = [
    ...(s.userPaused ? ["paused: slipway rollout resume continues"] : []),
    ...(inconclusive === undefined ? [] : [`analysis ${inconclusive.key} inconclusive: promote accepts it, abort goes back`]),
    ...(s.pause === undefined ? [] : [s.pause.reason]),
    ...heldBack,
    ...(waitingOnInstances ? [waitingFor] : []),
    ...(record !== undefined && (record.status === "pending" || record.status === "running") ? [`analysis ${record.key} ${record.status}`] : []),
  ];
  return endPlan(s, [...actions, ...analysisActions(s.analyses, observed)], observed, {
    waitingFor: reasons.join("; ") || (switchNow ? `switching to ${target}` : `previewing ${target}`),
    wakeAtMs: [s.pause?.kind === "timed" ? s.pause.untilMs : undefined, ...pendingScaleDowns(s, now).map((d) => d.atMs), waitingOnInstances ? deadlineAt(s, spec.progressDeadlineSeconds) : undefined],
  });
}
