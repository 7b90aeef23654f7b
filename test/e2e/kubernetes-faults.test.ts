// Faults and housekeeping of rollouts on the real Kubernetes test cluster (scripts/test-cluster.sh),
// under a constant keep-alive load through the gateway (Traefik, Gateway API):
//
//   - a revision that never turns ready fails at its progress deadline; the
//     stable pods and the route are untouched and no request fails;
//   - `slipway controller` killed with SIGKILL mid-canary: the route's weights
//     and the ReplicaSets are what the store says (no duplicate pods, no
//     ReplicaSet the store does not know), and a restarted controller
//     resumes the canary from the store and completes it;
//   - a rolling update with revisionHistoryLimit 1 deletes the older
//     ReplicaSets (and their Services), `undo` to the one kept works, and the
//     pods pull with a Secret made from the registry's credential variables;
//   - canary and blue-green rollouts prune beyond their revisionHistoryLimit
//     the same way, and `undo` still reaches the revision kept.
//
// Loopback ports (k8s-a's range): registries 18590-18591; the gateway
// listener 23081 (portOffset 23000 + endpoint port 81). Setup and teardown:
// kubernetes-e2e.ts.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { KubernetesCluster } from "../../src/kubernetes/cluster.js";
import { repoRoot, until, type CliResult } from "./helpers.js";
import { assertNoFailures, describeLoad, sample as sampleOn, startLoad as startLoadOn } from "./keepalive-load.js";
import { assertServes, assertSucceeded, KubernetesScratch, listenerAnswers, writeHelloService } from "./kubernetes-e2e.js";
import { pythonServer } from "./python-service.js";

const DEV_REGISTRY = 18590;
const ENDPOINT = 23081;
const SYSTEM = "e2e-k8sa-faults";
const NAMESPACE = `${SYSTEM}-k8s`;

const serverPy = pythonServer(
  'VERSION = os.environ["APP_VERSION"]; READY = os.environ["APP_READY"] == "1"',
  `if self.path == "/healthz": status, body = (200 if READY else 503), b"ok"
else: status, body = 200, VERSION.encode()`,
);

const writeService = (strategy: string): void => writeHelloService(root, 81, strategy);

/** The dev registry's credentials, as slipway.yaml names them in the last tests (the loopback registry takes any). */
const REGISTRY_USER = "K8SA_E2E_REGISTRY_USER";
const REGISTRY_PASSWORD = "K8SA_E2E_REGISTRY_PASSWORD";
const password = `pw-${process.pid}-never-printed`;
const scratch = new KubernetesScratch({
  system: SYSTEM,
  registries: { dev: DEV_REGISTRY, prod: 18591 },
  environment: ["portOffset: 23000"],
  cliEnv: { [REGISTRY_USER]: "e2e", [REGISTRY_PASSWORD]: password },
});
const { root, images, k8s } = scratch;
const cli = (...args: string[]): Promise<CliResult> => scratch.cli(...args);
const sample = (n: number): Promise<Record<string, number>> => sampleOn(ENDPOINT, n);

interface StoredRollout {
  finished: boolean;
  outcome?: string;
  state: { stepIndex: number; stableRevision?: string; targetRevision: string; pause?: unknown };
}

async function storedRollout(): Promise<StoredRollout | undefined> {
  const status = await cli("--json", "rollout", "status", "hello", "--env", "k8s");
  if (status.code !== 0) return undefined;
  return (JSON.parse(status.stdout) as { rollout?: StoredRollout }).rollout;
}

