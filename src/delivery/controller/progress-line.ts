// One line per change of a rollout, for `deploy` and `rollout watch`: phase,
// step, weights, ready instances per revision, analyses, and the message.
import type { Observed, RolloutState } from "../types.js";

export function progressLine(state: RolloutState, observed: Observed, stepCount?: number): string {
  const parts: string[] = [state.phase + (state.userPaused ? " (paused)" : "")];
  // A first deploy has no stable revision to share traffic with: every strategy goes straight to the target.
  if (state.stableRevision === undefined) parts.push("first deploy");
  // Once settled, the phase says it all (a first deploy settles with stable = target and no step taken).
  else if (state.strategy === "canary" && stepCount !== undefined && (state.phase === "progressing" || state.phase === "paused")) parts.push(`step ${Math.min(state.stepIndex + 1, stepCount)}/${stepCount}${state.stepIndex >= stepCount ? " done" : ""}`);
  const weights = Object.entries(observed.weights)
    .filter(([, w]) => w > 0)
    .map(([r, w]) => `${r} ${w}%`)
    .join(", ");
  parts.push(`traffic ${weights || "none"}`);
  const ready = observed.revisions
    .filter((r) => r.instances.some((i) => i.phase !== "exited"))
    .map((r) => `${r.revision} ${r.instances.filter((i) => i.ready).length}/${r.instances.filter((i) => i.phase !== "exited").length}`)
    .join(", ");
  parts.push(`ready ${ready || "none"}`);
  const analyses = state.analyses.map((a) => `${a.key} ${a.status}${a.measurements ? ` (${a.measurements.successful} ok, ${a.measurements.failed} failed)` : ""}`).join(", ");
  if (analyses !== "") parts.push(`analysis ${analyses}`);
  if (state.pause !== undefined) parts.push(`pause: ${state.pause.reason}`);
  if (state.message !== undefined) parts.push(state.message);
  return parts.join(" · ");
}
