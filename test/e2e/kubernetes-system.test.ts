// A whole system on the real Kubernetes test cluster (scripts/test-cluster.sh),
// through the real CLI: two Python services, `front` calling `back` by the
// <BACK>_URL slipway gives it (the cluster DNS name of back's stable Service),
// each on a Gateway listener of its own (`endpointPorts`, within Traefik's
// entry points). `slipway test --env k8s` runs the system's integration test
// through the gateway; `slipway snapshot` locks it; the namespace is deleted
// (the target lost: pods, ReplicaSets, Services, routes, Gateway); `slipway
// restore` re-creates the namespace and every object, dependencies first,
// and the tests pass again. Then canaries of back judged on the p95 latency
// of Traefik's histograms through the real Prometheus.
// Loopback ports: registries 19090-19091 (k8s-b's range 19000-19499); gateway
// listeners 23088 (back) and 23089 (front), of the test cluster's entry points.
// Setup and teardown: kubernetes-e2e.ts.
import assert from "node:assert/strict";
import http from "node:http";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { KubernetesCluster } from "../../src/kubernetes/cluster.js";
import type { CliResult } from "./helpers.js";
import { describeLoad, getOnce, startLoad } from "./keepalive-load.js";
import { assertSucceeded, KubernetesScratch, writeService as writeServiceIn } from "./kubernetes-e2e.js";
import { pythonServer } from "./python-service.js";

const BACK_PORT = 23088;
const FRONT_PORT = 23089;
const SYSTEM = "e2e-k8s-sys";
const NAMESPACE = "e2e-k8s-sys-k8s";
const scratch = new KubernetesScratch({
  system: SYSTEM,
  registries: { dev: 19090, prod: 19091 },
  environment: [`endpointPorts: { back: ${BACK_PORT}, front: ${FRONT_PORT} }`],
  kubernetes: ["cpuRequestPercent: 10"],
  extraYaml: "integrationTests:\n  - name: front-reaches-back\n    http: { service: front, path: /, expect: { status: 200, bodyContains: front+back v1 } }\n",
});
const { root } = scratch;

// back answers after APP_DELAY seconds: a slow version for the latency analysis.
const backPy = pythonServer('import time; VERSION = os.environ["APP_VERSION"]; DELAY = float(os.environ.get("APP_DELAY", "0"))', `time.sleep(DELAY if self.path != "/healthz" else 0)
status, body = 200, ("back " + VERSION).encode()`);
// front answers with back's answer, fetched through BACK_URL: the cluster DNS name of back's stable Service.
const frontPy = pythonServer(
  'BACK = os.environ["BACK_URL"]',
  `if self.path == "/healthz": status, body = 200, b"ok"
else:
    try: status, body = 200, b"front+" + urllib.request.urlopen(BACK + "/", timeout=2).read()
    except Exception as e: status, body = 502, str(e).encode()`,
);

const ROLLING = "{ rolling: { scaleDownDelaySeconds: 0 } }";

function writeService(name: string, extra: string, strategy = ROLLING): void {
  writeServiceIn(
    root,
    name,
    `name: ${name}
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
readiness: { http: { path: /healthz }, periodSeconds: 1, failureThreshold: 2 }
replicas: 1
terminationGracePeriodSeconds: 2
resources: { memory: 64Mi, cpus: 0.2 }
strategy: ${strategy}
${extra}`,
  );
}

const cli = (...args: string[]): Promise<CliResult> => scratch.cli(...args);

/** front's answer through its Gateway listener, once the gateway serves it (a new listener or route takes a moment). */
async function frontAnswer(): Promise<string> {
  let last = "";
  for (let i = 0; i < 50; i++) {
    const answer = await getOnce(new http.Agent(), FRONT_PORT).catch((err: Error) => ({ status: 0, body: err.message }));
    last = `${answer.status} ${answer.body}`;
    if (answer.status === 200) return answer.body;
    await sleep(200);
  }
  return last;
}

