// Wires one service's controller together: the readiness prober and the
// analysis runs wake the loop when they change; close() stops probing and
// analysing in this process without touching instances or routes.
import type { TrafficRouter } from "../../router/types.js";
import type { Runtime } from "../../runtime/types.js";
import type { AnalysisMetric } from "../analysis/analysis-run.js";
import { AnalysisRuns } from "./analysis-runs.js";
import { ExitGrace, type EngineStateOf } from "./exit-grace.js";
import { ReadinessTracker } from "./readiness-tracker.js";
import { DEFAULT_REPAIR_OPTIONS } from "./replica-repair.js";
import { RolloutLoop } from "./rollout-loop.js";
import { ServiceWorld } from "./service-world.js";
import type { RolloutStore, ServiceScope } from "./store-port.js";

export interface ServiceControllerDeps {
  scope: ServiceScope;
  runtime: Runtime;
  router: TrafficRouter;
  store: RolloutStore;
  metricsFor: (names: readonly string[]) => AnalysisMetric[];
  /** The engine's view of an exited instance (Docker): one its restart policy brings back is kept for a grace, not replaced. */
  engineStateOf?: EngineStateOf;
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
  const exitGrace = deps.engineStateOf === undefined ? undefined : new ExitGrace(deps.engineStateOf, DEFAULT_REPAIR_OPTIONS.exitedGraceMs);
  const world = new ServiceWorld({ scope: deps.scope, runtime: deps.runtime, router: deps.router, store: deps.store, tracker, analyses, ...(exitGrace === undefined ? {} : { exitGrace }) });
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
