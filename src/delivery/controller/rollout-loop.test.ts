// The controller loop against fakes: an in-memory runtime and the in-memory
// router, with the real SQLite store. Checks the order that keeps requests
// from failing (routed only once ready, out of the router before stopped)
// and that a controller stopped half-way is finished by a new one.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { ReadinessProbe } from "../../domain/config-schema.js";
import { InMemoryTrafficRouter } from "../../router/in-memory-router.js";
import type { Instance, InstanceRemoval, InstanceFilter, InstanceSpec, ReadinessOutcome, Runtime } from "../../runtime/types.js";
import { SqliteRolloutStore } from "../../store/sqlite/rollout-store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import { ActionApplier } from "./action-applier.js";
import { beginRollout } from "./begin-rollout.js";
import { ExitGrace } from "./exit-grace.js";
import { removeOrphanInstances } from "./orphan-cleanup.js";
import { createServiceController } from "./service-controller.js";
import type { InstanceTemplate } from "./store-port.js";

class FakeRuntime implements Runtime {
  readonly instances = new Map<string, Instance>();
  readonly log: string[] = [];
  private next = 0;

  async createInstance(spec: InstanceSpec): Promise<Instance> {
    const id = `i${++this.next}`;
    const instance: Instance = { ...spec, id, name: `${spec.service}-${spec.revision}-${id}`, phase: "running", address: { host: "127.0.0.1", port: 20000 + this.next }, createdAt: new Date(Date.now() + this.next).toISOString() };
    this.instances.set(id, instance);
    this.log.push(`create ${instance.name}`);
    return instance;
  }
  async listInstances(filter: InstanceFilter): Promise<Instance[]> {
    return [...this.instances.values()].filter(
      (i) => i.system === filter.system && i.environment === filter.environment && (filter.service === undefined || i.service === filter.service) && (filter.revision === undefined || i.revision === filter.revision),
    );
  }
  async waitReady(): Promise<ReadinessOutcome> {
    return { ready: true, afterMs: 0 };
  }
  async probeOnce(instance: Instance): Promise<boolean> {
    return this.instances.has(instance.id);
  }
  async removeInstance(instance: Instance): Promise<InstanceRemoval> {
    this.log.push(`remove ${instance.name}`);
    this.instances.delete(instance.id);
    return {};
  }
  async logs(): Promise<string> {
    return "";
  }
}

const readiness: ReadinessProbe = { tcp: {}, initialDelaySeconds: 0, periodSeconds: 0.01, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 };
const template: InstanceTemplate = { port: 8080, env: {}, secretEnv: {}, resources: {}, readiness, terminationGracePeriodSeconds: 1 };
const strategy = { rolling: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 60, revisionHistoryLimit: 10, scaleDownDelaySeconds: 0 } };
const scope = { system: "shop", environment: "test", service: "api" };

function world() {
  const db = SqliteStore.open(":memory:");
  after(() => db.close());
  const store = new SqliteRolloutStore(db.db);
  const runtime = new FakeRuntime();
  const router = new InMemoryTrafficRouter();
  const controller = () => createServiceController({ scope, runtime, router, store, metricsFor: () => [] });
  return { store, runtime, router, controller };
}

/** Deploys image 1 with two instances, then marks both exited, as dockerd's shutdown leaves them. */
async function deployedThenExited(w: ReturnType<typeof world>): Promise<string> {
  await w.router.ensureService("api", { endpointPort: 18080 });
  const rollout = beginRollout(w.store, { ...scope, image: image(1), template, strategy, replicas: 2, nowMs: Date.now() });
  const c = w.controller();
  await c.loop.run(rollout.id, { signal: new AbortController().signal });
  c.close();
  for (const [id, i] of w.runtime.instances) w.runtime.instances.set(id, { ...i, phase: "exited", address: { host: "127.0.0.1", port: 0 } });
  w.runtime.log.length = 0;
  return w.store.getRollout(rollout.id)?.state.targetRevision ?? "";
}

const image = (n: number): string => `127.0.0.1:5000/shop/api@sha256:${String(n).repeat(64)}`;