/** The cluster's view: live pods per revision, each ReplicaSet's replicas, the route's weighted rule. */
async function clusterView(cluster: KubernetesCluster): Promise<{ pods: Record<string, string[]>; replicaSets: Record<string, number>; weights: Record<string, number> }> {
  const pods: Record<string, string[]> = {};
  for (const p of (await cluster.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `org.slipway.system=${SYSTEM}` })).items) {
    if (p.metadata?.deletionTimestamp !== undefined) continue;
    (pods[p.metadata?.labels?.["org.slipway.revision"] ?? "?"] ??= []).push(p.metadata?.name ?? "?");
  }
  const replicaSets: Record<string, number> = {};
  for (const rs of (await cluster.apps.listNamespacedReplicaSet({ namespace: NAMESPACE, labelSelector: `org.slipway.system=${SYSTEM}` })).items) {
    replicaSets[rs.metadata?.labels?.["org.slipway.revision"] ?? "?"] = rs.spec?.replicas ?? 0;
  }
  const route = (await cluster.custom.getNamespacedCustomObject({ group: "gateway.networking.k8s.io", version: "v1", namespace: NAMESPACE, plural: "httproutes", name: "hello" })) as {
    spec: { rules: { matches?: { headers?: unknown[] }[]; backendRefs?: { name: string; weight?: number }[] }[] };
  };
  const weighted = route.spec.rules.find((r) => (r.matches ?? []).every((m) => m.headers === undefined));
  const weights = Object.fromEntries((weighted?.backendRefs ?? []).map((b) => [b.name.replace(/^hello-/, ""), b.weight ?? 1]));
  return { pods, replicaSets, weights };
}

/** Every ReplicaSet runs exactly its replicas (no duplicate pod, no pod without its ReplicaSet). */
function assertPodsMatchReplicaSets(view: Awaited<ReturnType<typeof clusterView>>): void {
  for (const [revision, replicas] of Object.entries(view.replicaSets)) assert.equal(view.pods[revision]?.length ?? 0, replicas, `ReplicaSet of ${revision}: ${JSON.stringify(view)}`);
  for (const revision of Object.keys(view.pods)) assert.ok(revision in view.replicaSets, `pods of ${revision} without a ReplicaSet: ${JSON.stringify(view)}`);
}

function startController(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, "controller", "--env", "k8s"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NO_COLOR: "1", KUBECONFIG: k8s["KUBECONFIG"] },
  });
  let text = "";
  child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (text += d.toString()));
  return { child, output: () => text, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
}

