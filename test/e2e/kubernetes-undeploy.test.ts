// `slipway undeploy` on the real Kubernetes test cluster: an undeployed
// service leaves nothing routing — its HTTPRoute and every Service of it
// (stable, per revision; on `kubernetes.traffic: replicas` the one weighted
// Service) are gone, read through the API, and the gateway answers 404 —
// while its ReplicaSets stay at 0 as the revision history. Deploying it again
// applies the route afresh and it answers.
//
// Loopback ports (k8s-undeploy's range): registries 12100-12101 (Gateway API
// weights) and 12102-12103 (split by replicas); both systems use the gateway
// listener 23080 (portOffset 23000 + endpoint port 80), one after the other.
// Setup and teardown: kubernetes-e2e.ts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { podSelector } from "../../src/domain/kubernetes-objects.js";
import { until } from "./helpers.js";
import { sample } from "./keepalive-load.js";
import { assertServes, assertSucceeded, GATEWAY_APPLIES_MS, KubernetesScratch, listenerAnswers, writeService } from "./kubernetes-e2e.js";
import { pythonServer } from "./python-service.js";

const ENDPOINT = 23080;
const serverPy = pythonServer('VERSION = os.environ["APP_VERSION"]', `status, body = 200, (b"ok" if self.path == "/healthz" else VERSION.encode())`);

function helloYaml(): string {
  return `name: hello
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: 80 }
# Tolerant probes: the shared test machine is often loaded far beyond its two cores.
readiness: { http: { path: /healthz }, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 5 }
replicas: 1
terminationGracePeriodSeconds: 2
resources: { memory: 48Mi }
strategy: { rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }
`;
}

/** What of the service's routing and history the API shows: its HTTPRoute (or none), its Services, its ReplicaSets with their replicas. */
async function objectsOf(scratch: KubernetesScratch, service: string): Promise<{ route: boolean; services: string[]; replicaSets: Record<string, number> }> {
  const { cluster, namespace } = scratch;
  const system = scratch.options.system;
  const labelSelector = podSelector({ system, environment: "k8s" }, service);
  const route = await cluster.read({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: service, namespace } });
  const services = (await cluster.core.listNamespacedService({ namespace, labelSelector })).items.map((s) => s.metadata?.name ?? "?").sort();
  const sets = (await cluster.apps.listNamespacedReplicaSet({ namespace, labelSelector })).items;
  return { route: route !== undefined, services, replicaSets: Object.fromEntries(sets.map((r) => [r.metadata?.name ?? "?", r.spec?.replicas ?? -1])) };
}

/** The gateway's answers on the listener once the route is gone: only 404s (no route), within the time Traefik takes to apply. */
async function assertNoRoute(): Promise<void> {
  let last: Record<string, number> = {};
  await until(
    `the gateway on ${ENDPOINT} answers 404 only`,
    async () => {
      last = await sample(ENDPOINT, 5).catch((err: Error) => ({ [err.message]: 5 }));
      return last["HTTP 404"] === 5;
    },
    GATEWAY_APPLIES_MS + 5_000,
    250,
  ).catch(() => undefined);
  assert.deepEqual(last, { "HTTP 404": 5 });
}

describe("undeploy on a cluster with Gateway API weights: the route and Services go, the ReplicaSets stay", () => {
  const scratch = new KubernetesScratch({ system: "e2e-undeploy-gw", registries: { dev: 12100, prod: 12101 }, environment: ["portOffset: 23000"] });

  before(async () => {
    if (scratch.skip !== false) return;
    writeService(scratch.root, "hello", helloYaml());
    await scratch.setUp();
    for (const version of ["v1", "v2"]) await scratch.buildAndPush("hello", version, serverPy, { APP_VERSION: version });
    assertSucceeded(await scratch.deploy("hello", "v1"), "deploy of v1");
    assertSucceeded(await scratch.deploy("hello", "v2"), "rolling update to v2");
    await listenerAnswers(ENDPOINT, "v2");
  });

  after(async () => {
    if (scratch.skip !== false) return;
    // The next describe's Gateway takes the same listener: this namespace (and its Gateway) is gone first.
    await scratch.deleteNamespace();
    await scratch.tearDown();
  });

  it("deletes the HTTPRoute, the stable and both revision Services; the gateway answers 404; a new deploy routes again", { skip: scratch.skip }, async () => {
    const deployed = await objectsOf(scratch, "hello");
    assert.equal(deployed.route, true);
    assert.equal(deployed.services.length, 3, `the stable Service and one per revision: ${deployed.services.join(", ")}`);
    assert.ok(deployed.services.includes("hello"), deployed.services.join(", "));

    const undeployed = await scratch.cli("undeploy", "hello", "--env", "k8s");
    assertSucceeded(undeployed, "undeploy");
    const gone = await objectsOf(scratch, "hello");
    assert.equal(gone.route, false, "the HTTPRoute is deleted");
    assert.deepEqual(gone.services, [], "no Service of hello is left");
    assert.deepEqual(Object.values(gone.replicaSets), [0, 0], `both ReplicaSets stay at 0 as the revision history: ${JSON.stringify(gone.replicaSets)}`);
    await assertNoRoute();
    const status = await scratch.cli("status", "--env", "k8s");
    assertSucceeded(status, "status");
    assert.match(status.stdout, /undeployed/);

    assertSucceeded(await scratch.deploy("hello", "v2"), "deploy after the undeploy");
    await assertServes(ENDPOINT, "v2");
    const again = await objectsOf(scratch, "hello");
    assert.equal(again.route, true, "the route is applied again");
    assert.ok(again.services.includes("hello"), again.services.join(", "));
  });
});

describe("undeploy on kubernetes.traffic: replicas: the weighted Service and its route go", () => {
  const scratch = new KubernetesScratch({ system: "e2e-undeploy-rr", registries: { dev: 12102, prod: 12103 }, environment: ["portOffset: 23000"], kubernetes: ["traffic: replicas"] });

  before(async () => {
    if (scratch.skip !== false) return;
    writeService(scratch.root, "hello", helloYaml());
    await scratch.setUp();
    await scratch.buildAndPush("hello", "v1", serverPy, { APP_VERSION: "v1" });
    assertSucceeded(await scratch.deploy("hello", "v1"), "deploy of v1");
    await listenerAnswers(ENDPOINT, "v1");
  });

  after(async () => {
    if (scratch.skip !== false) return;
    await scratch.tearDown();
  });

  it("deletes the Service hello and the HTTPRoute; the gateway answers 404; a new deploy routes again", { skip: scratch.skip }, async () => {
    const deployed = await objectsOf(scratch, "hello");
    assert.equal(deployed.route, true);
    assert.ok(deployed.services.includes("hello"), deployed.services.join(", "));

    assertSucceeded(await scratch.cli("undeploy", "--all", "--env", "k8s"), "undeploy --all");
    const gone = await objectsOf(scratch, "hello");
    assert.equal(gone.route, false, "the HTTPRoute is deleted");
    assert.deepEqual(gone.services, [], "no Service of hello is left");
    assert.deepEqual(Object.values(gone.replicaSets), [0], `the ReplicaSet stays at 0: ${JSON.stringify(gone.replicaSets)}`);
    await assertNoRoute();

    assertSucceeded(await scratch.deploy("hello", "v1"), "deploy after the undeploy");
    await assertServes(ENDPOINT, "v1");
    assert.equal((await objectsOf(scratch, "hello")).route, true, "the route is applied again");
  });
});
