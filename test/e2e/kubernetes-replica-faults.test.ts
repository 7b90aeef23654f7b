// The traffic split by replicas (`kubernetes.traffic: replicas`, ADR 26) on
// the real test cluster, beyond the canary's steps, abort and promote
// (kubernetes-replica-canary.test.ts): under a constant keep-alive load
// through the gateway (its HTTPRoute has one rule, to the Service `hello`
// over every revision's weighted pods), counting every failed request:
//
//   - the process driving a canary killed with SIGKILL twice — `deploy` in a
//     timed pause, then the `rollout resume` that took over in the middle of
//     the next step (the canary's ReplicaSet scaled up, its new pod not yet
//     in the Service) — and a last `rollout resume` completes it from the
//     store and the cluster: at each kill the ReplicaSets and the Service's
//     endpoints are the step's, at the end only the target's pods run, all
//     of them endpoints, and no ReplicaSet or pod of another revision runs;
//   - `slipway controller` killed with SIGKILL while it shrinks the stable
//     for a canary step (a stable pod taken out of the Service, not yet
//     deleted), then `rollout abort`: the pod left drained is routed again,
//     the stable is back at full size, every pod an endpoint, the canary gone;
//   - blue-green: the target at full size beside the stable, reachable only
//     through the Service `hello-preview` (no header route in this mode), the
//     stable Service unchanged; `rollout promote` switches it atomically —
//     every version of its EndpointSlice, watched through the switch, has
//     one revision's pods only — and the preview goes; a `rollback` inside
//     scaleDownDelaySeconds switches back the same way.
//
// A second suite runs the same rollback inside a blue-green's delay on
// Gateway API weights: the revision rolled back from must go at its time
// (the detached scale-down sees the route the rollback left).
//
// Loopback ports (k8s-replica's range): registries 12400-12403; the gateway
// listener 23084 (portOffset 23000 + endpoint port 84), one suite at a time.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { KubernetesCluster } from "../../src/kubernetes/cluster.js";
import { startControllerProcess, until, type CliResult } from "./helpers.js";
import { assertNoFailures, describeLoad, sample as sampleOn, startLoad } from "./keepalive-load.js";
import {
  answersUntilOnly,
  assertPodsMatchReplicaSets,
  assertServes,
  assertSucceeded,
  KubernetesScratch,
  listenerAnswers,
  revisionView,
  sampleClusterIp,
  serviceEndpointsByRevision,
  writeService as writeServiceIn,
} from "./kubernetes-e2e.js";
import { pythonServer } from "./python-service.js";

const ENDPOINT = 23084;
const SYSTEM = "e2e-replica-faults";
const NAMESPACE = `${SYSTEM}-k8s`;
const REPLICAS = 4;

const serverPy = pythonServer('VERSION = os.environ["APP_VERSION"]', `status, body = 200, (b"ok" if self.path == "/healthz" else VERSION.encode())`);

const scratch = new KubernetesScratch({
  system: SYSTEM,
  registries: { dev: 12400, prod: 12401 },
  environment: ["portOffset: 23000"],
  kubernetes: ["traffic: replicas", "cpuRequestPercent: 10"],
});
const { root, images } = scratch;
const cli = (...args: string[]): Promise<CliResult> => scratch.cli(...args);
const sample = (n: number): Promise<Record<string, number>> => sampleOn(ENDPOINT, n);

function writeService(strategy: string, into = root, replicas = REPLICAS): void {
  writeServiceIn(
    into,
    "hello",
    `name: hello
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: 84 }
# Tolerant probes: the shared test machine is often loaded far beyond its two cores.
readiness: { http: { path: /healthz }, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 5 }
replicas: ${replicas}
terminationGracePeriodSeconds: 5
resources: { memory: 48Mi, cpus: 0.1 }
strategy: ${strategy}
`,
  );
}

interface StoredRollout {
  finished: boolean;
  outcome?: string;
  state: { stepIndex: number; stableRevision?: string; targetRevision: string };
}

async function storedRollout(): Promise<StoredRollout | undefined> {
  const status = await cli("--json", "rollout", "status", "hello", "--env", "k8s");
  if (status.code !== 0) return undefined;
  return (JSON.parse(status.stdout) as { rollout?: StoredRollout }).rollout;
}

