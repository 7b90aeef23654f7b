// `slipway rollout undo [--to-revision N]`. A rollout still in flight is
// aborted: that already sends everything back to its stable revision (a
// rolling update back, the blue-green switch back, the canary's 100% to
// stable). Otherwise undo is a new rollout to the chosen revision, as
// Kubernetes' undo is a new rollout of the old template; it skips steps,
// pauses and analyses (Argo Rollouts' fast rollback), so a blue-green
// revision still warm is switched back to in one route action.
import type { Command, Observed, RolloutState } from "../types.js";
import { startRollout } from "./start.js";

export interface RollbackRequest {
  /** The revision number to go back to; default: abort the rollout in flight, or the newest earlier revision. */
  toRevision?: number;
  /** The id for the new rollout, when undo makes one. */
  rolloutId: string;
  nowMs: number;
}

export type RollbackPlan =
  | { kind: "command"; command: Command }
  | { kind: "rollout"; state: RolloutState }
  | { kind: "refused"; reason: string };

function inFlight(current: RolloutState): boolean {
  return !current.aborted && current.phase !== "degraded" && current.stableRevision !== undefined && current.stableRevision !== current.targetRevision;
}

export function planRollback(current: RolloutState, observed: Observed, request: RollbackRequest): RollbackPlan {
  const abort: RollbackPlan = { kind: "command", command: { type: "abort", reason: "rolled back with slipway rollout undo" } };
  // What serves once the current rollout settles.
  const serving = current.aborted ? (current.stableRevision ?? current.targetRevision) : current.targetRevision;
  const byNumber = [...observed.revisions].sort((a, b) => a.number - b.number);

  let to: string;
  if (request.toRevision === undefined) {
    if (inFlight(current)) return abort;
    // Kubernetes: the newest revision other than the current one (and never the one an abort just left).
    const previous = byNumber.filter((r) => r.revision !== serving && r.revision !== current.targetRevision).at(-1);
    if (previous === undefined) return { kind: "refused", reason: `there is no revision before ${serving} to go back to` };
    to = previous.revision;
  } else {
    const wanted = byNumber.find((r) => r.number === request.toRevision);
    if (wanted === undefined) {
      const kept = byNumber.map((r) => r.number).join(", ");
      return { kind: "refused", reason: `revision ${request.toRevision} is not in the history (kept: ${kept || "none"}; revisionHistoryLimit forgets older ones)` };
    }
    to = wanted.revision;
    if (inFlight(current) && to === current.stableRevision) return abort;
    if (inFlight(current) ? to === current.targetRevision : to === serving) return { kind: "refused", reason: `revision ${request.toRevision} (${to}) is already the one rolled out` };
  }

  const state = startRollout({
    id: request.rolloutId,
    service: current.service,
    environment: current.environment,
    strategy: current.strategy,
    targetRevision: to,
    desiredReplicas: current.desiredReplicas,
    nowMs: request.nowMs,
    previous: current,
    promoteFull: true,
  });
  return { kind: "rollout", state: { ...state, message: `rolling back to ${to}` } };
}
