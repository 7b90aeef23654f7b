// Wires one service's controller together: the readiness prober and the
// analysis runs wake the loop when they change; close() stops probing and
// analysing in this process without touching instances or routes.
import type { TrafficRouter } from "../../router/types.js";
import type { Runtime } from "../../runtime/types.js";
import type { AnalysisMetric } from "../analysis/analysis-run.js";
import { AnalysisRuns } from "./analysis-runs.js";
import { ReadinessTracker } from "./readiness-tracker.js";
import { RolloutLoop } from "./rollout-loop.js";
import { ServiceWorld } from "./service-world.js";
import type { RolloutStore, ServiceScope } from "./store-port.js";

export interface ServiceControllerDeps {
  scope: ServiceScope;
  runtime: Runtime;
  router: TrafficRouter;
  store: RolloutStore;
  metricsFor: (names: readonly string[]) => AnalysisMetric[];
}

export interface ServiceController {
  world: ServiceWorld;
  loop: RolloutLoop;
  close(): void;
}

export function createServiceController(deps: ServiceControllerDeps): ServiceController {
  // The prober and the analyses only call back asynchronously, after the loop exists.
  const nudge = (): void => loop.nudge();
  const tracker = new ReadinessTracker(deps.runtime, nudge);
  const analyses = new AnalysisRuns(deps.store, deps.metricsFor, nudge);
  const world = new ServiceWorld({ scope: deps.scope, runtime: deps.runtime, router: deps.router, store: deps.store, tracker, analyses });
  const loop = new RolloutLoop(world, deps.store);
  return {
    world,
    loop,
    close: () => {
      tracker.stopAll();
      analyses.stopAll();
    },
  };
}