/** The split the router keeps on the Service `hello` (annotation org.slipway.split), as revision → percent. */
async function serviceSplit(cluster: KubernetesCluster): Promise<Record<string, number>> {
  const service = await cluster.core.readNamespacedService({ name: "hello", namespace: NAMESPACE });
  return Object.fromEntries(JSON.parse(service.metadata?.annotations?.["org.slipway.split"] ?? "[]") as [string, number][]);
}

/** The ReplicaSets and pods once the ReplicaSet controller has caught up with a scale a killed process left (pods match their ReplicaSets). */
async function settledView(cluster: KubernetesCluster): Promise<Awaited<ReturnType<typeof revisionView>>> {
  let view = await revisionView(cluster, NAMESPACE, SYSTEM);
  const matches = (): boolean => Object.entries(view.replicaSets).every(([r, n]) => (view.pods[r]?.length ?? 0) === n) && Object.keys(view.pods).every((r) => r in view.replicaSets);
  await until(
    "pods match their ReplicaSets",
    async () => {
      view = await revisionView(cluster, NAMESPACE, SYSTEM);
      return matches();
    },
    30_000,
    300,
  ).catch(() => undefined);
  assertPodsMatchReplicaSets(view);
  return view;
}

type EndpointSlice = { endpoints?: { targetRef?: { name?: string }; conditions?: { ready?: boolean } }[] };

/**
 * Every version of the Service `hello`'s EndpointSlice (ready endpoints by revision) from now until it lists
 * `revision`'s pods alone: blue-green's switch is atomic when none of them has two revisions.
 */
async function watchSwitch(cluster: KubernetesCluster, revision: string): Promise<{ seen: Promise<unknown>; versions: Record<string, number>[]; mixed: () => Record<string, number>[] }> {
  const versions: Record<string, number>[] = [];
  const pods = await cluster.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `org.slipway.system=${SYSTEM}` });
  const revisionOf = new Map(pods.items.map((p) => [p.metadata?.name ?? "?", p.metadata?.labels?.["org.slipway.revision"] ?? "?"]));
  const seen = cluster.watchUntil<EndpointSlice>(
    `/apis/discovery.k8s.io/v1/namespaces/${NAMESPACE}/endpointslices`,
    { labelSelector: "kubernetes.io/service-name=hello" },
    (slice) => {
      const counts: Record<string, number> = {};
      for (const e of slice.endpoints ?? []) {
        const r = revisionOf.get(e.targetRef?.name ?? "") ?? "?";
        if (e.conditions?.ready !== false) counts[r] = (counts[r] ?? 0) + 1;
      }
      versions.push(counts);
      return JSON.stringify(counts) === JSON.stringify({ [revision]: REPLICAS });
    },
    60_000,
  );
  return { seen, versions, mixed: () => versions.filter((v) => Object.keys(v).length > 1) };
}

const running = (view: { replicaSets: Record<string, number> }): Record<string, number> => Object.fromEntries(Object.entries(view.replicaSets).filter(([, n]) => n > 0));

