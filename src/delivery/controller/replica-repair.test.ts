// Replica repair: the pure plan as table cases, the Docker state mapping, and
// one repairer pass against an in-memory runtime and router with the real
// SQLite store (lock, rollout in flight, replace → route once ready).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { processStartTicks } from "../../platform/process-identity.js";
import { InMemoryTrafficRouter } from "../../router/in-memory-router.js";
import type { Instance, InstanceRemoval, InstanceSpec, Runtime } from "../../runtime/types.js";
import { SqliteRolloutStore } from "../../store/sqlite/rollout-store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import type { RolloutState } from "../types.js";
import { planReplicaRepair, type RepairAction, type RepairBackend, type RepairInstance } from "./replica-repair.js";
import { engineStateFromDocker, ReplicaRepairer, settledRevision } from "./replica-repairer.js";
import type { InstanceTemplate, RolloutRecord } from "./store-port.js";

const NOW = 1_000_000;
const GRACE = 120_000;
const EXITED_GRACE = 60_000;

function inst(name: string, extra: Partial<RepairInstance> = {}): RepairInstance {
  return { id: `id-${name}`, name, revision: "r-a", state: "running", ready: true, createdAt: `2026-01-01T00:00:0${name.slice(-1)}.000Z`, ...extra };
}
function backend(name: string, extra: Partial<RepairBackend> = {}): RepairBackend {
  return { name, revision: "r-a", role: "stable", state: "ready", weight: 128, ...extra };
}
const plan = (instances: RepairInstance[], backends: RepairBackend[], desiredReplicas = 2): RepairAction[] => planReplicaRepair({ revision: "r-a", desiredReplicas, nowMs: NOW, instances, backends }, { unavailableGraceMs: GRACE, exitedGraceMs: EXITED_GRACE });
const kinds = (actions: RepairAction[]): string[] => actions.map((a) => `${a.type} ${a.type === "unroute" ? a.backend : a.type === "create" ? a.count : a.instance}`);

