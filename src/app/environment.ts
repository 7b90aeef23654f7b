// Opening an environment: the composition root of the rollout controller's
// adapters for one environment of the system — on Docker the Docker runtime
// and the environment's HAProxy router, on Kubernetes the Kubernetes runtime
// and the Gateway API router (kubernetes-environment.ts) — with the state
// store, and the small helpers every use case that acts in an environment
// shares.
import { loadSystem, type LoadedService, type LoadedSystem } from "../config/load-system.js";
import { analysisMetricsFor } from "../delivery/analysis/create-provider.js";
import type { AnalysisMetric } from "../delivery/analysis/analysis-run.js";
import type { RevisionCounters } from "../delivery/analysis/router-provider.js";
import { environmentLockPath, lockHolder, lockHolderOf, type LockHolder } from "../delivery/controller/controller-lock.js";
import { dockerEngineStateOf } from "../delivery/controller/replica-repairer.js";
import { createServiceController, type ServiceController } from "../delivery/controller/service-controller.js";
import type { ServiceScope } from "../delivery/controller/store-port.js";
import { DockerEngine } from "../docker/engine.js";
import type { EnvironmentConfig, ServiceConfig } from "../domain/config-schema.js";
import { findNamed } from "../domain/unknown-name.js";
import { endpointPort, environmentOf, previewPort, routerPortSetting } from "../domain/placement.js";
import { HaproxyRouter } from "../router/haproxy/haproxy-router.js";
import type { TrafficRouter } from "../router/types.js";
import { DockerRuntime } from "../runtime/docker/docker-runtime.js";
import type { Runtime } from "../runtime/types.js";
import { SqliteRolloutStore } from "../store/sqlite/rollout-store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { storePath } from "../store/store-path.js";
import type { Endpoints } from "./events.js";
import { type KubernetesAdapters, openKubernetes } from "./kubernetes-environment.js";

/** The environment's router, with what starting it means (HAProxy's process; the Gateway on a cluster). */
export interface EnvironmentRouter extends TrafficRouter {
  start(): Promise<unknown>;
}

export interface EnvironmentSession {
  system: LoadedSystem;
  environment: EnvironmentConfig;
  portOffset: number;
  store: SqliteStore;
  rollouts: SqliteRolloutStore;
  engine: DockerEngine;
  runtime: Runtime;
  router: EnvironmentRouter;
  /** Set where the environment runs on Kubernetes. */
  kubernetes?: KubernetesAdapters;
  close(): void;
}

export async function openEnvironment(config: string, envName: string): Promise<EnvironmentSession> {
  return openEnvironmentOf(await loadSystem(config), envName);
}

/** As openEnvironment, for a system already loaded (the server loads it once per request). */
export function openEnvironmentOf(system: LoadedSystem, envName: string, shared?: SqliteStore): EnvironmentSession {
  const { environment, portOffset, routerPort } = environmentOf(system.config, envName);
  const store = shared ?? SqliteStore.open(storePath(system));
  const engine = new DockerEngine();
  // A shared store belongs to whoever opened it.
  const closeStore = (): void => (shared === undefined ? store.close() : undefined);
  const common = { system, environment, portOffset, store, rollouts: new SqliteRolloutStore(store.db), engine };
  if (environment.runtime === "kubernetes") {
    const kubernetes = openKubernetes(system, environment, portOffset);
    return {
      ...common,
      runtime: kubernetes.runtime,
      router: kubernetes.router,
      kubernetes,
      close: () => {
        // The pod watches would keep the process alive.
        void kubernetes.cluster.close();
        closeStore();
      },
    };
  }
  return {
    ...common,
    runtime: new DockerRuntime(engine, { network: environment.network }),
    router: new HaproxyRouter({ environment: environment.name, stateDir: system.stateDir, controlPort: routerPort, controlPortSetting: routerPortSetting(environment) }),
    close: closeStore,
  };
}

/** Runs `use` with the environment open, and closes it after. */
export async function withEnvironment<T>(config: string, envName: string, use: (session: EnvironmentSession) => Promise<T>): Promise<T> {
  const session = await openEnvironment(config, envName);
  try {
    return await use(session);
  } finally {
    session.close();
  }
}