describe("traffic split by replicas under faults, and blue-green in that mode, on a real cluster", { skip: scratch.skip }, () => {
  let cluster: KubernetesCluster;
  const children: ChildProcess[] = [];

  before(async () => {
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }");
    cluster = await scratch.setUp();
    for (const version of ["v1", "v2", "v3"]) await scratch.buildAndPush("hello", version, serverPy, { APP_VERSION: version });
    assertSucceeded(await scratch.deploy("hello", "v1"), "first deploy of v1");
    await listenerAnswers(ENDPOINT, "v1");
    await assertServes(ENDPOINT, "v1");
  });

  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    // Gone before the next suite's Gateway claims the same listener.
    await scratch.deleteNamespace().catch(() => undefined);
    await scratch.tearDown();
  });

  it("kill -9 of deploy in a pause, then of the rollout resume that took over mid-step: a last resume completes from the store and the cluster; no failed request, no orphan", async () => {
    writeService("{ canary: { steps: [{ setWeight: 25 }, { pause: { duration: 3 } }, { setWeight: 50 }, { pause: { duration: 2 } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }");
    const load = startLoad(ENDPOINT, 100);
    const deploying = scratch.spawnCli("deploy", "hello", "--env", "k8s", "--digest", images["v2"] as string);
    children.push(deploying);
    await until("the canary reaches its first pause", async () => ((await storedRollout())?.state.stepIndex ?? 0) >= 1, 120_000, 300);
    deploying.kill("SIGKILL");
    const stored = (await storedRollout()) as StoredRollout;
    const { stableRevision, targetRevision } = stored.state;
    assert.ok(stableRevision !== undefined && !stored.finished, JSON.stringify(stored));
    const first = await settledView(cluster);
    const firstEndpoints = await serviceEndpointsByRevision(cluster, NAMESPACE, "hello");
    console.log(`# deploy killed at step ${stored.state.stepIndex + 1} (25%): ReplicaSets ${JSON.stringify(first.replicaSets)}, Service endpoints ${JSON.stringify(firstEndpoints)}, split ${JSON.stringify(await serviceSplit(cluster))}`);
    assert.deepEqual(running(first), { [stableRevision]: 3, [targetRevision]: 1 }, "25% of 4 replicas: 1 canary pod beside 3 stable");
    assert.deepEqual(firstEndpoints, { [stableRevision]: 3, [targetRevision]: 1 });
    assert.deepEqual(await serviceSplit(cluster), { [stableRevision]: 75, [targetRevision]: 25 });

    // The next driver: killed as soon as it scales the canary up for 50%, before its new pod can join the Service.
    const resuming = scratch.spawnCli("rollout", "resume", "hello", "--env", "k8s");
    children.push(resuming);
    const targetReplicas = async (): Promise<number> => (await revisionView(cluster, NAMESPACE, SYSTEM)).replicaSets[targetRevision] ?? 0;
    await until("the resumed canary scales up for 50%", async () => (await targetReplicas()) >= 2, 60_000, 50);
    resuming.kill("SIGKILL");
    const second = await settledView(cluster);
    const secondEndpoints = await serviceEndpointsByRevision(cluster, NAMESPACE, "hello");
    console.log(`# rollout resume killed stepping to 50%: ReplicaSets ${JSON.stringify(second.replicaSets)}, Service endpoints ${JSON.stringify(secondEndpoints)}, split ${JSON.stringify(await serviceSplit(cluster))}`);
    assert.equal(second.replicaSets[targetRevision], 2, JSON.stringify(second));
    assert.ok((second.replicaSets[stableRevision] ?? 0) >= 2, `the stable keeps its pods until the canary's are ready: ${JSON.stringify(second)}`);
    const mid = await sample(40);
    assert.ok((mid["v1"] ?? 0) > 0 && (mid["v2"] ?? 0) > 0, `both revisions serve while no process drives the rollout: ${JSON.stringify(mid)}`);

    const resumedAt = Date.now();
    const resumed = await cli("rollout", "resume", "hello", "--env", "k8s");
    const resumeMs = Date.now() - resumedAt;
    await sleep(1000);
    const r = await load.stop();
    console.log(describeLoad("two kill -9 of the driving process mid-canary, then resume (replicas)", r));
    console.log(`# the last rollout resume completed the canary in ${(resumeMs / 1000).toFixed(1)} s`);
    assertSucceeded(resumed, "rollout resume");
    const done = (await storedRollout()) as StoredRollout;
    assert.ok(done.finished && done.outcome === "healthy", JSON.stringify(done));
    assertNoFailures(r, 500);
    assert.ok((r.byBody["v1"] ?? 0) > 0 && (r.byBody["v2"] ?? 0) > 0, JSON.stringify(r.byBody));
    const end = await settledView(cluster);
    assert.deepEqual(running(end), { [targetRevision]: REPLICAS }, `only the target's ReplicaSet runs pods: ${JSON.stringify(end)}`);
    assert.deepEqual(Object.keys(end.pods), [targetRevision], `no pod of another revision: ${JSON.stringify(end)}`);
    assert.deepEqual(Object.keys(end.replicaSets).sort(), [stableRevision, targetRevision].sort(), "no ReplicaSet the store does not know");
    assert.deepEqual(await serviceEndpointsByRevision(cluster, NAMESPACE, "hello"), { [targetRevision]: REPLICAS }, "every target pod is an endpoint of the Service");
    assert.deepEqual(await serviceSplit(cluster), { [targetRevision]: 100 });
    await assertServes(ENDPOINT, "v2", 50);
  });

  it("blue-green: a full-size preview behind hello-preview only; promote, then a rollback inside the delay, each switch the one Service atomically; no failed request", async () => {
    writeService("{ blueGreen: { scaleDownDelaySeconds: 10 } }");
    const load = startLoad(ENDPOINT, 100);
    const deployed = await scratch.deploy("hello", "v3");
    const stored = (await storedRollout()) as StoredRollout;
    const { stableRevision, targetRevision } = stored.state;
    assert.ok(stableRevision !== undefined && !stored.finished, `${JSON.stringify(stored)}\n${deployed.stdout}${deployed.stderr}`);
    assert.match(deployed.stdout, /promote/, deployed.stdout + deployed.stderr);

    const preview = await settledView(cluster);
    assert.deepEqual(running(preview), { [stableRevision]: REPLICAS, [targetRevision]: REPLICAS }, "the target at full size beside the stable");
    assert.deepEqual(await serviceEndpointsByRevision(cluster, NAMESPACE, "hello"), { [stableRevision]: REPLICAS }, "the stable Service has only the stable's pods");
    assert.deepEqual(await serviceEndpointsByRevision(cluster, NAMESPACE, "hello-preview"), { [targetRevision]: REPLICAS }, "the preview Service has the target's pods");
    const previewIp = (await cluster.core.readNamespacedService({ name: "hello-preview", namespace: NAMESPACE })).spec?.clusterIP ?? "";
    // kube-proxy programs a new Service's endpoints a moment after its EndpointSlice lists them (until then: EHOSTUNREACH).
    const reachableMs = await until("kube-proxy serves hello-preview", async () => (await sampleClusterIp(previewIp, 8080, 1).catch((): Record<string, number> => ({})))["v3"] === 1, 30_000, 250);
    const viaPreview = await sampleClusterIp(previewIp, 8080, 20);
    const viaGateway = await sample(100);
    console.log(`# blue-green preview: hello-preview (ClusterIP ${previewIp}) answered ${JSON.stringify(viaPreview)} (reachable ${(reachableMs / 1000).toFixed(1)} s after its endpoints were listed); the gateway ${JSON.stringify(viaGateway)}`);
    assert.deepEqual(viaPreview, { v3: 20 });
    assert.deepEqual(viaGateway, { v2: 100 });
    const withHeader = await fetch(`http://127.0.0.1:${ENDPOINT}/`, { headers: { "X-Slipway-Canary": "always" } });
    assert.equal(await withHeader.text(), "v2", "no header route to the preview in this mode");

    const promoteSwitch = await watchSwitch(cluster, targetRevision);
    const promoted = await cli("rollout", "promote", "hello", "--env", "k8s");
    await promoteSwitch.seen;
    const switched = await answersUntilOnly(ENDPOINT, "v3");
    console.log(`# after promote returned: ${switched.late["v2"] ?? 0} more v2 answers, then only v3 (50 in a row after ${(switched.ms / 1000).toFixed(1)} s)`);
    console.log(`# the Service's EndpointSlice through the promote: ${promoteSwitch.versions.map((v) => JSON.stringify(v)).join(" → ")}`);
    assertSucceeded(promoted, "rollout promote");
    assert.deepEqual(promoteSwitch.mixed(), [], "the switch is atomic: no version of the Service's endpoints has both revisions");
    assert.equal(switched.inARow, 50, `every request goes to v3 after the switch: ${JSON.stringify(switched)}`);
    assert.equal(await cluster.read({ apiVersion: "v1", kind: "Service", metadata: { name: "hello-preview", namespace: NAMESPACE } }), undefined, "the preview Service is gone");
    const warm = await settledView(cluster);
    assert.deepEqual(running(warm), { [stableRevision]: REPLICAS, [targetRevision]: REPLICAS }, `the old revision stays warm for scaleDownDelaySeconds: ${JSON.stringify(warm)}`);

    // Inside the delay a rollback is the same switch back.
    const rollbackSwitch = await watchSwitch(cluster, stableRevision);
    const rolledBack = await cli("rollback", "hello", "--env", "k8s");
    await rollbackSwitch.seen;
    const back = await answersUntilOnly(ENDPOINT, "v2");
    console.log(`# the Service's EndpointSlice through the rollback: ${rollbackSwitch.versions.map((v) => JSON.stringify(v)).join(" → ")}; ${back.late["v3"] ?? 0} more v3 answers after it returned`);
    assertSucceeded(rolledBack, "rollback");
    assert.deepEqual(rollbackSwitch.mixed(), [], "the switch back is atomic too");
    assert.equal(back.inARow, 50, JSON.stringify(back));
    let end = await settledView(cluster);
    await until("the rolled-back revision goes after its delay", async () => Object.keys((end = await settledView(cluster)).pods).length === 1, 60_000, 500).catch(() => undefined);
    await sleep(1000);
    const r = await load.stop();
    console.log(describeLoad("blue-green preview, promote and rollback (replicas)", r));
    assertNoFailures(r, 500);
    const scaleDownLog = (): string => (existsSync(join(root, ".slipway", "logs", "scale-down-k8s.log")) ? readFileSync(join(root, ".slipway", "logs", "scale-down-k8s.log"), "utf8") : "(no scale-down log)");
    assert.deepEqual(running(end), { [stableRevision]: REPLICAS }, `the revision rolled back from goes after scaleDownDelaySeconds: ${JSON.stringify(end)}\n${rolledBack.stdout}\n${scaleDownLog()}`);
    assert.deepEqual(Object.keys(end.pods), [stableRevision], `no pod of another revision: ${JSON.stringify(end)}`);
    assert.deepEqual(await serviceEndpointsByRevision(cluster, NAMESPACE, "hello"), { [stableRevision]: REPLICAS });
    await assertServes(ENDPOINT, "v2", 50);
  });

  it("kill -9 of the controller while it shrinks the stable for a canary step, then rollout abort: the drained pod serves again, the stable is whole, no failed request", async () => {
    const stable = ((await storedRollout()) as StoredRollout).state.targetRevision;
    writeService("{ canary: { steps: [{ setWeight: 50 }, { pause: {} }], scaleDownDelaySeconds: 0 } }");
    const controller = await startControllerProcess(root, "k8s", { KUBECONFIG: scratch.k8s["KUBECONFIG"] });
    children.push(controller.child);
    const load = startLoad(ENDPOINT, 100);
    // A watch, not a poll: a stable pod is drained (unlabelled, out of the EndpointSlice) and then deleted within
    // tens of milliseconds, a window a 50 ms list can miss for both pods of the step (CI did, once).
    const drainSeen = cluster.watchUntil<{ metadata?: { name?: string; deletionTimestamp?: unknown } }>(
      `/api/v1/namespaces/${NAMESPACE}/pods`,
      { labelSelector: `org.slipway.revision=${stable},org.slipway.serving=false` },
      (pod) => pod.metadata?.deletionTimestamp === undefined,
      120_000,
    );
    const deploying = scratch.spawnCli("deploy", "hello", "--env", "k8s", "--digest", images["v1"] as string);
    children.push(deploying);
    const drained = async (): Promise<string[]> =>
      (await cluster.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `org.slipway.revision=${stable},org.slipway.serving=false` })).items.filter((p) => p.metadata?.deletionTimestamp === undefined).map((p) => p.metadata?.name ?? "?");
    const firstDrained = await drainSeen;
    if (firstDrained === undefined) throw new Error(`timed out after 120000 ms waiting until the controller drains a stable pod for the 50% step\nthe controller printed:\n${controller.output()}`);
    controller.child.kill("SIGKILL");
    deploying.kill("SIGKILL");
    const left = await drained();
    const killed = await settledView(cluster);
    const killedEndpoints = await serviceEndpointsByRevision(cluster, NAMESPACE, "hello");
    const target = Object.keys(killed.replicaSets).find((r) => r !== stable && (killed.replicaSets[r] ?? 0) > 0) as string;
    console.log(`# controller killed shrinking the stable: ReplicaSets ${JSON.stringify(killed.replicaSets)}, Service endpoints ${JSON.stringify(killedEndpoints)}, drained but alive: ${left.length}`);
    assert.ok(target !== undefined, JSON.stringify(killed));

    const aborted = await cli("rollout", "abort", "hello", "--env", "k8s");
    assertSucceeded(aborted, "rollout abort");
    let end = await settledView(cluster);
    await until(
      "the stable at full size, the canary gone",
      async () => {
        end = await settledView(cluster);
        return JSON.stringify(running(end)) === JSON.stringify({ [stable]: REPLICAS }) && Object.keys(end.pods).length === 1;
      },
      60_000,
      500,
    ).catch(() => undefined);
    const settled = await answersUntilOnly(ENDPOINT, "v2");
    const r = await load.stop();
    console.log(describeLoad("kill -9 of the controller mid-shrink, then abort (replicas)", r));
    assertNoFailures(r, 500);
    assert.ok((r.byBody["v1"] ?? 0) > 0, `the canary served before the kill: ${JSON.stringify(r.byBody)}`);
    assert.equal(settled.inARow, 50, JSON.stringify(settled));
    assert.deepEqual(running(end), { [stable]: REPLICAS }, JSON.stringify(end));
    assert.deepEqual(Object.keys(end.pods), [stable], `no pod of the aborted canary: ${JSON.stringify(end)}`);
    // A stable pod the abort had to create (when the stable had shrunk already) joins once ready, after the command returned.
    let endpoints: Record<string, number> = {};
    await until("every stable pod is an endpoint", async () => JSON.stringify((endpoints = await serviceEndpointsByRevision(cluster, NAMESPACE, "hello"))) === JSON.stringify({ [stable]: REPLICAS }), 30_000, 500).catch(() => undefined);
    assert.deepEqual(endpoints, { [stable]: REPLICAS }, "every stable pod, the drained one too, is an endpoint again");
    assert.deepEqual(await drained(), [], "no pod left out of the Service");
    assert.equal(((await storedRollout()) as StoredRollout).outcome, "aborted");
  });
});

