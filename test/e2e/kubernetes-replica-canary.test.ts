// The canary split by replicas on a real Kubernetes cluster (ADR 26): an
// environment with `kubernetes.traffic: replicas`, as on a cluster without
// Gateway API. One Service `hello` selects the weighted pods of both
// revisions (the one revision's while it has all the traffic); a canary
// weight becomes replica counts (total kept at the service's 4
// replicas); the gateway only lets requests in (its HTTPRoute has one rule,
// to that Service), and kube-proxy does the same from inside the cluster.
// Measured by counting answers, not timing: the share of v2 answers follows
// the canary's share of pods (loose bounds), and an abort under a bounded
// keep-alive load returns every request to v1 with none failing.
// Loopback ports (k8s-canary's range): registries 18600-18601; the gateway
// listener 23083 (portOffset 23000 + endpoint port 83).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { KubernetesCluster } from "../../src/kubernetes/cluster.js";
import { runCli, type CliResult } from "./helpers.js";
import { assertNoFailures, describeLoad, sample as sampleOn, startLoad } from "./keepalive-load.js";
import { buildAndPushPython, pythonServer, systemYaml } from "./python-service.js";
import { answersUntilOnly, removeNamespace, sampleClusterIp, tearDownClusterTest, testClusterEnv } from "./kubernetes-e2e.js";

const DEV_REGISTRY = 18600;
const PROD_REGISTRY = 18601;
const ENDPOINT = 23083;
const SYSTEM = "e2e-replica-canary";
const NAMESPACE = `${SYSTEM}-k8s`;
const REPLICAS = 4;
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-k8s-replica-canary-"));
const images: Record<string, string> = {};

const settings = testClusterEnv();
const skip = typeof settings === "string" ? settings : false;
const k8s = typeof settings === "string" ? {} : settings;

const serverPy = pythonServer('VERSION = os.environ["APP_VERSION"]', `status, body = 200, (b"ok" if self.path == "/healthz" else VERSION.encode())`);

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args], { KUBECONFIG: k8s["KUBECONFIG"] });
const sample = (n: number): Promise<Record<string, number>> => sampleOn(ENDPOINT, n);

