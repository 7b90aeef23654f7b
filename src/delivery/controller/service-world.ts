// One service in one environment as the controller sees and changes it:
// its recorded revisions, their instances (runtime), their readiness (probed
// here), and its routes (router). observe() also keeps the router in step
// with readiness: a ready instance is routed, a gone or not-ready one is not,
// so "ready" in the observation always means "ready and reachable".
import { effectivePercentages } from "../../router/revision-weights.js";
import type { RoutedBackend, TrafficRouter } from "../../router/types.js";
import type { Instance, Runtime } from "../../runtime/types.js";
import type { Observed, ObservedRevision } from "../types.js";
import type { AnalysisRuns } from "./analysis-runs.js";
import type { ExitGrace } from "./exit-grace.js";
import type { ReadinessTracker } from "./readiness-tracker.js";
import type { RevisionRecord, RolloutStore, ServiceScope } from "./store-port.js";

export interface ServiceWorldDeps {
  scope: ServiceScope;
  runtime: Runtime;
  router: TrafficRouter;
  store: RolloutStore;
  tracker: ReadinessTracker;
  analyses: AnalysisRuns;
  /** Exited instances the engine may restart by itself, kept for a grace (Docker); none without it. */
  exitGrace?: ExitGrace;
}

export interface WorldSnapshot {
  observed: Observed;
  instances: Instance[];
  backends: RoutedBackend[];
}

export class ServiceWorld {
  constructor(readonly deps: ServiceWorldDeps) {}

  /** The router's cumulative counters of one revision (summed over its instances) and since when they count. */
  async revisionCounters(revision: string): Promise<{ requests: number; responses5xx: number; connectionErrors: number; countersSince: string }> {
    const stats = await this.deps.router.revisionStats(this.deps.scope.service);
    const r = stats.revisions[revision];
    return { requests: r?.requests ?? 0, responses5xx: r?.responses5xx ?? 0, connectionErrors: r?.connectionErrors ?? 0, countersSince: stats.countersSince };
  }

  get scope(): ServiceScope {
    return this.deps.scope;
  }

  revisions(): RevisionRecord[] {
    return this.deps.store.listRevisions(this.deps.scope);
  }

  async instances(revision?: string): Promise<Instance[]> {
    const { system, environment, service } = this.deps.scope;
    return this.deps.runtime.listInstances({ system, environment, service, ...(revision === undefined ? {} : { revision }) });
  }

  /** The ids of exited instances that still count for a scale: the engine may be about to start them again. */
  async exitedToKeep(instances: readonly Instance[]): Promise<Set<string>> {
    return (await this.deps.exitGrace?.keep(instances)) ?? new Set();
  }

  async observe(rolloutId: string): Promise<WorldSnapshot> {
    const { tracker, analyses } = this.deps;
    const revisions = this.revisions();
    const byName = new Map(revisions.map((r) => [r.name, r]));
    const instances = await this.instances();
    const live = instances.filter((i) => i.phase !== "exited" && byName.has(i.revision));
    tracker.retain(new Set(live.map((i) => i.id)));
    const routedBefore = new Set((await this.deps.router.listBackends(this.deps.scope.service)).filter((b) => b.state === "ready").map((b) => b.name));
    for (const i of live) tracker.track(i, (byName.get(i.revision) as RevisionRecord).template.readiness, routedBefore.has(i.name));

    const backends = await this.syncRoutes(live);
    const routed = new Set(backends.filter((b) => b.state === "ready").map((b) => b.name));
    const weights = effectivePercentages(backends.filter((b) => b.state === "ready")) ?? {};
    const preview = backends.find((b) => b.role === "preview")?.revision;

    const observedRevisions: ObservedRevision[] = revisions.map((r) => ({
      revision: r.name,
      number: r.number,
      image: r.image,
      instances: instances
        .filter((i) => i.revision === r.name)
        .map((i) => {
          const readiness = tracker.readinessOf(i.id);
          const ready = i.phase !== "exited" && readiness.ready && routed.has(i.name);
          return { id: i.id, phase: i.phase, ready, ...(ready && readiness.readySinceMs !== undefined ? { readySinceMs: readiness.readySinceMs } : {}) };
        }),
    }));
    const observed: Observed = {
      nowMs: Date.now(),
      revisions: observedRevisions,
      weights,
      analyses: analyses.observations(rolloutId),
      ...(preview === undefined ? {} : { previewRevision: preview }),
      ...(this.deps.router.splitsBy === "replicas" ? { splitByReplicas: true } : {}),
    };
    return { observed, instances, backends };
  }

  /** Routes every ready instance and un-routes every backend whose instance is gone or not ready. */
  private async syncRoutes(live: readonly Instance[]): Promise<RoutedBackend[]> {
    const { router, tracker, scope } = this.deps;
    const service = scope.service;
    let backends = await router.listBackends(service);
    const ready = live.filter((i) => tracker.readinessOf(i.id).ready);
    const readyNames = new Set(ready.map((i) => i.name));
    const previewRevision = backends.find((b) => b.role === "preview")?.revision;
    let changed = false;
    for (const b of backends) {
      // A backend left draining by a controller that died mid-removal is routed afresh if its instance lives on.
      if (readyNames.has(b.name) && b.state === "ready") continue;
      await router.removeBackend(service, b.name);
      changed = true;
    }
    const routed = new Set(backends.filter((b) => b.state === "ready").map((b) => b.name));
    for (const i of ready) {
      if (routed.has(i.name)) continue;
      // Weight 0: under a revision split the router gives it its part of its revision's share.
      await router.addBackend(service, { name: i.name, revision: i.revision, role: i.revision === previewRevision ? "preview" : "stable", address: i.address.host, port: i.address.port, weight: 0 });
      changed = true;
    }
    if (changed) backends = await router.listBackends(service);
    return backends;
  }
}