describe("planReplicaRepair", () => {
  const cases: { name: string; instances: RepairInstance[]; backends: RepairBackend[]; desired?: number; want: string[] }[] = [
    { name: "all there, ready and routed: nothing", instances: [inst("a1"), inst("a2")], backends: [backend("a1"), backend("a2")], want: [] },
    { name: "one removed (docker rm -f): its backend goes, one is created", instances: [inst("a1")], backends: [backend("a1"), backend("a2")], want: ["unroute a2", "create 1"] },
    { name: "both removed: two created", instances: [], backends: [backend("a1"), backend("a2")], want: ["unroute a1", "unroute a2", "create 2"] },
    { name: "stopped for good: out of the router, removed, replaced", instances: [inst("a1"), inst("a2", { state: "stopped", ready: false })], backends: [backend("a1"), backend("a2")], want: ["unroute a2", "remove a2", "create 1"] },
    { name: "restarting (the engine brings it back): not replaced; out of the router while not ready", instances: [inst("a1"), inst("a2", { state: "restarting", ready: false, unavailableSinceMs: NOW - 5_000 })], backends: [backend("a1"), backend("a2")], want: ["unroute a2"] },
    { name: "restarting, still ready by the last verdict: left alone", instances: [inst("a1"), inst("a2", { state: "restarting", unavailableSinceMs: NOW - 5_000 })], backends: [backend("a1"), backend("a2")], want: [] },
    { name: "restarting past the grace: removed and replaced", instances: [inst("a1"), inst("a2", { state: "restarting", ready: false, unavailableSinceMs: NOW - GRACE })], backends: [backend("a1")], want: ["remove a2", "create 1"] },
    { name: "exited under a restart policy (the engine's shutdown, or by hand): kept routed (the router's health check skips it), not replaced yet", instances: [inst("a1"), inst("a2", { state: "exited", ready: false, unavailableSinceMs: NOW - 5_000 })], backends: [backend("a1"), backend("a2")], want: [] },
    { name: "another revision's exited instance: out of the router, not removed", instances: [inst("a1"), inst("a2"), inst("b1", { revision: "r-b", state: "exited", ready: false })], backends: [backend("a1"), backend("a2"), backend("b1", { revision: "r-b" })], want: ["unroute b1"] },
    { name: "exited past its grace (stopped by hand): removed and replaced", instances: [inst("a1"), inst("a2", { state: "exited", ready: false, unavailableSinceMs: NOW - EXITED_GRACE })], backends: [backend("a1")], want: ["remove a2", "create 1"] },
    { name: "paused past the grace: removed and replaced", instances: [inst("a1"), inst("a2", { state: "paused", ready: false, unavailableSinceMs: NOW - GRACE - 1 })], backends: [backend("a1")], want: ["remove a2", "create 1"] },
    { name: "a replacement starting, not ready: counted, not routed", instances: [inst("a1"), inst("a3", { state: "starting", ready: false })], backends: [backend("a1")], want: [] },
    { name: "a replacement running, not yet ready: waits", instances: [inst("a1"), inst("a3", { ready: false })], backends: [backend("a1")], want: [] },
    { name: "a replacement ready: routed", instances: [inst("a1"), inst("a3")], backends: [backend("a1", { weight: 256 })], want: ["route a3"] },
    { name: "a routed instance no longer ready: out of the router, not replaced", instances: [inst("a1"), inst("a2", { ready: false })], backends: [backend("a1"), backend("a2")], want: ["unroute a2"] },
    { name: "left draining while it lives and is ready: routed afresh", instances: [inst("a1"), inst("a2")], backends: [backend("a1"), backend("a2", { state: "draining" })], want: ["unroute a2", "route a2"] },
    { name: "a surplus instance: the not-ready one goes, drained first if routed", instances: [inst("a1"), inst("a2"), inst("a3", { ready: false })], backends: [backend("a1"), backend("a2")], want: ["remove a3"] },
    { name: "a surplus of ready ones: the newest goes, out of the router first", instances: [inst("a1"), inst("a2"), inst("a3")], backends: [backend("a1"), backend("a2"), backend("a3")], want: ["unroute a3", "remove a3"] },
    { name: "other revisions' live instances and backends are left alone", instances: [inst("a1"), inst("a2"), inst("b1", { revision: "r-b", ready: false })], backends: [backend("a1"), backend("a2"), backend("b1", { revision: "r-b", weight: 0 })], want: [] },
    { name: "another revision's backend whose container is gone leaves the router", instances: [inst("a1"), inst("a2")], backends: [backend("a1"), backend("a2"), backend("b1", { revision: "r-b" })], want: ["unroute b1"] },
    { name: "another revision's stopped instance: out of the router, not removed", instances: [inst("a1"), inst("a2"), inst("b1", { revision: "r-b", state: "stopped", ready: false })], backends: [backend("a1"), backend("a2"), backend("b1", { revision: "r-b" })], want: ["unroute b1"] },
    { name: "nothing left at all: the full count is created", instances: [], backends: [], desired: 3, want: ["create 3"] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(kinds(plan(c.instances, c.backends, c.desired)), c.want));
  }

  it("routes a newcomer with its revision's role and a sibling's weight (a split in force overrides the weight)", () => {
    assert.deepEqual(plan([inst("a1"), inst("a3")], [backend("a1", { role: "preview", weight: 200 })]).at(0), { type: "route", instance: "a3", role: "preview", weight: 200 });
    assert.deepEqual(plan([inst("a3")], [], 1).at(0), { type: "route", instance: "a3", role: "stable", weight: 1 });
  });

  it("dead instances are removed at once, surplus ones with their grace period", () => {
    const actions = plan([inst("a1"), inst("a2"), inst("a3"), inst("a4", { state: "stopped", ready: false })], []);
    assert.deepEqual(
      actions.flatMap((a) => (a.type === "remove" ? [`${a.instance} ${a.graceful}`] : [])),
      ["a4 false", "a3 true"],
    );
  });
});