function assertSucceeded(result: CliResult, what: string): void {
  assert.equal(result.code, 0, `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

/** Live pods by version label value (the revision's image tag is in its name: v1/v2 answer their version). */
async function livePods(cluster: KubernetesCluster): Promise<Record<string, number>> {
  const list = await cluster.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `org.slipway.system=${SYSTEM}` });
  const counts: Record<string, number> = {};
  for (const p of list.items) {
    if (p.metadata?.deletionTimestamp !== undefined) continue;
    const revision = p.metadata?.labels?.["org.slipway.revision"] ?? "?";
    counts[revision] = (counts[revision] ?? 0) + 1;
  }
  return counts;
}

function writeService(strategy: string, extra = ""): void {
  writeFileSync(
    join(root, "services", "hello", "slipway.service.yaml"),
    `name: hello
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: 83 }
readiness: { http: { path: /healthz }, periodSeconds: 1, failureThreshold: 2 }
replicas: ${REPLICAS}
terminationGracePeriodSeconds: 5
resources: { memory: 48Mi, cpus: 0.1 }
strategy: ${strategy}
${extra}`,
  );
}

/** A job metric (a Kubernetes Job): GETs the analysed revision's own Service in the cluster; passes only when it answers v1. */
const JOB_SCRIPT = "import os, sys, urllib.request; b = urllib.request.urlopen(os.environ['SLIPWAY_REVISION_URL'], timeout=10).read().decode(); print('revision answered ' + b); sys.exit(0 if b == 'v1' else 3)";

const share = (counts: Record<string, number>, key: string): number => (counts[key] ?? 0) / Object.values(counts).reduce((a, b) => a + b, 0);

describe("canary split by replicas on a real cluster (kubernetes.traffic: replicas)", { skip }, () => {
  let cluster: KubernetesCluster;

  before(async () => {
    cluster = new KubernetesCluster({ kubeconfig: k8s["KUBECONFIG"] });
    mkdirSync(join(root, "services", "hello"), { recursive: true });
    const environment = `{ name: k8s, registry: dev, runtime: kubernetes, portOffset: 23000, kubernetes: { kubeconfig: ${k8s["KUBECONFIG"]}, traffic: replicas, cpuRequestPercent: 10, gateway: { className: ${k8s["SLIPWAY_K8S_GATEWAY_CLASS"] ?? "traefik"} } } }`;
    writeFileSync(join(root, "slipway.yaml"), systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [environment]));
    writeService("{ canary: { steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 50 }, { pause: {} }], scaleDownDelaySeconds: 0 } }");
    writeFileSync(join(root, "services", "hello", "Dockerfile"), "FROM scratch\n");
    await removeNamespace(cluster, NAMESPACE);
    assertSucceeded(await cli("up"), "slipway up");
    for (const version of ["v1", "v2"]) {
      images[version] = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`, serverPy, { APP_VERSION: version });
    }
    assertSucceeded(await cli("deploy", "hello", "--env", "k8s", "--digest", images["v1"] as string), "first deploy of v1");
    for (let i = 0; i < 50; i++) {
      if ("v1" in (await sample(1).catch(() => ({})))) break;
      await sleep(200);
    }
    assert.deepEqual(await sample(20), { v1: 20 });
  });

  after(() => tearDownClusterTest({ cluster, namespace: NAMESPACE, down: () => cli("down"), engine, imageTags: Object.keys(images).map((v) => `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${v}`), root }));

  it("validate: the steps are exact ratios of 4 replicas, so no warning; the stable Service selects the one revision with all the traffic", async () => {
    const validated = await cli("validate");
    assertSucceeded(validated, "slipway validate");
    assert.doesNotMatch(validated.stdout + validated.stderr, /warning/i);
    const service = (await cluster.core.readNamespacedService({ name: "hello", namespace: NAMESPACE })).spec?.selector ?? {};
    assert.match(service["org.slipway.revision"] ?? "", /^r-/, JSON.stringify(service));
    assert.equal(service["org.slipway.weighted"], undefined, JSON.stringify(service));
    const rendered = await cli("render", "kubernetes", "--env", "k8s");
    assertSucceeded(rendered, "render kubernetes");
    assert.match(rendered.stdout, /org\.slipway\.weighted: "true"/, "the rendered Service and pod template use the weighted label");
    assert.doesNotMatch(rendered.stdout, /weight: 100/, "no weighted backendRef per revision");
  });

  it("moves through the steps as replica counts; the answers follow the pods; abort under load returns everything to v1 with no failed request", async () => {
    const deployed = await cli("deploy", "hello", "--env", "k8s", "--digest", images["v2"] as string);
    assertSucceeded(deployed, "canary deploy of v2 up to the first pause");
    const pods25 = await livePods(cluster);
    const counts25 = await sample(400);
    console.log(`# step 25%: pods ${JSON.stringify(pods25)}, 400 answers through the gateway ${JSON.stringify(counts25)}`);
    assert.deepEqual(Object.values(pods25).sort(), [1, 3], "1 canary pod beside 3 stable: the total kept at 4");
    assert.ok(share(counts25, "v2") > 0.12 && share(counts25, "v2") < 0.4, `v2 answered ${share(counts25, "v2")} of requests with 1 of 4 pods`);

    const { spec } = await cluster.core.readNamespacedService({ name: "hello", namespace: NAMESPACE });
    assert.equal(spec?.selector?.["org.slipway.revision"], undefined, `while revisions share, the Service selects every revision's weighted pods: ${JSON.stringify(spec?.selector)}`);
    assert.equal(spec?.selector?.["org.slipway.weighted"], "true");
    const clusterIp = spec?.clusterIP ?? "";
    const viaProxy = await sampleClusterIp(clusterIp, 8080, 200);
    console.log(`# step 25%: 200 answers through kube-proxy (ClusterIP ${clusterIp}, a new connection each) ${JSON.stringify(viaProxy)}`);
    assert.ok(share(viaProxy, "v2") > 0.1 && share(viaProxy, "v2") < 0.45, JSON.stringify(viaProxy));

    assertSucceeded(await cli("rollout", "promote", "hello", "--env", "k8s"), "promote to 50%");
    const status = await cli("rollout", "status", "hello", "--env", "k8s");
    const pods50 = await livePods(cluster);
    const counts50 = await sample(400);
    console.log(`# step 50%: pods ${JSON.stringify(pods50)}, 400 answers ${JSON.stringify(counts50)}`);
    assert.deepEqual(Object.values(pods50), [2, 2], JSON.stringify(pods50));
    assert.ok(share(counts50, "v2") > 0.35 && share(counts50, "v2") < 0.65, `v2 answered ${share(counts50, "v2")} with 2 of 4 pods`);
    assert.match(status.stdout + status.stderr, /paused|pause/i);
    const systemStatus = await cli("status", "--env", "k8s");
    assert.match(systemStatus.stdout, /50%.*50% \(by replicas; no X-Slipway-Canary route\)/, systemStatus.stdout);

    const load = startLoad(ENDPOINT, 100);
    await sleep(1000);
    const aborted = await cli("rollout", "abort", "hello", "--env", "k8s");
    // The EndpointSlice confirmed the canary's pods gone when abort returned; the gateway applies it within its throttle (2 s on Traefik).
    const settled = await answersUntilOnly(ENDPOINT, "v1");
    await sleep(1000);
    const r = await load.stop();
    console.log(describeLoad("abort from 50% (replicas)", r));
    console.log(`# after abort returned: ${settled.late["v2"] ?? 0} more v2 answers, then only v1 (50 in a row after ${(settled.ms / 1000).toFixed(1)} s)`);
    assertSucceeded(aborted, "rollout abort");
    assertNoFailures(r, 100);
    assert.equal(settled.inARow, 50, `every request goes to v1 after the abort: ${JSON.stringify(settled)}`);
    assert.deepEqual(await sample(100), { v1: 100 });
    for (let i = 0; i < 60 && JSON.stringify(Object.values(await livePods(cluster))) !== JSON.stringify([REPLICAS]); i++) await sleep(500);
    const podsAfter = await livePods(cluster);
    assert.deepEqual(Object.values(podsAfter), [REPLICAS], `the stable back at full size, the canary at 0: ${JSON.stringify(podsAfter)}`);
  });

  it("analysis without router metrics: a job metric reaching the canary's own Service fails it; the canary is aborted, no failed request", async () => {
    writeService(
      "{ canary: { steps: [{ setWeight: 25 }, { analysis: { metrics: [answers-v1] } }, { pause: {} }], scaleDownDelaySeconds: 0 } }",
      `analysis:
  metrics:
    - name: answers-v1
      provider: { job: { image: "${images["v1"] as string}", command: [python, -c, "${JOB_SCRIPT}"] } }
      count: 1
`,
    );
    const load = startLoad(ENDPOINT, 100);
    const deployed = await cli("deploy", "hello", "--env", "k8s", "--digest", images["v2"] as string);
    for (let i = 0; i < 60 && JSON.stringify(Object.values(await livePods(cluster))) !== JSON.stringify([REPLICAS]); i++) await sleep(500);
    await sleep(3000);
    const r = await load.stop();
    console.log(describeLoad("canary aborted by a job analysis (replicas)", r));
    assert.equal(deployed.code, 1, deployed.stdout + deployed.stderr);
    assert.match(deployed.stdout, /aborted/);
    assert.match(deployed.stdout, /analysis/);
    assertNoFailures(r, 100);
    assert.ok((r.byBody["v2"] ?? 0) > 0, `the canary served its share before the analysis failed: ${JSON.stringify(r.byBody)}`);
    assert.deepEqual(await sample(50), { v1: 50 });
  });

  it("a rolling update in the same mode: revisions join and leave the one Service as pods, no failed request", async () => {
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }");
    const load = startLoad(ENDPOINT, 100);
    const deployed = await cli("deploy", "hello", "--env", "k8s", "--digest", images["v2"] as string);
    await sleep(3000);
    const r = await load.stop();
    console.log(describeLoad("rolling update (replicas)", r));
    assertSucceeded(deployed, "rolling update to v2");
    assertNoFailures(r, 100);
    assert.deepEqual(await sample(50), { v2: 50 });
  });
});
