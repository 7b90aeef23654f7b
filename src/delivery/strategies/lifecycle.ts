// What every strategy shares: the person's commands that mean the same
// everywhere (pause, resume, abort, retry), the progress deadline, the
// scale-down timers, and ending a plan with exactly one wait or complete.
import type { Action, CompletionOutcome, Observed, Plan, ProgressCounts, RolloutState, ScaleDown } from "../types.js";
import { stopOpenAnalyses } from "./analyses.js";
import { liveCount } from "./observation.js";

/** A copy to change freely: planners never mutate their input. */
export function copyState(state: RolloutState): RolloutState {
  return { ...state, counts: { ...state.counts }, analyses: state.analyses.map((a) => ({ ...a })), scaleDownAt: state.scaleDownAt.map((d) => ({ ...d })) };
}

export function note(state: RolloutState, message: string): RolloutState {
  return { ...state, message };
}

/** Finished rollouts take no pause: there is nothing left to hold. */
export function pauseRollout(state: RolloutState): RolloutState {
  if (state.aborted || state.phase === "healthy" || state.phase === "degraded") return note(state, `pause has no effect: the rollout is ${state.phase}`);
  return { ...state, userPaused: true, message: "paused by slipway rollout pause" };
}

/** The deadline starts again: time spent paused is not time without progress (Kubernetes does the same). */
export function resumeRollout(state: RolloutState, nowMs: number): RolloutState {
  if (!state.userPaused) return note(state, "resume has no effect: the rollout is not paused (promote goes past a pause step)");
  return { ...state, userPaused: false, lastProgressMs: nowMs, message: "resumed" };
}

/** Why abort cannot apply, or undefined when it can. */
export function abortRefusal(state: RolloutState): string | undefined {
  if (state.aborted) return "abort has no effect: the rollout is already aborted";
  if (state.stableRevision === undefined) return "abort has no effect: this is the first deployment, there is no stable revision to go back to";
  if (state.stableRevision === state.targetRevision) return "abort has no effect: the rollout is promoted; slipway rollout undo goes back";
  return undefined;
}

/** Stops open analyses and holds; the strategy adds what abort does to traffic. */
export function abortRollout(state: RolloutState, reason: string, nowMs: number, scaleDown?: ScaleDown): RolloutState {
  const next: RolloutState = {
    ...state,
    aborted: true,
    abortReason: reason,
    abortedAtMs: nowMs,
    userPaused: false,
    lastProgressMs: nowMs,
    message: `aborted: ${reason}`,
    analyses: stopOpenAnalyses(state.analyses, "stopped: the rollout was aborted"),
    scaleDownAt: scaleDown === undefined ? state.scaleDownAt : [...state.scaleDownAt.filter((d) => d.revision !== scaleDown.revision), scaleDown],
  };
  delete next.pause;
  return next;
}

export function retryRefusal(state: RolloutState): string | undefined {
  if (state.aborted || state.phase === "degraded") return undefined;
  return `retry has no effect: the rollout is ${state.phase}; retry restarts an aborted or degraded one`;
}

/** A fresh attempt at the same target: new analysis keys, the deadline from now, the target no longer due to scale down. */
export function retryRollout(state: RolloutState, nowMs: number): RolloutState {
  const next: RolloutState = {
    ...state,
    aborted: false,
    attempt: state.attempt + 1,
    stepIndex: 0,
    promoted: false,
    promoteFull: false,
    userPaused: false,
    phase: "progressing",
    lastProgressMs: nowMs,
    message: `retry: attempt ${state.attempt + 1}`,
    scaleDownAt: state.scaleDownAt.filter((d) => d.revision !== state.targetRevision),
  };
  delete next.pause;
  delete next.abortReason;
  delete next.abortedAtMs;
  return next;
}

// ---------------------------------------------------------------- progress

export function progressed(before: ProgressCounts, now: ProgressCounts): boolean {
  return now.updated > before.updated || now.ready > before.ready || now.available > before.available || now.old < before.old;
}

