// A new rollout's first state. A rollout that supersedes another inherits its
// stable revision and its scale-down timers, so a revision kept warm for a
// rollback stays warm, and one left over is scaled down by the new rollout.
import type { StrategyKind } from "../../domain/config-schema.js";
import type { RolloutState } from "../types.js";

export interface RolloutStart {
  id: string;
  service: string;
  environment: string;
  strategy: StrategyKind;
  targetRevision: string;
  desiredReplicas: number;
  nowMs: number;
  /** The rollout this one supersedes, finished or not. */
  previous?: RolloutState;
  /** Without a previous rollout: the revision serving now, if any. */
  stableRevision?: string;
  /** Skip steps, pauses and analyses: what a rollback does. */
  promoteFull?: boolean;
}

export function startRollout(start: RolloutStart): RolloutState {
  const stable = start.previous?.stableRevision ?? start.stableRevision;
  const state: RolloutState = {
    id: start.id,
    service: start.service,
    environment: start.environment,
    strategy: start.strategy,
    targetRevision: start.targetRevision,
    desiredReplicas: start.desiredReplicas,
    attempt: 1,
    stepIndex: 0,
    userPaused: false,
    promoted: false,
    promoteFull: start.promoteFull ?? false,
    aborted: false,
    phase: "progressing",
    message: stable === undefined || stable === start.targetRevision ? `rolling out ${start.targetRevision}` : `rolling out ${start.targetRevision} over ${stable}`,
    startedAtMs: start.nowMs,
    lastProgressMs: start.nowMs,
    counts: { updated: 0, ready: 0, available: 0, old: 0 },
    analyses: [],
    scaleDownAt: (start.previous?.scaleDownAt ?? []).filter((d) => d.revision !== start.targetRevision && d.revision !== stable),
  };
  if (stable !== undefined) state.stableRevision = stable;
  return state;
}
