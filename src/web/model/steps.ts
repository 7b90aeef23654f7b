// A rollout strategy's steps as lines of a timeline, and which one the
// rollout is at: canary steps as declared; blue-green and rolling as the
// phases they go through.

export interface TimelineStep {
  label: string;
  state: "done" | "current" | "next";
}

type Step = Record<string, unknown>;

export function describeStep(step: Step): string {
  if (typeof step["setWeight"] === "number") return `Set weight ${step["setWeight"]}%`;
  if ("pause" in step) {
    const duration = (step["pause"] as { duration?: unknown } | undefined)?.duration;
    return duration === undefined ? "Pause until promoted" : `Pause ${typeof duration === "number" ? `${duration} s` : String(duration)}`;
  }
  if ("analysis" in step) {
    const metrics = (step["analysis"] as { metrics?: unknown } | undefined)?.metrics;
    return Array.isArray(metrics) && metrics.length > 0 ? `Analysis: ${metrics.join(", ")}` : "Analysis";
  }
  if (typeof step["setCanaryScale"] === "object") return "Set canary scale";
  return Object.keys(step)[0] ?? "step";
}

export interface StepInput {
  strategy: { canary?: { steps: Step[] }; blueGreen?: unknown; rolling?: unknown };
  state: { stepIndex: number; phase: string; promoted: boolean };
  finished: boolean;
}

export function timeline({ strategy, state, finished }: StepInput): TimelineStep[] {
  const labels = strategy.canary !== undefined ? [...strategy.canary.steps.map(describeStep), "Full rollout"] : strategy.blueGreen !== undefined ? ["Preview the new revision", "Promote", "Switch traffic"] : ["Replace instances"];
  const at = finished && state.phase !== "aborted" ? labels.length : currentIndex({ strategy, state, finished }, labels.length);
  return labels.map((label, i) => ({ label, state: i < at ? "done" : i === at ? "current" : "next" }));
}

function currentIndex({ strategy, state }: StepInput, count: number): number {
  if (strategy.canary !== undefined) return Math.min(state.stepIndex, count - 1);
  if (strategy.blueGreen !== undefined) return state.promoted ? 2 : state.phase === "paused" ? 1 : 0;
  return 0;
}
