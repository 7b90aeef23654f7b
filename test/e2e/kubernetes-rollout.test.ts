// The rollout controller on a real Kubernetes cluster (scripts/test-cluster.sh):
// the real CLI (`slipway deploy`, `rollout …`) with an environment of
// `runtime: kubernetes`, the Kubernetes runtime (ReplicaSets pinned by digest,
// readiness from pod conditions by watch) and the Gateway API router (Traefik
// on the host: HTTPRoute weights, confirmed by the route's status). A tiny
// Python image in variants (v1, v2, one answering 500) is built with Docker,
// pushed to a loopback registry, and pulled by the cluster by digest. During
// each operation a bounded keep-alive load runs through the gateway's
// listener for the service; every non-2xx answer or connection error counts.
// Loopback ports: registries 24090-24091 (this file's range, 24000-24999);
// the gateway listener 23085 (one of the test cluster's gateway entry points).
// Setup and teardown: kubernetes-e2e.ts.
import assert from "node:assert/strict";
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { KubernetesCluster } from "../../src/kubernetes/cluster.js";
import { assertNoFailures, describeLoad, getOnce, type LoadResult, startLoad as startLoadOn } from "./keepalive-load.js";
import { until } from "./helpers.js";
import { assertServes, assertSucceeded, GATEWAY_APPLIES_MS, KubernetesScratch, listenerAnswers, writeService as writeServiceIn } from "./kubernetes-e2e.js";
import { pythonServer } from "./python-service.js";

/** portOffset 23000: the service's endpoint port 85 → the gateway listener 23085. */
const ENDPOINT = 23085;
const SYSTEM = "e2e-k8s";
const NAMESPACE = "e2e-k8s-k8s";
const scratch = new KubernetesScratch({ system: SYSTEM, registries: { dev: 24090, prod: 24091 }, environment: ["portOffset: 23000"] });
const { root, images } = scratch;

const serverPy = pythonServer(
  'VERSION = os.environ["APP_VERSION"]; STATUS = int(os.environ["APP_STATUS"]); READY = os.environ["APP_READY"] == "1"',
  `if self.path == "/healthz": status, body = (200 if READY else 503), b"ok"
else: status, body = STATUS, VERSION.encode()`,
);

const buildAndPush = (version: string, status: number, ready: boolean): Promise<string> =>
  scratch.buildAndPush("hello", version, serverPy, { APP_VERSION: version, APP_STATUS: String(status), APP_READY: ready ? "1" : "0" });

function writeService(strategy: string, extra = ""): void {
  writeServiceIn(
    root,
    "hello",
    `name: hello
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: 85 }
readiness: { http: { path: /healthz }, periodSeconds: 1, failureThreshold: 2 }
replicas: 2
terminationGracePeriodSeconds: 5
resources: { memory: 64Mi, cpus: 0.2 }
strategy: ${strategy}
${extra}`,
  );
}

const cli = (...args: string[]) => scratch.cli(...args);
const startLoad = (rps = 100): ReturnType<typeof startLoadOn> => startLoadOn(ENDPOINT, rps);
const report = (name: string, r: LoadResult): void => console.log(describeLoad(name, r));

/** Pods of the system by revision label, as the API server lists them (terminating ones too). */
async function pods(cluster: KubernetesCluster): Promise<{ name: string; revision: string; terminating: boolean }[]> {
  const list = await cluster.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `org.slipway.system=${SYSTEM}` });
  return list.items.map((p) => ({ name: p.metadata?.name ?? "?", revision: p.metadata?.labels?.["org.slipway.revision"] ?? "?", terminating: p.metadata?.deletionTimestamp !== undefined }));
}

/** The weights of the service's HTTPRoute's weighted rule, by backend Service. */
async function routeWeights(cluster: KubernetesCluster): Promise<Record<string, number>> {
  const route = (await cluster.custom.getNamespacedCustomObject({ group: "gateway.networking.k8s.io", version: "v1", namespace: NAMESPACE, plural: "httproutes", name: "hello" })) as {
    spec: { rules: { matches?: { headers?: unknown[] }[]; backendRefs?: { name: string; weight?: number }[] }[] };
  };
  const weighted = route.spec.rules.find((r) => (r.matches ?? []).every((m) => m.headers === undefined));
  return Object.fromEntries((weighted?.backendRefs ?? []).map((b) => [b.name, b.weight ?? 1]));
}