// The same rollback on Gateway API weights (the default mode): a detached
// scale-down started by the promote must see the route the rollback left.
const gateway = new KubernetesScratch({ system: "e2e-replica-gw", registries: { dev: 12402, prod: 12403 }, environment: ["portOffset: 23000"] });

describe("a rollback inside a blue-green's scaleDownDelaySeconds on Gateway API weights", { skip: gateway.skip }, () => {
  before(async () => {
    writeService("{ blueGreen: { autoPromote: true, scaleDownDelaySeconds: 10 } }", gateway.root, 2);
    await gateway.setUp();
    for (const version of ["v1", "v2"]) await gateway.buildAndPush("hello", version, serverPy, { APP_VERSION: version });
    assertSucceeded(await gateway.deploy("hello", "v1"), "first deploy of v1");
    await listenerAnswers(ENDPOINT, "v1");
  });

  after(() => gateway.tearDown());

  it("switches back under load, and the revision rolled back from goes at its time; no failed request", async () => {
    const namespace = gateway.namespace;
    const load = startLoad(ENDPOINT, 100);
    assertSucceeded(await gateway.deploy("hello", "v2"), "blue-green deploy of v2 (auto-promoted)");
    await assertServes(ENDPOINT, "v2");
    const rolledBack = await gateway.cli("rollback", "hello", "--env", "k8s");
    assertSucceeded(rolledBack, "rollback");
    const back = await answersUntilOnly(ENDPOINT, "v1");
    let end = await revisionView(gateway.cluster, namespace, "e2e-replica-gw");
    await until("the revision rolled back from goes after its delay", async () => Object.keys((end = await revisionView(gateway.cluster, namespace, "e2e-replica-gw")).pods).length === 1, 60_000, 500).catch(() => undefined);
    await sleep(1000);
    const r = await load.stop();
    console.log(describeLoad("blue-green promote and rollback (Gateway API)", r));
    const log = join(gateway.root, ".slipway", "logs", "scale-down-k8s.log");
    assert.equal(back.inARow, 50, JSON.stringify(back));
    assert.equal(Object.keys(end.pods).length, 1, `the revision rolled back from goes after scaleDownDelaySeconds: ${JSON.stringify(end)}\n${rolledBack.stdout}\n${existsSync(log) ? readFileSync(log, "utf8") : "(no scale-down log)"}`);
    assertNoFailures(r, 500);
    await assertServes(ENDPOINT, "v1");
  });
});
