// Observes one settled service and applies `planReplicaRepair` through the
// same runtime and router operations the rollout controller uses: out of the
// router first (drained), then the container; replacements from the
// revision's recorded template, probed by a readiness tracker with the
// kubelet's rules and routed only once ready. Each pass holds the service's
// controller lock, so no other process drives the service meanwhile, and
// does nothing while the service has a rollout in flight.
import type { ContainerDetails } from "../../runtime/docker/instance-state.js";
import type { RoutedBackend, TrafficRouter } from "../../router/types.js";
import type { Instance, Runtime } from "../../runtime/types.js";
import { killedWarning } from "./action-applier.js";
import { servingRevision } from "./begin-rollout.js";
import { acquireControllerLock } from "./controller-lock.js";
import { ReadinessTracker } from "./readiness-tracker.js";
import { DEFAULT_REPAIR_OPTIONS, describeRepair, planReplicaRepair, type EngineState, type RepairAction, type RepairInstance, type RepairOptions } from "./replica-repair.js";
import { instanceSpecFor } from "./revision-template.js";
import type { RevisionRecord, RolloutRecord, RolloutStore, ServiceScope } from "./store-port.js";

export interface ReplicaRepairerDeps {
  scope: ServiceScope;
  runtime: Runtime;
  router: TrafficRouter;
  store: RolloutStore;
  /** The engine's view of an instance the runtime lists as exited (restarting or stopped for good); undefined when it is gone. */
  engineStateOf: (instance: Instance) => Promise<EngineState | undefined>;
  /** The service's controller lock (lockPath). */
  lockPath: string;
  log: (line: string) => void;
  hostEnv?: Readonly<Record<string, string | undefined>>;
  options?: RepairOptions;
}

export type RepairPass = { kind: "skipped"; reason: string } | { kind: "done"; actions: RepairAction[] };

/** The revision a finished rollout left serving, and how many instances it should have; undefined while in flight or degraded. */
export function settledRevision(latest: RolloutRecord | undefined): { revision: string; desiredReplicas: number } | undefined {
  if (latest === undefined || !latest.finished || latest.outcome === "degraded") return undefined;
  const revision = servingRevision(latest);
  return revision === undefined ? undefined : { revision, desiredReplicas: latest.state.desiredReplicas };
}

export class ReplicaRepairer {
  private readonly tracker: ReadinessTracker;
  /** Instance id → when it was first seen restarting, paused or exited, not ready since. */
  private readonly unavailableSince = new Map<string, number>();

  constructor(private readonly deps: ReplicaRepairerDeps) {
    // Passes are polled; a readiness change is picked up by the next one.
    this.tracker = new ReadinessTracker(deps.runtime, () => undefined);
  }

  get scope(): ServiceScope {
    return this.deps.scope;
  }

  async repairOnce(): Promise<RepairPass> {
    const { store, scope } = this.deps;
    const latest = store.latestRollout(scope);
    if (settledRevision(latest) === undefined) return { kind: "skipped", reason: "no settled revision" };
    const lock = acquireControllerLock(this.deps.lockPath);
    if ("heldBy" in lock) return { kind: "skipped", reason: `process ${lock.heldBy} drives the service` };
    try {
      // Looked at again under the lock: a rollout may have begun meanwhile.
      const now = store.latestRollout(scope);
      const settled = settledRevision(now);
      if (settled === undefined || now?.id !== latest?.id) return { kind: "skipped", reason: "a rollout began" };
      const revision = store.listRevisions(scope).find((r) => r.name === settled.revision);
      if (revision === undefined) return { kind: "skipped", reason: `the store does not know revision ${settled.revision}` };
      const { observed, byName } = await this.observe(revision);
      const actions = planReplicaRepair({ revision: revision.name, desiredReplicas: settled.desiredReplicas, nowMs: Date.now(), ...observed }, this.deps.options ?? DEFAULT_REPAIR_OPTIONS);
      await this.apply(actions, revision, byName);
      return { kind: "done", actions };
    } finally {
      lock.release();
    }
  }

  /** Stops probing; instances and routes stay as they are. */
  close(): void {
    this.tracker.stopAll();
    this.unavailableSince.clear();
  }

