// One line per change of a rollout, for `deploy` and `rollout watch`: phase,
// step, weights, ready instances per revision, analyses, and the message.
// A follower of another process's rollout gets the same without the runtime's parts.
import type { Observed, RolloutState } from "../types.js";

export function progressLine(state: RolloutState, observed: Observed, stepCount?: number): string {
  const weights = Object.entries(observed.weights)
    .filter(([, w]) => w > 0)
    .map(([r, w]) => `${r} ${w}%`)
    .join(", ");
  const ready = observed.revisions
    .filter((r) => r.instances.some((i) => i.phase !== "exited"))
    .map((r) => `${r.revision} ${r.instances.filter((i) => i.ready).length}/${r.instances.filter((i) => i.phase !== "exited").length}`)
    .join(", ");
  return [...headParts(state, stepCount), `traffic ${weights || "none"}`, `ready ${ready || "none"}`, ...tailParts(state)].join(" · ");
}

/**
 * The same line from the store alone, for a command following a rollout
 * another process drives (`slipway serve`, a controller): it reads no
 * runtime, so it has no weights or ready counts.
 */
export function followedLine(state: RolloutState, stepCount?: number): string {
  return [...headParts(state, stepCount), ...tailParts(state)].join(" · ");
}

function headParts(state: RolloutState, stepCount: number | undefined): string[] {
  const parts: string[] = [state.phase + (state.userPaused ? " (paused)" : "")];
  // A first deploy has no stable revision to share traffic with: every strategy goes straight to the target.
  if (state.stableRevision === undefined) parts.push("first deploy");
  // Once settled, the phase says it all (a first deploy settles with stable = target and no step taken).
  else if (state.strategy === "canary" && stepCount !== undefined && (state.phase === "progressing" || state.phase === "paused")) parts.push(`step ${Math.min(state.stepIndex + 1, stepCount)}/${stepCount}${state.stepIndex >= stepCount ? " done" : ""}`);
  return parts;
}

function tailParts(state: RolloutState): string[] {
  const parts: string[] = [];
  const analyses = state.analyses.map((a) => `${a.key} ${a.status}${a.measurements ? ` (${a.measurements.successful} ok, ${a.measurements.failed} failed)` : ""}`).join(", ");
  if (analyses !== "") parts.push(`analysis ${analyses}`);
  if (state.pause !== undefined) parts.push(`pause: ${state.pause.reason}`);
  if (state.message !== undefined) parts.push(state.message);
  return parts;
}
