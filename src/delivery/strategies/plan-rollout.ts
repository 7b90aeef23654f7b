// One entry point for the controller: the planner of the rollout's strategy.
// The spec must be the one the rollout started with (store it with the
// rollout), so editing slipway.service.yaml mid-rollout cannot change the
// rules under a rollout in flight.
import type { Strategy } from "../../domain/config-schema.js";
import { SlipwayError } from "../../domain/errors.js";
import type { Command, Observed, Plan, RolloutState } from "../types.js";
import { planBlueGreen } from "./blue-green.js";
import { planCanary } from "./canary.js";
import { withHistoryLimit } from "./history.js";
import { planRolling } from "./rolling.js";

export function planRollout(strategy: Strategy, state: RolloutState, observed: Observed, command?: Command): Plan {
  if (state.strategy === "rolling" && strategy.rolling !== undefined) return planRolling(strategy.rolling, state, observed, command);
  // Rolling prunes its history itself, when it settles.
  if (state.strategy === "blueGreen" && strategy.blueGreen !== undefined) return withHistoryLimit(planBlueGreen(strategy.blueGreen, state, observed, command), strategy.blueGreen.revisionHistoryLimit, observed);
  if (state.strategy === "canary" && strategy.canary !== undefined) return withHistoryLimit(planCanary(strategy.canary, state, observed, command), strategy.canary.revisionHistoryLimit, observed);
  const has = (["rolling", "blueGreen", "canary"] as const).filter((k) => strategy[k] !== undefined).join(", ") || "none";
  throw new SlipwayError("INTERNAL", `rollout ${state.id} is a ${state.strategy} rollout but was planned with a strategy that has ${has}`, {
    hint: "plan a rollout with the strategy spec stored when it started",
  });
}
