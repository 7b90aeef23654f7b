// What `slipway serve` holds for its lifetime: the system's state store (for
// authentication and the audit log), the event hub every controller reports
// into, and the controllers of the environments it drives.
import { loadSystem, type LoadedSystem } from "../config/load-system.js";
import { SlipwayError } from "../domain/errors.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { storePath } from "../store/store-path.js";
import { AuthService } from "./auth.js";
import { startEnvironmentController, type EnvironmentController } from "./controller.js";
import { EventHub } from "./event-hub.js";
import type { Reporter } from "./events.js";
import { TrafficSampler } from "./traffic-series.js";
import { Wakeups } from "./wakeups.js";

export interface ServeHost {
  /** slipway.yaml (or a folder at or below it): use cases load it afresh, so edits apply without a restart. */
  config: string;
  system: LoadedSystem;
  auth: AuthService;
  hub: EventHub;
  /** Per-revision traffic for the dashboard's charts, sampled while someone looks. */
  traffic: TrafficSampler;
  /** What the API records for an environment wakes its controller here at once (it polls the store only for other processes' changes). */
  wakeups: Wakeups;
  /** Aborts when the server closes: work it started in the background (a promotion it follows) stops following. */
  stopping: AbortSignal;
  close(): void;
}

export async function openServeHost(config: string): Promise<ServeHost> {
  const system = await loadSystem(config);
  const store = SqliteStore.open(storePath(system));
  const traffic = new TrafficSampler(config);
  const stopping = new AbortController();
  return {
    config,
    system,
    auth: new AuthService(store),
    hub: new EventHub(),
    traffic,
    wakeups: new Wakeups(),
    stopping: stopping.signal,
    close: () => {
      stopping.abort();
      traffic.close();
      store.close();
    },
  };
}

export type ControllerStart = { environment: string; controller: EnvironmentController } | { environment: string; skipped: string };

/**
 * Starts the rollout controller of every environment (Docker or
 * Kubernetes). One held by another process (a `slipway controller --env`)
 * is left to it, and the rollouts this server records are driven there; one
 * that cannot start (a cluster out of reach, say) is reported and skipped,
 * so the others and the API still serve.
 */
export async function startControllers(host: ServeHost, options: { reporter: Reporter; signal: AbortSignal }): Promise<ControllerStart[]> {
  const started: ControllerStart[] = [];
  for (const environment of host.system.config.environments) {
    try {
      started.push({ environment: environment.name, controller: await startEnvironmentController(host.config, environment.name, { ...options, wakeups: host.wakeups, holder: "slipway serve" }) });
    } catch (err) {
      started.push({ environment: environment.name, skipped: err instanceof SlipwayError ? `${err.message} (${err.code})` : String(err) });
    }
  }
  return started;
}