  private async observe(revision: RevisionRecord): Promise<{ observed: { instances: RepairInstance[]; backends: RoutedBackend[] }; byName: Map<string, Instance> }> {
    const { runtime, router, scope } = this.deps;
    const listed = await runtime.listInstances(scope);
    const backends = await router.listBackends(scope.service);
    const routed = new Set(backends.filter((b) => b.state === "ready").map((b) => b.name));
    const states = await Promise.all(listed.map(async (i) => (i.phase === "running" ? "running" : i.phase === "starting" ? "starting" : await this.deps.engineStateOf(i))));
    const present = listed.flatMap((instance, n) => {
      const state = states[n];
      return state === undefined ? [] : [{ instance, state }];
    });
    // As the rollout controller: live instances are probed; a restarting one is not ready.
    const live = present.filter((p) => p.instance.revision === revision.name && (p.state === "running" || p.state === "starting"));
    this.tracker.retain(new Set(live.map((p) => p.instance.id)));
    for (const { instance } of live) this.tracker.track(instance, revision.template.readiness, routed.has(instance.name));

    const nowMs = Date.now();
    const seen = new Set<string>();
    const instances = present.map(({ instance, state }): RepairInstance => {
      const ready = instance.revision === revision.name && this.tracker.readinessOf(instance.id).ready;
      seen.add(instance.id);
      if (ready) this.unavailableSince.delete(instance.id);
      else if ((state === "restarting" || state === "paused" || state === "exited") && !this.unavailableSince.has(instance.id)) this.unavailableSince.set(instance.id, nowMs);
      const since = this.unavailableSince.get(instance.id);
      return { id: instance.id, name: instance.name, revision: instance.revision, state, ready, createdAt: instance.createdAt, ...(since === undefined ? {} : { unavailableSinceMs: since }) };
    });
    for (const id of [...this.unavailableSince.keys()]) if (!seen.has(id)) this.unavailableSince.delete(id);
    return { observed: { instances, backends }, byName: new Map(present.map((p) => [p.instance.name, p.instance])) };
  }

  /** In the plan's order, stopping at the first failure (the next pass plans again). */
  private async apply(actions: readonly RepairAction[], revision: RevisionRecord, byName: ReadonlyMap<string, Instance>): Promise<void> {
    const { runtime, router, scope, log } = this.deps;
    for (const action of actions) {
      switch (action.type) {
        case "unroute":
          await router.removeBackend(scope.service, action.backend);
          break;
        case "remove": {
          const instance = byName.get(action.instance);
          if (instance === undefined) break;
          this.tracker.forget(instance.id);
          this.unavailableSince.delete(instance.id);
          const removal = await runtime.removeInstance(instance, action.graceful ? revision.template.terminationGracePeriodSeconds : 0);
          if (removal.killedAfterGraceSeconds !== undefined) log(killedWarning(scope.service, instance.name, removal.killedAfterGraceSeconds));
          break;
        }
        case "create":
          log(describeRepair(action));
          for (let n = 0; n < action.count; n++) {
            const created = await runtime.createInstance(instanceSpecFor(revision, this.deps.hostEnv ?? process.env));
            this.tracker.track(created, revision.template.readiness);
            log(`created instance ${created.name} of ${revision.name}; routed once ready`);
          }
          continue;
        case "route": {
          const instance = byName.get(action.instance);
          if (instance === undefined) break;
          await router.addBackend(scope.service, { name: instance.name, revision: instance.revision, role: action.role, address: instance.address.host, port: instance.address.port, weight: action.weight });
          break;
        }
      }
      log(describeRepair(action));
    }
  }
}

/**
 * Docker's container state as the repair sees it; undefined while the engine
 * removes it. An exited container under `unless-stopped` or `always` is
 * "exited", not "stopped": dockerd's shutdown stops its containers without
 * marking them stopped by hand (moby daemon/kill.go: HasBeenManuallyStopped
 * is set only when the daemon is not shutting down) and starts them again
 * when it starts; that flag is not in the API, so the plan gives them a grace period.
 */
export function engineStateFromDocker(state: Pick<ContainerDetails["State"], "Status" | "Restarting">, restartPolicy?: string): EngineState | undefined {
  if (state.Restarting || state.Status === "restarting") return "restarting";
  switch (state.Status) {
    case "running":
      return "running";
    case "created":
      return "starting";
    case "paused":
      return "paused";
    case "removing":
      return undefined;
    case "exited":
      return restartPolicy === "unless-stopped" || restartPolicy === "always" ? "exited" : "stopped";
    default:
      // dead: the engine failed to remove it and will not start it.
      return "stopped";
  }
}

/** engineStateOf for the Docker runtime: one inspect of the container. */
export function dockerEngineStateOf(engine: { get<T>(path: string): Promise<T | undefined> }): (instance: Instance) => Promise<EngineState | undefined> {
  return async (instance) => {
    const details = await engine.get<ContainerDetails>(`/containers/${encodeURIComponent(instance.id)}/json`);
    return details === undefined ? undefined : engineStateFromDocker(details.State, details.HostConfig.RestartPolicy?.Name);
  };
}