export function serviceOf(system: LoadedSystem, name: string): LoadedService {
  return findNamed("service", name, system.services, (s) => s.config.name, system.config.system);
}

export function scopeOf(session: EnvironmentSession, service: string): ServiceScope {
  return { system: session.system.config.system, environment: session.environment.name, service };
}

/** Starts the environment's router when it is not running and declares the service's endpoints. */
export async function routeService(session: EnvironmentSession, service: ServiceConfig): Promise<number> {
  const port = endpointPort(service, session.portOffset, session.environment.endpointPorts);
  const preview = previewPort(service, session.portOffset, session.environment.endpointPorts);
  // The router checks each routed address every readiness period, so a dead one is out of rotation within a period.
  await session.router.ensureService(service.name, { endpointPort: port, ...(preview === undefined ? {} : { previewPort: preview }), healthCheckIntervalMs: service.readiness.periodSeconds * 1000 });
  await session.router.start();
  return port;
}

/**
 * The pid of a `slipway controller` (or `slipway serve`) running for the
 * environment in another process: it is then the only router writer, and
 * this process only records what it wants in the store and follows.
 */
export function otherEnvironmentController(session: EnvironmentSession): number | undefined {
  const pid = lockHolder(environmentLockPath(session.system.stateDir, session.environment.name));
  return pid === process.pid ? undefined : pid;
}

/** As otherEnvironmentController, with what that process is (`slipway serve`, …) and whether it is stopping. */
export function otherEnvironmentControllerOf(session: EnvironmentSession): LockHolder | undefined {
  const holder = lockHolderOf(environmentLockPath(session.system.stateDir, session.environment.name));
  return holder?.pid === process.pid ? undefined : holder;
}

export function endpointsOf(session: Pick<EnvironmentSession, "portOffset" | "environment">, service: ServiceConfig): Endpoints {
  const fixed = session.environment.endpointPorts;
  const preview = previewPort(service, session.portOffset, fixed);
  return { endpoint: `http://127.0.0.1:${endpointPort(service, session.portOffset, fixed)}`, ...(preview === undefined ? {} : { preview: `http://127.0.0.1:${preview}` }) };
}

/** A revision's cumulative counters from the environment's router, as the analysis' router metrics read them; latency percentiles over the last `latencyWindowMs` (the router's default when unset). */
export async function routerCountersOf(session: EnvironmentSession, service: string, revision: string, latencyWindowMs?: number): Promise<RevisionCounters> {
  const stats = await session.router.revisionStats(service, latencyWindowMs === undefined ? {} : { latencyWindowMs });
  const r = stats.revisions[revision];
  return {
    requests: r?.requests ?? 0,
    responses5xx: r?.responses5xx ?? 0,
    connectionErrors: r?.connectionErrors ?? 0,
    countersSince: stats.countersSince,
    ...(r?.latencyHistogram === undefined ? {} : { latencyHistogram: r.latencyHistogram }),
    ...(r?.latency === undefined ? {} : { latencyMs: { p50: r.latency.p50Ms, p95: r.latency.p95Ms, p99: r.latency.p99Ms, average: r.avgResponseMs } }),
  };
}

/** The rollout controller of one service, its analysis reading the environment's router counters. */
export function controllerFor(session: EnvironmentSession, service: LoadedService): ServiceController {
  const metricsFor = (names: readonly string[]): AnalysisMetric[] =>
    analysisMetricsFor(names, service.config.analysis?.metrics ?? [], {
      system: session.system.config.system,
      engine: session.engine,
      ...(session.kubernetes === undefined ? {} : { kubernetesJobs: { cluster: session.kubernetes.cluster, scope: session.kubernetes.scope, service: service.config.name, port: service.config.port } }),
      readRouterCounters: (revision) => routerCountersOf(session, service.config.name, revision),
    });
  // On Docker, an instance stopped by the engine's own shutdown is left to its restart policy for a while (ADR 25).
  const engineStateOf = session.kubernetes === undefined ? { engineStateOf: dockerEngineStateOf(session.engine) } : {};
  return createServiceController({ scope: scopeOf(session, service.config.name), runtime: session.runtime, router: session.router, store: session.rollouts, metricsFor, ...engineStateOf });
}
