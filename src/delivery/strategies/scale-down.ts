// The scale-down a finished rollout leaves behind. A rollout ends once
// traffic is settled; the revisions it kept warm (scaleDownDelaySeconds, so
// that a rollback is a weight flip) still run until their scale-down time,
// as Argo Rollouts' scale-down-deadline annotation. Whoever finishes the
// scale-down — `slipway controller`, or the finisher a command starts when
// no controller runs — plans it here: remove what is due, wait for the rest.
import type { Action, CompletionOutcome, Observed, RolloutState } from "../types.js";
import { liveCount, weightOf } from "./observation.js";

export interface ScaleDownPlan {
  /** scale actions to 0, for revisions whose time has come. */
  actions: Extract<Action, { type: "scale" }>[];
  /** The next scale-down time still ahead, if any. */
  nextAtMs?: number;
  /** Revisions that would be due but still carry traffic: left alone (nothing is removed from under requests). */
  carrying: string[];
}

/** The revision a finished rollout left serving. */
export function settledServing(state: RolloutState): string {
  return state.aborted ? (state.stableRevision ?? state.targetRevision) : state.targetRevision;
}

/**
 * Every other revision with live instances goes once its timer is due, or at
 * once without one (a leftover). A degraded rollout has nothing healthy to
 * keep, so nothing is touched.
 */
export function planScaleDown(state: RolloutState, outcome: CompletionOutcome, observed: Observed): ScaleDownPlan {
  if (outcome === "degraded") return { actions: [], carrying: [] };
  const serving = settledServing(state);
  const timers = new Map(state.scaleDownAt.map((d) => [d.revision, d.atMs]));
  const actions: ScaleDownPlan["actions"] = [];
  const carrying: string[] = [];
  let nextAtMs: number | undefined;
  for (const r of observed.revisions) {
    if (r.revision === serving || liveCount(observed, r.revision) === 0) continue;
    const atMs = timers.get(r.revision);
    if (atMs !== undefined && atMs > observed.nowMs) {
      nextAtMs = Math.min(nextAtMs ?? atMs, atMs);
    } else if (weightOf(observed.weights, r.revision) > 0 || observed.previewRevision === r.revision) {
      carrying.push(r.revision);
    } else {
      actions.push({ type: "scale", revision: r.revision, replicas: 0 });
    }
  }
  return { actions, carrying, ...(nextAtMs === undefined ? {} : { nextAtMs }) };
}