describe("engineStateFromDocker", () => {
  const cases: [string, boolean, string | undefined][] = [
    ["running", false, "running"],
    ["running", true, "restarting"],
    ["restarting", true, "restarting"],
    ["created", false, "starting"],
    ["paused", false, "paused"],
    ["exited", false, "stopped"],
    ["dead", false, "stopped"],
    ["removing", false, undefined],
  ];
  for (const [status, restarting, want] of cases) it(`${status}${restarting ? " (restarting)" : ""} → ${String(want)}`, () => assert.equal(engineStateFromDocker({ Status: status, Restarting: restarting }), want));
  for (const [policy, want] of [["unless-stopped", "exited"], ["always", "exited"], ["on-failure", "stopped"], ["no", "stopped"]] as const) {
    it(`exited under restart policy ${policy} → ${want}`, () => assert.equal(engineStateFromDocker({ Status: "exited", Restarting: false }, policy), want));
  }
  it("dead under unless-stopped → stopped (the engine will not start it)", () => assert.equal(engineStateFromDocker({ Status: "dead", Restarting: false }, "unless-stopped"), "stopped"));

  // The race a clean-clone CI run found: dockerd shutting down stops every container and still
  // answers the API, so the controller saw its instances "exited" and replaced them, instead of
  // leaving them to unless-stopped, which restarts them (same ids, same addresses) when the engine starts.
  it("an instance Docker reports exited under unless-stopped is not replaced at once (the engine may be restarting)", () => {
    const state = engineStateFromDocker({ Status: "exited", Restarting: false }, "unless-stopped");
    assert.ok(state !== undefined);
    const actions = plan([inst("a1"), inst("a2", { state, ready: false, unavailableSinceMs: NOW })], [backend("a1"), backend("a2")]);
    assert.deepEqual(kinds(actions), []);
  });
});

describe("settledRevision", () => {
  const record = (finished: boolean, outcome: RolloutRecord["outcome"], state: Partial<RolloutState>): RolloutRecord => ({ id: "x", system: "s", state: { targetRevision: "r-new", stableRevision: "r-old", desiredReplicas: 2, aborted: false, ...state } as RolloutState, strategy: {} as RolloutRecord["strategy"], finished, ...(outcome === undefined ? {} : { outcome }), createdAt: "", updatedAt: "" });
  it("healthy: the target", () => assert.deepEqual(settledRevision(record(true, "healthy", {})), { revision: "r-new", desiredReplicas: 2 }));
  it("aborted: the stable revision", () => assert.deepEqual(settledRevision(record(true, "aborted", { aborted: true }))?.revision, "r-old"));
  it("aborted first deployment: nothing", () => assert.equal(settledRevision(record(true, "aborted", { aborted: true, stableRevision: undefined })), undefined));
  it("in flight or degraded: nothing", () => {
    assert.equal(settledRevision(record(false, undefined, {})), undefined);
    assert.equal(settledRevision(record(true, "degraded", {})), undefined);
  });
});

/** Instances in a map; probes pass for running ones. */
class MapRuntime implements Runtime {
  readonly instances = new Map<string, Instance>();
  private made = 0;
  async createInstance(spec: InstanceSpec): Promise<Instance> {
    this.made++;
    const created: Instance = { ...spec, id: `new${this.made}`, name: `api-${spec.revision}-new${this.made}`, phase: "running", address: { host: "127.0.0.1", port: 30000 + this.made }, createdAt: new Date().toISOString() };
    this.instances.set(created.id, created);
    return created;
  }
  async listInstances(): Promise<Instance[]> {
    return [...this.instances.values()];
  }
  async waitReady(): Promise<never> {
    throw new Error("not used");
  }
  async probeOnce(instance: Instance): Promise<boolean> {
    return this.instances.get(instance.id)?.phase === "running";
  }
  async removeInstance(instance: Instance): Promise<InstanceRemoval> {
    this.instances.delete(instance.id);
    return {};
  }
  async logs(): Promise<string> {
    return "";
  }
}