describe("RolloutLoop", () => {
  it("deploys, then rolls over: every instance is routed only once ready and leaves the router before it stops", async () => {
    const { store, runtime, router, controller } = world();
    await router.ensureService("api", { endpointPort: 18080 });
    for (const n of [1, 2]) {
      const rollout = beginRollout(store, { ...scope, image: image(n), template, strategy, replicas: 2, nowMs: Date.now() });
      const c = controller();
      const end = await c.loop.run(rollout.id, { signal: new AbortController().signal });
      c.close();
      assert.equal(end.kind, "complete");
      assert.equal(end.kind === "complete" && end.outcome, "healthy");
    }
    const [first, second] = store.listRevisions(scope);
    assert.deepEqual([...runtime.instances.values()].map((i) => i.revision), [second?.name, second?.name]);
    const backends = await router.listBackends("api");
    assert.deepEqual(backends.map((b) => b.revision), [second?.name, second?.name]);
    // Every old instance was removed from the router before the runtime stopped it.
    for (const line of runtime.log.filter((l) => l.startsWith("remove "))) {
      const name = line.slice("remove ".length);
      assert.ok(name.includes(first?.name ?? "?"));
      assert.ok(router.calls.includes(`removeBackend api ${name}`), `${name} was not taken out of the router`);
    }
    assert.ok(router.calls.some((c) => c.startsWith("setRevisionWeights api")));
  });

  it("a controller stopped half-way is finished by the next one; a second rollout meanwhile is refused", async () => {
    const { store, runtime, router, controller } = world();
    await router.ensureService("api", { endpointPort: 18080 });
    const firstRollout = beginRollout(store, { ...scope, image: image(1), template, strategy, replicas: 2, nowMs: Date.now() });
    const c1 = controller();
    await c1.loop.run(firstRollout.id, { signal: new AbortController().signal });
    c1.close();

    const rollout = beginRollout(store, { ...scope, image: image(2), template, strategy, replicas: 2, nowMs: Date.now() });
    const stop = new AbortController();
    let plans = 0;
    const c2 = controller();
    const end = await c2.loop.run(rollout.id, { signal: stop.signal, onPlan: () => ++plans === 2 && stop.abort() });
    c2.close();
    assert.equal(end.kind, "interrupted");
    assert.throws(() => beginRollout(store, { ...scope, image: image(3), template, strategy, replicas: 2, nowMs: Date.now() }), /already has a rollout in progress/);

    const c3 = controller();
    const resumed = await c3.loop.run(rollout.id, { signal: new AbortController().signal });
    c3.close();
    assert.equal(resumed.kind === "complete" && resumed.outcome, "healthy");
    const target = store.getRollout(rollout.id)?.state.targetRevision;
    assert.deepEqual([...runtime.instances.values()].map((i) => i.revision), [target, target]);
  });

  // The race a clean-clone CI run found, on the rollout path: the applier retired every exited
  // instance at once and created new ones, while dockerd's shutdown had stopped them only to start
  // them again (same containers, same addresses) when it came back.
  it("a scale keeps exited instances the engine will start again (no remove, no create), and replaces those it will not", async () => {
    for (const [state, want] of [["exited", []], ["stopped", ["create", "create", "remove", "remove"]]] as const) {
      const w = world();
      const revision = await deployedThenExited(w);
      const c = createServiceController({ scope, runtime: w.runtime, router: w.router, store: w.store, metricsFor: () => [], engineStateOf: async () => state });
      await new ActionApplier(c.world, {}).apply("r", [{ type: "scale", revision, replicas: 2 }, { type: "wait", reason: "test" }]);
      c.close();
      assert.deepEqual(w.runtime.log.map((l) => l.split(" ")[0]).sort(), [...want], `engine state ${state}`);
    }
  });

  it("an exited instance counts only for its grace, from when it was first seen exited", async () => {
    const exited: Instance = { ...scope, revision: "r", id: "i1", name: "api-r-i1", image: image(1), phase: "exited", address: { host: "127.0.0.1", port: 0 }, createdAt: "" };
    const grace = new ExitGrace(async () => "exited", 60_000);
    assert.deepEqual([...(await grace.keep([exited], 1_000))], ["i1"]);
    assert.deepEqual([...(await grace.keep([exited], 60_999))], ["i1"]);
    assert.deepEqual([...(await grace.keep([exited], 61_000))], []);
    // Running again in between: a later exit starts a new grace.
    await grace.keep([{ ...exited, phase: "running" }], 62_000);
    assert.deepEqual([...(await grace.keep([exited], 70_000))], ["i1"]);
    assert.deepEqual([...(await new ExitGrace(async () => "restarting", 60_000).keep([exited], 0))], [], "a crash-looping instance is not kept");
  });

  it("removes instances whose revision the store does not know", async () => {
    const { store, runtime, router } = world();
    await router.ensureService("api", { endpointPort: 18080 });
    const stray = await runtime.createInstance({ ...scope, revision: "r-unknown", image: image(9), port: 8080, env: {}, resources: {}, readiness, terminationGracePeriodSeconds: 1 });
    const removed = await removeOrphanInstances({ runtime, router, store }, "shop", "test");
    assert.deepEqual(removed.map((i) => i.id), [stray.id]);
    assert.equal(runtime.instances.size, 0);
  });
});