describe("rollout faults on a real Kubernetes cluster", { skip: scratch.skip }, () => {
  let cluster: KubernetesCluster;
  const children: ChildProcess[] = [];

  before(async () => {
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }");
    cluster = await scratch.setUp();
    for (const [version, ready] of [["v1", true], ["v2", true], ["v3", true], ["never", false]] as const) {
      await scratch.buildAndPush("hello", version, serverPy, { APP_VERSION: version, APP_READY: ready ? "1" : "0" });
    }
    assertSucceeded(await cli("deploy", "hello", "--env", "k8s", "--digest", images["v1"] as string), "first deploy of v1");
    await listenerAnswers(ENDPOINT, "v1");
    await assertServes(ENDPOINT, "v1");
  });

  after(async () => {
    for (const child of children) child.kill("SIGKILL");
    await scratch.tearDown();
  });

  it("a revision that never turns ready fails at its progress deadline; stable pods and route untouched, no failed request", async () => {
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 15, scaleDownDelaySeconds: 0 } }");
    const before = await clusterView(cluster);
    const load = startLoadOn(ENDPOINT, 100);
    const started = Date.now();
    const deployed = await cli("deploy", "hello", "--env", "k8s", "--digest", images["never"] as string);
    const tookMs = Date.now() - started;
    await sleep(1000);
    const r = await load.stop();
    console.log(describeLoad("never ready", r));
    console.log(`# never-ready revision: deploy failed after ${(tookMs / 1000).toFixed(1)} s (progress deadline 15 s)`);
    assert.equal(deployed.code, 1, deployed.stdout + deployed.stderr);
    assert.match(deployed.stdout + deployed.stderr, /progress deadline exceeded/);
    assertNoFailures(r, 500);
    assert.deepEqual(r.byBody, { v1: r.sent });
    const afterwards = await clusterView(cluster);
    const stable = Object.keys(before.pods)[0] as string;
    assert.deepEqual(afterwards.pods[stable]?.sort(), before.pods[stable]?.sort(), "the stable pods are the same pods");
    assert.deepEqual(afterwards.weights, before.weights);
    assert.deepEqual(Object.keys(afterwards.pods), [stable], `no pod of the never-ready revision is left: ${JSON.stringify(afterwards)}`);
    assertPodsMatchReplicaSets(afterwards);
  });

  it("kill -9 of the controller mid-canary: the cluster is what the store says; a restarted controller resumes and completes", async () => {
    writeService("{ canary: { steps: [{ setWeight: 30 }, { pause: { duration: 6 } }, { setWeight: 60 }, { pause: { duration: 4 } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }");
    const first = startController();
    children.push(first.child);
    await until("the controller is up", () => first.output().includes("driving rollouts as they come"), 30_000);
    const load = startLoadOn(ENDPOINT, 100);
    const deploying = spawn(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, "deploy", "hello", "--env", "k8s", "--digest", images["v2"] as string], {
      stdio: "ignore",
      env: { ...process.env, KUBECONFIG: k8s["KUBECONFIG"] },
    });
    children.push(deploying);
    await until("the canary reaches its first pause", async () => ((await storedRollout())?.state.stepIndex ?? 0) >= 1, 120_000, 300);
    first.child.kill("SIGKILL");
    deploying.kill("SIGKILL");
    await first.exited;
    const stored = (await storedRollout()) as StoredRollout;
    const { stableRevision, targetRevision } = stored.state;
    assert.ok(stableRevision !== undefined && !stored.finished, JSON.stringify(stored));
    const killed = await clusterView(cluster);
    console.log(`# killed at step ${stored.state.stepIndex}: ${JSON.stringify(killed)}`);
    assert.deepEqual(killed.weights, { [stableRevision]: 70, [targetRevision]: 30 }, "the route is the store's step (30%)");
    assertPodsMatchReplicaSets(killed);
    assert.deepEqual(Object.keys(killed.replicaSets).filter((r) => killed.replicaSets[r] !== 0).sort(), [stableRevision, targetRevision].sort(), JSON.stringify(killed));
    const mid = await sample(40);
    assert.ok((mid["v1"] ?? 0) > 0 && (mid["v2"] ?? 0) > 0, `both revisions serve while no controller runs: ${JSON.stringify(mid)}`);

    const second = startController();
    children.push(second.child);
    const resumedAt = Date.now();
    await until("the restarted controller completes the canary", async () => (await storedRollout())?.finished === true, 120_000, 500);
    console.log(`# the restarted controller completed the canary ${((Date.now() - resumedAt) / 1000).toFixed(1)} s after it started`);
    second.child.kill("SIGTERM");
    await second.exited;
    await sleep(1000);
    const r = await load.stop();
    console.log(describeLoad("kill -9 mid-canary, then resume", r));
    assert.equal((await storedRollout())?.outcome, "healthy");
    assertNoFailures(r, 500);
    const done = await clusterView(cluster);
    assert.deepEqual(done.weights, { [targetRevision]: 100 });
    assertPodsMatchReplicaSets(done);
    assert.deepEqual(done.pods[targetRevision]?.length, 2, JSON.stringify(done));
    assert.deepEqual(Object.keys(done.pods), [targetRevision], `only the target's pods run: ${JSON.stringify(done)}`);
    await assertServes(ENDPOINT, "v2");
  });
  it("old ReplicaSets beyond revisionHistoryLimit are deleted, undo within it works; pods pull with a Secret made from the registry's credential variables, never printed", async () => {
    const yaml = readFileSync(join(root, "slipway.yaml"), "utf8");
    const withCredentials = yaml.replace(`dev: { url: 127.0.0.1:${DEV_REGISTRY} }`, `dev: { url: 127.0.0.1:${DEV_REGISTRY}, credentials: { usernameEnv: ${REGISTRY_USER}, passwordEnv: ${REGISTRY_PASSWORD} } }`);
    assert.notEqual(withCredentials, yaml);
    writeFileSync(join(root, "slipway.yaml"), withCredentials);
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, revisionHistoryLimit: 1, scaleDownDelaySeconds: 0 } }");
    const before = await clusterView(cluster);
    const deployed = await cli("deploy", "hello", "--env", "k8s", "--digest", images["v3"] as string);
    assertSucceeded(deployed, "deploy v3");
    assert.ok(!(deployed.stdout + deployed.stderr).includes(password), "the registry password is never printed");
    const stored = (await storedRollout()) as StoredRollout;
    const current = stored.state.targetRevision;
    const previous = stored.state.stableRevision === current ? undefined : stored.state.stableRevision;
    const afterwards = await clusterView(cluster);
    console.log(`# ReplicaSets before v3: ${JSON.stringify(before.replicaSets)}; after (revisionHistoryLimit 1): ${JSON.stringify(afterwards.replicaSets)}`);
    const kept = Object.keys(afterwards.replicaSets).sort();
    assert.equal(kept.length, 2, `the current revision and one old one: ${JSON.stringify(afterwards.replicaSets)}`);
    assert.ok(kept.includes(current));
    assert.equal(afterwards.replicaSets[current], 2);
    const old = kept.find((r) => r !== current) as string;
    assert.equal(afterwards.replicaSets[old], 0);
    if (previous !== undefined) assert.equal(old, previous);
    const services = (await cluster.core.listNamespacedService({ namespace: NAMESPACE })).items.map((x) => x.metadata?.name ?? "?");
    for (const pruned of Object.keys(before.replicaSets).filter((r) => !kept.includes(r))) assert.ok(!services.includes(`hello-${pruned}`), `Service hello-${pruned} is deleted with its ReplicaSet: ${services.join(", ")}`);

    const secret = await cluster.core.readNamespacedSecret({ name: "registry-credentials", namespace: NAMESPACE });
    assert.equal(secret.type, "kubernetes.io/dockerconfigjson");
    const config = JSON.parse(Buffer.from(secret.data?.[".dockerconfigjson"] ?? "", "base64").toString("utf8")) as { auths: Record<string, { username: string; password: string }> };
    assert.deepEqual(config.auths[`127.0.0.1:${DEV_REGISTRY}`]?.username, "e2e");
    assert.equal(config.auths[`127.0.0.1:${DEV_REGISTRY}`]?.password, password);
    const pods = (await cluster.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `org.slipway.revision=${current}` })).items;
    assert.ok(pods.length > 0 && pods.every((p) => p.spec?.imagePullSecrets?.[0]?.name === "registry-credentials"), "the pods pull with the Secret");

    const load = startLoadOn(ENDPOINT, 100);
    const undone = await cli("rollout", "undo", "hello", "--env", "k8s");
    await sleep(1000);
    const r = await load.stop();
    console.log(describeLoad("undo to the one revision kept", r));
    assertSucceeded(undone, "rollout undo");
    // At least 2 s of the load: an undo of 2 pods can take under 5 s now.
    assertNoFailures(r, 200);
    await assertServes(ENDPOINT, "v2");
    const undoneView = await clusterView(cluster);
    assert.equal(undoneView.replicaSets[old], 2, JSON.stringify(undoneView));
    assertPodsMatchReplicaSets(undoneView);
  });

  it("canary and blue-green prune old ReplicaSets beyond their revisionHistoryLimit as rolling does; undo reaches the revision kept", async () => {
    const counts: string[] = [];
    for (const [strategy, version] of [
      ["{ canary: { steps: [{ setWeight: 50 }], scaleDownDelaySeconds: 0, revisionHistoryLimit: 1 } }", "v1"],
      ["{ blueGreen: { autoPromote: true, scaleDownDelaySeconds: 0, revisionHistoryLimit: 1 } }", "v3"],
    ] as const) {
      writeService(strategy);
      assertSucceeded(await cli("deploy", "hello", "--env", "k8s", "--digest", images[version] as string), `deploy ${version} (${strategy})`);
      const view = await clusterView(cluster);
      counts.push(`${version}: ${JSON.stringify(view.replicaSets)}`);
      const stored = (await storedRollout()) as StoredRollout;
      const kept = Object.keys(view.replicaSets).sort();
      assert.equal(kept.length, 2, `the current revision and one old one after ${version}: ${JSON.stringify(view.replicaSets)}`);
      assert.equal(view.replicaSets[stored.state.targetRevision], 2);
      const services = (await cluster.core.listNamespacedService({ namespace: NAMESPACE })).items.map((x) => x.metadata?.name ?? "?").filter((n) => /^hello-r-/.test(n));
      assert.deepEqual(services.map((n) => n.replace(/^hello-/, "")).sort(), kept, "a revision Service exists exactly for each ReplicaSet kept");
      await assertServes(ENDPOINT, version);
    }
    console.log(`# ReplicaSets after each deploy (revisionHistoryLimit 1): ${counts.join("; ")}`);
    const load = startLoadOn(ENDPOINT, 100);
    const undone = await cli("rollout", "undo", "hello", "--env", "k8s");
    await sleep(1000);
    const r = await load.stop();
    console.log(describeLoad("undo after the blue-green", r));
    assertSucceeded(undone, "rollout undo");
    assertNoFailures(r, 100);
    await assertServes(ENDPOINT, "v1");
  });
});