describe("ReplicaRepairer", () => {
  const dir = mkdtempSync(join(tmpdir(), "replica-repair-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const readiness = { tcp: {}, initialDelaySeconds: 0, periodSeconds: 0.01, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 };
  const template: InstanceTemplate = { port: 8080, env: {}, secretEnv: {}, resources: {}, readiness, terminationGracePeriodSeconds: 1 };
  const scope = { system: "shop", environment: "test", service: "api" };
  let locks = 0;

  async function setUp(finished: boolean) {
    const db = SqliteStore.open(":memory:");
    after(() => db.close());
    const store = new SqliteRolloutStore(db.db);
    store.saveRevision({ ...scope, name: "r-a", number: 1, image: "reg/api@sha256:aa", template, createdAt: new Date().toISOString() });
    const state = { id: "api-1", service: "api", environment: "test", targetRevision: "r-a", desiredReplicas: 2, aborted: false, analyses: [] } as unknown as RolloutState;
    store.createRollout({ id: "api-1", system: "shop", state, strategy: { rolling: {} } as RolloutRecord["strategy"] });
    if (finished) store.finishRollout("api-1", "healthy");
    const runtime = new MapRuntime();
    const router = new InMemoryTrafficRouter();
    await router.ensureService("api", { endpointPort: 4000 });
    const survivor = await runtime.createInstance({ ...scope, revision: "r-a", image: "reg/api@sha256:aa", port: 8080, env: {}, resources: {}, readiness, terminationGracePeriodSeconds: 1 });
    await router.addBackend("api", { name: survivor.name, revision: "r-a", role: "stable", address: "127.0.0.1", port: survivor.address.port, weight: 0 });
    await router.addBackend("api", { name: "api-r-a-gone", revision: "r-a", role: "stable", address: "127.0.0.1", port: 39999, weight: 0 });
    await router.setRevisionWeights("api", { "r-a": 100 });
    const lines: string[] = [];
    const lockFile = join(dir, `${++locks}.lock`);
    const repairer = new ReplicaRepairer({ scope, runtime, router, store, engineStateOf: async () => "stopped", lockPath: lockFile, log: (l) => lines.push(l) });
    after(() => repairer.close());
    return { runtime, router, repairer, lines, lockFile };
  }

  it("replaces a removed instance, routes it once ready, and drops the dead backend", async () => {
    const { runtime, router, repairer, lines } = await setUp(true);
    const first = await repairer.repairOnce();
    assert.deepEqual(first.kind === "done" ? kinds(first.actions) : first, ["unroute api-r-a-gone", "create 1"]);
    assert.equal(runtime.instances.size, 2);
    await new Promise((r) => setTimeout(r, 50));
    const second = await repairer.repairOnce();
    assert.deepEqual(second.kind === "done" ? kinds(second.actions) : second, ["route api-r-a-new2"]);
    const backends = await router.listBackends("api");
    assert.deepEqual(backends.map((b) => [b.name, b.weight > 0]), [["api-r-a-new1", true], ["api-r-a-new2", true]]);
    assert.match(lines.join("\n"), /took api-r-a-gone out of the router \(its container is gone\)[\s\S]*created instance api-r-a-new2/);
  });

  it("does nothing while a rollout is in flight, or while another process holds the service's lock", async () => {
    const inFlight = await setUp(false);
    assert.deepEqual(await inFlight.repairer.repairOnce(), { kind: "skipped", reason: "no settled revision" });
    const locked = await setUp(true);
    // The lock of a live process other than this one (the test runner's parent).
    writeFileSync(locked.lockFile, `${process.ppid}:${processStartTicks(process.ppid) ?? ""}`);
    assert.deepEqual(await locked.repairer.repairOnce(), { kind: "skipped", reason: `process ${process.ppid} drives the service` });
    assert.equal(locked.runtime.instances.size, 1);
  });
});