describe("a whole system on a real Kubernetes cluster: test --env, snapshot, restore onto a deleted namespace, p95 analysis", { skip: scratch.skip }, () => {
  let cluster: KubernetesCluster;

  before(async () => {
    writeService("back", "");
    writeService("front", "dependsOn: [back]\n");
    cluster = await scratch.setUp();
    const back = await scratch.buildAndPush("back", "v1", backPy, { APP_VERSION: "v1" });
    const front = await scratch.buildAndPush("front", "v1", frontPy, { APP_VERSION: "v1" });
    assertSucceeded(await cli("deploy", "back", "--env", "k8s", "--digest", back), "deploy back");
    assertSucceeded(await cli("deploy", "front", "--env", "k8s", "--digest", front), "deploy front");
  });

  after(() => scratch.tearDown());

  it("slipway test --env k8s: the integration test reaches front through the gateway, and front reaches back by cluster DNS", async () => {
    assert.equal(await frontAnswer(), "front+back v1");
    const tested = await cli("test", "--env", "k8s");
    assertSucceeded(tested, "slipway test --env k8s");
    assert.match(tested.stdout, /✓ front-reaches-back/);
    assert.match(tested.stdout, /passed: 1 of 1 tests passed/);
  });

  it("restore onto a re-created target: the namespace deleted, the lock redeploys back then front, endpoints answer, tests pass", async () => {
    const lock = join(root, "k8s.lock.json");
    assertSucceeded(await cli("snapshot", "--env", "k8s", "-o", lock), "snapshot");
    await scratch.deleteNamespace();
    assert.equal(await cluster.read({ apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } }), undefined);

    const started = Date.now();
    const restored = await cli("restore", lock, "--env", "k8s");
    console.log(`# restore of 2 services onto the deleted namespace: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assertSucceeded(restored, "restore");
    const output = restored.stdout + restored.stderr;
    assert.match(output, /back: the state store says it serves .* but the cluster has no pod of it/);
    assert.match(output, /restored back, front in k8s; every endpoint answers/);
    // Dependencies first: back's rollout starts before front's.
    assert.ok(output.indexOf("rollout back-") < output.indexOf("rollout front-"), output);

    const pods = await cluster.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: `org.slipway.system=${SYSTEM}` });
    assert.deepEqual(pods.items.map((p) => p.metadata?.labels?.["org.slipway.service"]).sort(), ["back", "front"]);
    assert.equal(await frontAnswer(), "front+back v1");
    assertSucceeded(await cli("test", "--env", "k8s"), "slipway test --env k8s after the restore");

    // A second restore finds everything running: a no-op.
    const again = await cli("restore", lock, "--env", "k8s");
    assertSucceeded(again, "second restore");
    assert.doesNotMatch(again.stdout + again.stderr, /rollout (back|front)-/);
  });

  it("canary analysis on the gateway's p95 latency through Prometheus: a version as fast as stable is promoted, a slow one aborted", async () => {
    const analysis = `analysis:
  metrics:
    - name: p95-vs-stable
      # A new pod's first requests can take tens of ms against a stable's 2 ms p95: only 100 ms more counts.
      provider: { router: { metric: latencyP95, compareWithStable: true, judge: { minRequests: 20, maxRatio: 2, minDifferenceMs: 100 } } }
      # Prometheus scrapes Traefik every 2 s: a window shorter than two scrapes may see no new request yet.
      interval: 4
      count: 3
      failureLimit: 0
      inconclusiveLimit: 3
`;
    writeService("back", analysis, "{ canary: { steps: [{ setWeight: 50 }, { analysis: { metrics: [p95-vs-stable] } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }");
    const fast = await scratch.buildAndPush("back", "v2", backPy, { APP_VERSION: "v2" });
    const slow = await scratch.buildAndPush("back", "v3", backPy, { APP_VERSION: "v3", APP_DELAY: "0.4" });

    let load = startLoad(BACK_PORT, 40);
    const promoted = await cli("deploy", "back", "--env", "k8s", "--digest", fast);
    console.log(describeLoad("canary v2 (as fast as stable)", await load.stop()));
    assertSucceeded(promoted, "canary of the fast v2");
    assert.match(promoted.stdout, /analysis a1-step-\d successful \(3 ok, 0 failed\)/);

    load = startLoad(BACK_PORT, 40);
    const aborted = await cli("deploy", "back", "--env", "k8s", "--digest", slow);
    const r = await load.stop();
    console.log(describeLoad("canary v3 (0.4 s slower)", r));
    assert.equal(aborted.code, 1, aborted.stdout + aborted.stderr);
    const status = await cli("rollout", "status", "back", "--env", "k8s");
    const output = aborted.stdout + aborted.stderr + status.stdout;
    assert.match(output, /aborted/);
    const reason = /canary latencyP95 [^\n]*slower than 2 × stable[^\n]*/.exec(output)?.[0];
    assert.ok(reason !== undefined, output);
    console.log(`# ${reason}`);
    assert.equal(await frontAnswer(), "front+back v2");
  });
});