/**
 * The deadline only measures time spent waiting on instances: pauses,
 * analyses and timers are waits the rollout chose, so they restart it.
 * Returns the state with new counts and whether the deadline has passed.
 */
export function trackProgress(
  state: RolloutState,
  counts: ProgressCounts,
  waitingOnInstances: boolean,
  deadlineSeconds: number,
  nowMs: number,
): { state: RolloutState; deadlineExceeded: boolean } {
  const moved = !waitingOnInstances || progressed(state.counts, counts);
  const next = { ...state, counts, lastProgressMs: moved ? nowMs : state.lastProgressMs };
  return { state: next, deadlineExceeded: waitingOnInstances && nowMs >= deadlineAt(next, deadlineSeconds) };
}

export function deadlineAt(state: RolloutState, deadlineSeconds: number): number {
  return state.lastProgressMs + deadlineSeconds * 1000;
}

export function deadlineReason(deadlineSeconds: number, waitingFor: string): string {
  return `progress deadline exceeded: no progress for ${deadlineSeconds}s while ${waitingFor}`;
}

// -------------------------------------------------------- scale-down timers

/** Entries still holding their revision warm. */
export function pendingScaleDowns(state: RolloutState, nowMs: number): ScaleDown[] {
  return state.scaleDownAt.filter((d) => d.atMs > nowMs);
}

/** Entries whose time has come and whose revision has no instance left are done. */
export function pruneScaleDowns(state: RolloutState, observed: Observed): RolloutState {
  return { ...state, scaleDownAt: state.scaleDownAt.filter((d) => d.atMs > observed.nowMs || liveCount(observed, d.revision) > 0) };
}

/**
 * Every live revision the strategy does not manage goes to 0: leftovers of a
 * superseded rollout at once, revisions with a scale-down timer when it is due.
 */
export function addScaleDowns(replicas: Map<string, number>, state: RolloutState, observed: Observed): Map<string, number> {
  const warm = new Set(pendingScaleDowns(state, observed.nowMs).map((d) => d.revision));
  for (const r of observed.revisions) {
    if (replicas.has(r.revision) || warm.has(r.revision) || liveCount(observed, r.revision) === 0) continue;
    replicas.set(r.revision, 0);
  }
  return replicas;
}

/**
 * Revisions other than `keep` whose instances must go before the rollout
 * ends. Those a pending timer keeps warm are not among them: the rollout ends
 * once traffic is settled, and the finished rollout's timers are carried out
 * by the scale-down (the controller, or the finisher a command starts).
 */
export function leftovers(state: RolloutState, observed: Observed, keep: string): string[] {
  const warm = new Set(pendingScaleDowns(state, observed.nowMs).map((d) => d.revision));
  return observed.revisions.filter((r) => r.revision !== keep && !warm.has(r.revision) && liveCount(observed, r.revision) > 0).map((r) => r.revision);
}

// ------------------------------------------------------------------ ending

export interface PlanEnd {
  /** Set when the rollout is settled: the last action is complete. */
  complete?: { outcome: CompletionOutcome; reason?: string };
  /** Otherwise: what it waits for, for a person. */
  waitingFor: string;
  /** Moments the plan must be made again by (pause ends, timers, deadline); past and undefined ones are ignored. */
  wakeAtMs: (number | undefined)[];
}

export function endPlan(state: RolloutState, actions: Action[], observed: Observed, end: PlanEnd): Plan {
  if (end.complete !== undefined) {
    const complete: Action = { type: "complete", outcome: end.complete.outcome };
    if (end.complete.reason !== undefined) complete.reason = end.complete.reason;
    return { state, actions: [...actions, complete] };
  }
  const future = end.wakeAtMs.filter((t): t is number => t !== undefined && t > observed.nowMs);
  const wait: Action = { type: "wait", reason: end.waitingFor };
  if (future.length > 0) wait.untilMs = Math.min(...future);
  return { state, actions: [...actions, wait] };
}
