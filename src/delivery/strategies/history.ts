// Kubernetes' cleanupDeployment for every strategy: beyond
// revisionHistoryLimit old revisions, the oldest ones without instances are
// forgotten (their records, and on a cluster their ReplicaSets and Services);
// undo can no longer reach them. Rolling updates prune when they settle
// (rolling.ts); canary and blue-green when their rollout completes, promoted
// or aborted (withHistoryLimit).
import type { Action, Observed, ObservedRevision, Plan } from "../types.js";
import { liveCount } from "./observation.js";

/** The rollout's own stable and target revisions are always kept, whatever their age. */
export function revisionsPastHistoryLimit(byAge: readonly ObservedRevision[], current: string, limit: number, observed: Observed, keep: (string | undefined)[]): string[] {
  const olds = byAge.filter((r) => r.revision !== current);
  const excess = olds.length - limit;
  return olds
    .slice(0, Math.max(0, excess))
    .filter((r) => liveCount(observed, r.revision) === 0 && !keep.includes(r.revision))
    .map((r) => r.revision);
}

/**
 * A completing plan with the forgetRevisions action its history limit asks
 * for, before the complete (history actions come last). A plan that does not
 * complete, or a spec stored before the limit existed (undefined), is left as
 * it is.
 */
export function withHistoryLimit(plan: Plan, limit: number | undefined, observed: Observed): Plan {
  const end = plan.actions.at(-1);
  if (limit === undefined || end?.type !== "complete" || plan.actions.some((a) => a.type === "forgetRevisions")) return plan;
  const { state } = plan;
  const serving = state.aborted ? (state.stableRevision ?? state.targetRevision) : state.targetRevision;
  const byAge = [...observed.revisions].sort((a, b) => a.number - b.number);
  const revisions = revisionsPastHistoryLimit(byAge, serving, limit, observed, [state.stableRevision, state.targetRevision]);
  if (revisions.length === 0) return plan;
  const forget: Action = { type: "forgetRevisions", revisions };
  return { state, actions: [...plan.actions.slice(0, -1), forget, end] };
}