describe("rollouts on a real Kubernetes cluster (Gateway API through Traefik)", { skip: scratch.skip }, () => {
  let cluster: KubernetesCluster;

  before(async () => {
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }");
    cluster = await scratch.setUp();
    await buildAndPush("v1", 200, true);
    await buildAndPush("v2", 200, true);
    await buildAndPush("bad", 500, true);
    const started = Date.now();
    assertSucceeded(await cli("deploy", "hello", "--env", "k8s", "--digest", images["v1"] as string), "first deploy of v1");
    console.log(`# first deploy (image pull, 2 pods ready, route accepted): ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await listenerAnswers(ENDPOINT, "v1");
    await assertServes(ENDPOINT, "v1");
  });

  after(() => scratch.tearDown());

  it("rolling update v1 → v2 (maxUnavailable 0) under load: no failed request; the old ReplicaSet's pods go", async () => {
    const load = startLoad();
    const started = Date.now();
    const deployed = await cli("deploy", "hello", "--env", "k8s", "--digest", images["v2"] as string);
    const tookMs = Date.now() - started;
    await sleep(1000);
    const r = await load.stop();
    report("rolling update", r);
    console.log(`# rolling update of 2 pods: ${(tookMs / 1000).toFixed(1)} s`);
    assertSucceeded(deployed, "deploy v2");
    assertNoFailures(r);
    await assertServes(ENDPOINT, "v2");
    const live = (await pods(cluster)).filter((p) => !p.terminating);
    assert.equal(live.length, 2, JSON.stringify(live));
  });

  it("canary v2 → v1 with steps 25% → 50% → 100% under load: the route's weights move, both versions answer, no failed request", async () => {
    writeService("{ canary: { steps: [{ setWeight: 25 }, { pause: { duration: 3 } }, { setWeight: 50 }, { pause: { duration: 3 } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }");
    const load = startLoad();
    const seen: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const weights = JSON.stringify(await routeWeights(cluster).catch(() => ({})));
        if (seen.at(-1) !== weights) seen.push(weights);
        await sleep(200);
      }
    })();
    const deployed = await cli("deploy", "hello", "--env", "k8s", "--digest", images["v1"] as string);
    watching = false;
    await watcher;
    await sleep(1000);
    const r = await load.stop();
    report("canary 0→100", r);
    console.log(`# route weights seen: ${seen.join(" → ")}`);
    assertSucceeded(deployed, "canary deploy of v1");
    assert.match(deployed.stdout, /25%/);
    assert.match(deployed.stdout, /50%/);
    assert.ok(seen.some((w) => /":25\b/.test(w) && /":75\b/.test(w)), `a 25/75 split was applied: ${seen.join(" → ")}`);
    assert.ok(seen.some((w) => /":50\b/.test(w)), `a 50/50 split was applied: ${seen.join(" → ")}`);
    assertNoFailures(r);
    assert.ok((r.byBody["v2"] ?? 0) > 0 && (r.byBody["v1"] ?? 0) > 0, JSON.stringify(r.byBody));
    await assertServes(ENDPOINT, "v1");
  });

  it("`rollout undo` goes back to the previous revision (v2) under load: no failed request", async () => {
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }");
    const load = startLoad();
    const undone = await cli("rollout", "undo", "hello", "--env", "k8s");
    await sleep(1000);
    const r = await load.stop();
    report("undo", r);
    assertSucceeded(undone, "rollout undo");
    assertNoFailures(r);
    await assertServes(ENDPOINT, "v2");
  });

  it("a canary answering 5xx is aborted by analysis of the gateway's metrics through Prometheus; stable gets all traffic back", async () => {
    writeService(
      "{ canary: { steps: [{ setWeight: 20 }, { pause: { duration: 120 } }], analysis: { metrics: [error-rate] }, scaleDownDelaySeconds: 0 } }",
      `analysis:
  metrics:
    - name: error-rate
      provider: { router: { metric: errorRate } }
      failureCondition: "result > 0.05"
      # Prometheus scrapes Traefik every 2 s: a window shorter than two scrapes may see no new request yet.
      interval: 4
      count: 100
      failureLimit: 1
      inconclusiveLimit: 2
`,
    );
    const load = startLoad();
    const started = Date.now();
    const deployed = await cli("deploy", "hello", "--env", "k8s", "--digest", images["bad"] as string);
    const tookMs = Date.now() - started;
    await sleep(1500);
    const r = await load.stop();
    report("canary 5xx aborted by analysis", r);
    assert.equal(deployed.code, 1, deployed.stdout + deployed.stderr);
    assert.match(deployed.stdout, /aborted/);
    assert.deepEqual([...new Set(r.failures)], ["HTTP 500 bad"], "only the canary's own 500s: no gateway error");
    const span = r.failureSpan ?? { firstMs: 0, lastMs: 0 };
    console.log(`# 5xx canary: deploy ended after ${(tookMs / 1000).toFixed(1)} s; the canary answered ${r.failures.length} of ${r.sent} requests with 500 during ${((span.lastMs - span.firstMs) / 1000).toFixed(1)} s`);
    await assertServes(ENDPOINT, "v2");
    const weights = await routeWeights(cluster);
    assert.deepEqual(Object.values(weights), [100], JSON.stringify(weights));
  });

  it("blue-green: green answers the X-Slipway-Canary header before the switch; `rollout promote` switches at once: no failed request", async () => {
    writeService("{ blueGreen: { scaleDownDelaySeconds: 0 } }");
    const load = startLoad();
    const deployed = await cli("deploy", "hello", "--env", "k8s", "--digest", images["v1"] as string);
    assertSucceeded(deployed, "blue-green deploy up to the promotion");
    assert.match(deployed.stdout, /slipway rollout promote hello --env k8s/);
    await assertServes(ENDPOINT, "v2");
    // The header rule is confirmed by the route's status; the gateway's data plane may take it up to GATEWAY_APPLIES_MS later.
    const agent = new http.Agent({ keepAlive: false });
    let answer: { status: number; body: string } | undefined;
    await until("green answers the X-Slipway-Canary header", async () => (answer = await getOnce(agent, ENDPOINT, { "X-Slipway-Canary": "always" })).body === "v1", GATEWAY_APPLIES_MS, 100).catch(() => undefined);
    agent.destroy();
    assert.deepEqual(answer, { status: 200, body: "v1" });
    assertSucceeded(await cli("rollout", "promote", "hello", "--env", "k8s"), "rollout promote");
    await sleep(1000);
    const r = await load.stop();
    report("blue-green", r);
    assertNoFailures(r);
    await assertServes(ENDPOINT, "v1");
  });

});
