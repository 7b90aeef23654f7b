// Specs and states for planner tests, with the schema's defaults spelled out.
import type { StrategyKind } from "../../../domain/config-schema.js";
import assert from "node:assert/strict";
import type { Action, BlueGreenSpec, CanarySpec, Command, CompletionOutcome, Observed, ObservedInstance, Plan, Planner, RollingSpec, RolloutState } from "../../types.js";
import { planScaleDown } from "../scale-down.js";
import { startRollout } from "../start.js";
import { describeAction } from "./run-scenario.js";

export const T0 = 1_700_000_000_000;

export function rollingSpec(overrides: Partial<RollingSpec> = {}): RollingSpec {
  // scaleDownDelaySeconds 0: Kubernetes' Deployment, which the rolling tables follow; tests of the warm window set it.
  return { maxSurge: "25%", maxUnavailable: "25%", minReadySeconds: 0, progressDeadlineSeconds: 600, revisionHistoryLimit: 10, scaleDownDelaySeconds: 0, ...overrides };
}

export function blueGreenSpec(overrides: Partial<BlueGreenSpec> = {}): BlueGreenSpec {
  return { scaleDownDelaySeconds: 30, progressDeadlineSeconds: 600, revisionHistoryLimit: 10, ...overrides };
}

export function canarySpec(overrides: Partial<CanarySpec> = {}): CanarySpec {
  return { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: 60 } }], scaleDownDelaySeconds: 30, progressDeadlineSeconds: 600, revisionHistoryLimit: 10, ...overrides };
}

/** stable null: a first deployment. */
export function rollout(strategy: StrategyKind, replicas: number, stable: string | null = "r1", target = "r2"): RolloutState {
  return startRollout({
    id: "ro-1",
    service: "web",
    environment: "prod",
    strategy,
    targetRevision: target,
    desiredReplicas: replicas,
    nowMs: T0,
    ...(stable === null ? {} : { stableRevision: stable }),
  });
}

/** Instances by shorthand: R ready (for an hour), N not ready, X exited, or { readySinceMs }. */
export type InstanceShorthand = "R" | "N" | "X" | { readySinceMs: number };

export function instances(revision: string, ...shapes: InstanceShorthand[]): ObservedInstance[] {
  return shapes.map((shape, i): ObservedInstance => {
    const id = `${revision}-${i + 1}`;
    if (shape === "R") return { id, phase: "running", ready: true, readySinceMs: T0 - 3_600_000 };
    if (shape === "N") return { id, phase: "running", ready: false };
    if (shape === "X") return { id, phase: "exited", ready: false };
    return { id, phase: "running", ready: true, readySinceMs: shape.readySinceMs };
  });
}

/** `{ r1: ["R","R"], r2: ["N"] }` in revision-number order (r1 = 1, r2 = 2, …). */
export function observed(nowMs: number, revisions: Record<string, InstanceShorthand[]>, weights: Record<string, number>, extra: Partial<Observed> = {}): Observed {
  return {
    nowMs,
    revisions: Object.entries(revisions).map(([revision, shapes]) => ({
      revision,
      number: Number(revision.replace(/\D/g, "")) || 0,
      image: `registry.test/app@sha256:${revision}`,
      instances: instances(revision, ...shapes),
    })),
    weights,
    analyses: {},
    ...extra,
  };
}

export const ready = (n: number): InstanceShorthand[] => Array.from({ length: n }, () => "R" as const);
export const notReady = (n: number): InstanceShorthand[] => Array.from({ length: n }, () => "N" as const);

/** Plans once and describes the actions compactly (see describeAction). */
export function planned(plan: Plan): { state: RolloutState; actions: string[]; wait?: Extract<Action, { type: "wait" }> } {
  const last = plan.actions.at(-1);
  return { state: plan.state, actions: plan.actions.map(describeAction).filter((a) => a !== "wait"), ...(last?.type === "wait" ? { wait: last } : {}) };
}

/** What the scale-down of a finished rollout does now, and when it looks again. */
export function scaleDown(state: RolloutState, outcome: CompletionOutcome, world: Observed): { actions: string[]; nextAtMs?: number } {
  const plan = planScaleDown(state, outcome, world);
  return { actions: plan.actions.map(describeAction), ...(plan.nextAtMs === undefined ? {} : { nextAtMs: plan.nextAtMs }) };
}

/** One planning step of a table: what the world shows, the actions expected, the phase after, a command taken with it. */
export type PlanRow = [label: string, world: Observed, actions: string[], phase?: RolloutState["phase"], command?: Command];

/** Plans row after row, each from the state the previous one left, asserting its actions and phase; returns the last state. */
export function walkPlans<Spec>(planner: Planner<Spec>, spec: Spec, state: RolloutState, rows: readonly PlanRow[]): RolloutState {
  let s = state;
  for (const [label, world, actions, phase, command] of rows) {
    const result = planned(planner(spec, s, world, command));
    assert.deepEqual(result.actions, actions, label);
    if (phase !== undefined) assert.equal(result.state.phase, phase, label);
    s = result.state;
  }
  return s;
}
