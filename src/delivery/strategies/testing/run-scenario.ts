// Drives a planner against a SimulatedWorld the way the controller does:
// observe, plan, persist the state, apply the actions in order, and plan
// again when something changes (an action was applied, an instance turned
// ready, an analysis decided, a wait ran out, a command arrived). Returns a
// compact trace for golden files. `crashEvery` drops the second half of every
// n-th plan's actions, as if the controller died after persisting the state.
import type { Action, Command, Observed, Plan, RolloutState } from "../../types.js";
import { planScaleDown } from "../scale-down.js";
import type { SimulatedWorld } from "./simulated-world.js";

export interface TimedCommand {
  /** Seconds after the scenario starts. */
  atS: number;
  command: Command;
}

export interface Scenario {
  plan: (state: RolloutState, observed: Observed, command?: Command) => Plan;
  state: RolloutState;
  world: SimulatedWorld;
  commands?: TimedCommand[];
  crashEvery?: number;
  /** Called with every plan, to assert invariants the world cannot see. */
  check?: (observed: Observed, plan: Plan) => void;
  /** Stop once this many seconds have passed; default one hour. */
  limitS?: number;
}

export interface ScenarioResult {
  trace: string[];
  state: RolloutState;
  completed?: Extract<Action, { type: "complete" }>;
  plans: number;
}

export function describeAction(action: Action): string {
  switch (action.type) {
    case "scale":
      return `scale ${action.revision}=${action.replicas}`;
    case "route": {
      const weights = Object.entries(action.weights).map(([r, w]) => `${r}=${w}`).join(" ");
      return `route ${weights}${action.preview === null ? "" : ` preview=${action.preview}`}`;
    }
    case "startAnalysis":
      return `start ${action.key}`;
    case "stopAnalysis":
      return `stop ${action.key}`;
    case "forgetRevisions":
      return `forget ${action.revisions.join(",")}`;
    case "wait":
      return "wait";
    case "complete":
      return `complete ${action.outcome}`;
  }
}

function describeCommand(command: Command): string {
  return command.type === "abort" && command.reason !== undefined ? `abort "${command.reason}"` : command.type;
}

export function runScenario(scenario: Scenario): ScenarioResult {
  const { world } = scenario;
  const startMs = world.nowMs;
  const limitMs = startMs + (scenario.limitS ?? 3600) * 1000;
  const commands = [...(scenario.commands ?? [])].sort((a, b) => a.atS - b.atS);
  const trace: string[] = [];
  let state = scenario.state;
  let lastPhase = "";
  let completed: ScenarioResult["completed"];

  for (let plans = 1; plans <= 2000; plans++) {
    const next = commands[0];
    const command = next !== undefined && startMs + next.atS * 1000 <= world.nowMs ? commands.shift()?.command : undefined;
    const observed = world.observe();
    const plan = scenario.plan(state, observed, command);
    scenario.check?.(observed, plan);
    state = plan.state; // persisted before any action is applied

    const crash = scenario.crashEvery !== undefined && plans % scenario.crashEvery === 0;
    const applied = crash ? plan.actions.slice(0, Math.floor(plan.actions.length / 2)) : plan.actions;
    for (const action of applied) world.apply(action);
    const unserved = world.unservedRevisions();
    if (unserved.length > 0) throw new Error(`at ${(world.nowMs - startMs) / 1000}s requests fail: ${unserved.join(", ")} carry weight without a ready instance`);

    const worldActions = plan.actions.filter((a) => a.type !== "wait");
    if (worldActions.length > 0 || command !== undefined || state.phase !== lastPhase) {
      const step = state.strategy === "canary" ? ` step=${state.stepIndex}` : "";
      const said = command === undefined ? "" : `<${describeCommand(command)}> `;
      trace.push(`${(world.nowMs - startMs) / 1000}s ${said}${worldActions.map(describeAction).join("; ") || "-"} → ${state.phase}${step}${crash ? " (crashed)" : ""}`);
      lastPhase = state.phase;
    }

    const last = plan.actions.at(-1);
    completed = last?.type === "complete" ? last : undefined;
    if (completed !== undefined && commands.length === 0) return { trace, state, completed, plans };
    // Applied actions change the world at once: look again before time moves (a crashed controller restarts at once too).
    if (worldActions.length > 0 && completed === undefined) continue;

    const wake = [last?.type === "wait" ? last.untilMs : undefined, world.nextEventMs(), commands[0] === undefined ? undefined : startMs + commands[0].atS * 1000];
    const future = wake.filter((t): t is number => t !== undefined && t > world.nowMs);
    if (future.length === 0) return { trace, state, plans, ...(completed === undefined ? {} : { completed }) };
    world.nowMs = Math.min(...future);
    if (world.nowMs > limitMs) return { trace, state, plans, ...(completed === undefined ? {} : { completed }) };
  }
  throw new Error(`the planner did not settle within 2000 plans; last trace lines:\n${trace.slice(-10).join("\n")}`);
}

/**
 * After a rollout completed: the scale-down of the revisions it kept warm,
 * as the controller (or the finisher) carries it out, traced like the plans.
 */
export function finishScaleDown(world: SimulatedWorld, result: ScenarioResult, startMs: number): string[] {
  const trace: string[] = [];
  if (result.completed === undefined) return trace;
  for (let passes = 0; passes < 100; passes++) {
    const plan = planScaleDown(result.state, result.completed.outcome, world.observe());
    for (const action of plan.actions) world.apply(action);
    if (plan.actions.length > 0) trace.push(`${(world.nowMs - startMs) / 1000}s (scale-down) ${plan.actions.map(describeAction).join("; ")}`);
    if (plan.nextAtMs === undefined) return trace;
    world.nowMs = plan.nextAtMs;
  }
  throw new Error("the scale-down did not finish within 100 passes");
}
