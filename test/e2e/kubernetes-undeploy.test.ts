// `slipway undeploy` on the real Kubernetes test cluster: an undeployed
// service leaves nothing behind but its revision history — its HTTPRoute,
// every Service of it (stable, per revision; on `kubernetes.traffic:
// replicas` the one weighted Service), its Secret and its own Gateway
// listener are gone, read through the API, and the gateway answers 404 —
// while its ReplicaSets stay at 0. Another service's listener, Secret and
// Services stay, even on a Gateway an earlier slipway applied whole (one
// field manager owning every listener). Deploying it again applies it all
// afresh and it answers.
//
// Loopback ports (k8s-undeploy's range): registries 12100-12101 (Gateway API
// weights) and 12102-12103 (split by replicas); both systems use the gateway
// listener 23080 (portOffset 23000 + endpoint port 80), one after the other.
// The second service's listener is on 12150, no entry point of Traefik's
// (nothing listens there; split by replicas nothing waits for its route's
// status). Setup and teardown: kubernetes-e2e.ts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { gatewayObject, podSelector } from "../../src/domain/kubernetes-objects.js";
import { until } from "./helpers.js";
import { sample } from "./keepalive-load.js";
import { assertServes, assertSucceeded, GATEWAY_APPLIES_MS, KubernetesScratch, listenerAnswers, writeService } from "./kubernetes-e2e.js";
import { pythonServer } from "./python-service.js";

const ENDPOINT = 23080;
/** The second service's listener port (endpointPorts pins it): no Traefik entry point. */
const KEEPER_LISTENER = 12150;
/** The host variable the services' secret is read from. */
const TOKEN = { E2E_UNDEPLOY_TOKEN: "undeploy-e2e-token" };
const serverPy = pythonServer('VERSION = os.environ["APP_VERSION"]', `status, body = 200, (b"ok" if self.path == "/healthz" else VERSION.encode())`);

function serviceYaml(name = "hello"): string {
  return `name: ${name}
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: 80 }
# Tolerant probes: the shared test machine is often loaded far beyond its two cores.
readiness: { http: { path: /healthz }, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 5 }
replicas: 1
terminationGracePeriodSeconds: 2
resources: { memory: 48Mi }
env: { TOKEN: { fromEnv: E2E_UNDEPLOY_TOKEN } }
strategy: { rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }
`;
}

interface ServiceObjects {
  route: boolean;
  services: string[];
  secrets: string[];
  /** The service's own listener on the system's Gateway: its port, or undefined. */
  listenerPort: number | undefined;
  replicaSets: Record<string, number>;
}

/** What of the service the API shows: its HTTPRoute (or none), its Services and Secrets, its Gateway listener, its ReplicaSets with their replicas. */
async function objectsOf(scratch: KubernetesScratch, service: string): Promise<ServiceObjects> {
  const { cluster, namespace } = scratch;
  const system = scratch.options.system;
  const labelSelector = podSelector({ system, environment: "k8s" }, service);
  const route = await cluster.read({ apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name: service, namespace } });
  const services = (await cluster.core.listNamespacedService({ namespace, labelSelector })).items.map((s) => s.metadata?.name ?? "?").sort();
  const secrets = (await cluster.core.listNamespacedSecret({ namespace, labelSelector })).items.map((s) => s.metadata?.name ?? "?").sort();
  const listener = (await gatewayListeners(scratch)).find((l) => l.name === service);
  const sets = (await cluster.apps.listNamespacedReplicaSet({ namespace, labelSelector })).items;
  return { route: route !== undefined, services, secrets, listenerPort: listener?.port, replicaSets: Object.fromEntries(sets.map((r) => [r.metadata?.name ?? "?", r.spec?.replicas ?? -1])) };
}

/** The listeners of the system's Gateway; none when there is no Gateway. */
async function gatewayListeners(scratch: KubernetesScratch): Promise<{ name: string; port: number }[]> {
  const gateway = await scratch.cluster.read<{ apiVersion: string; kind: string; metadata: { name: string }; spec?: { listeners?: { name: string; port: number }[] } }>(gatewayHeader(scratch));
  return gateway?.spec?.listeners ?? [];
}

function gatewayHeader(scratch: KubernetesScratch): { apiVersion: string; kind: string; metadata: { name: string; namespace: string } } {
  return { apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway", metadata: { name: scratch.options.system, namespace: scratch.namespace } };
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
  const scratch = new KubernetesScratch({ system: "e2e-undeploy-gw", registries: { dev: 12100, prod: 12101 }, environment: ["portOffset: 23000"], cliEnv: TOKEN });

  before(async () => {
    if (scratch.skip !== false) return;
    writeService(scratch.root, "hello", serviceYaml());
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

  it("deletes the HTTPRoute, the stable and both revision Services, the Secret and the listener (with it the Gateway); the gateway answers 404; a new deploy routes again", { skip: scratch.skip }, async () => {
    const deployed = await objectsOf(scratch, "hello");
    assert.equal(deployed.route, true);
    assert.equal(deployed.services.length, 3, `the stable Service and one per revision: ${deployed.services.join(", ")}`);
    assert.ok(deployed.services.includes("hello"), deployed.services.join(", "));
    assert.deepEqual(deployed.secrets, ["hello-secrets"]);
    assert.equal(deployed.listenerPort, ENDPOINT);

    const undeployed = await scratch.cli("undeploy", "hello", "--env", "k8s");
    assertSucceeded(undeployed, "undeploy");
    const gone = await objectsOf(scratch, "hello");
    assert.equal(gone.route, false, "the HTTPRoute is deleted");
    assert.deepEqual(gone.services, [], "no Service of hello is left");
    assert.deepEqual(gone.secrets, [], "hello's Secret is deleted");
    assert.equal(gone.listenerPort, undefined, "hello's listener is gone");
    assert.equal(await scratch.cluster.read(gatewayHeader(scratch)), undefined, "its last listener took the Gateway with it");
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
    assert.deepEqual(again.secrets, ["hello-secrets"], "the Secret is applied again");
    assert.equal(again.listenerPort, ENDPOINT, "the listener (and the Gateway) is applied again");
  });
});

describe("undeploy on kubernetes.traffic: replicas: the weighted Service, its route, Secret and listener go; another service's stay", () => {
  const scratch = new KubernetesScratch({
    system: "e2e-undeploy-rr",
    registries: { dev: 12102, prod: 12103 },
    environment: ["portOffset: 23000", `endpointPorts: { keeper: ${KEEPER_LISTENER} }`],
    kubernetes: ["traffic: replicas"],
    anyListenerPort: true,
    cliEnv: TOKEN,
  });

  before(async () => {
    if (scratch.skip !== false) return;
    writeService(scratch.root, "hello", serviceYaml());
    writeService(scratch.root, "keeper", serviceYaml("keeper"));
    await scratch.setUp();
    await scratch.buildAndPush("hello", "v1", serverPy, { APP_VERSION: "v1" });
    await scratch.buildAndPush("keeper", "k1", serverPy, { APP_VERSION: "k1" });
    assertSucceeded(await scratch.deploy("hello", "v1"), "deploy of v1");
    assertSucceeded(await scratch.deploy("keeper", "k1"), "deploy of keeper");
    await listenerAnswers(ENDPOINT, "v1");
  });

  after(async () => {
    if (scratch.skip !== false) return;
    await scratch.tearDown();
  });

  it("deletes the Service hello, the HTTPRoute, hello's Secret and listener, keeps keeper's; the gateway answers 404; a new deploy routes again", { skip: scratch.skip }, async () => {
    const deployed = await objectsOf(scratch, "hello");
    assert.equal(deployed.route, true);
    assert.ok(deployed.services.includes("hello"), deployed.services.join(", "));
    assert.deepEqual(deployed.secrets, ["hello-secrets"]);
    assert.equal(deployed.listenerPort, ENDPOINT);
    const keeper = await objectsOf(scratch, "keeper");
    assert.deepEqual([keeper.route, keeper.secrets, keeper.listenerPort], [true, ["keeper-secrets"], KEEPER_LISTENER]);
    // As an earlier slipway left it: the Gateway applied whole by the one field manager "slipway", which then owns every listener.
    const className = scratch.k8s["SLIPWAY_K8S_GATEWAY_CLASS"] ?? "traefik";
    const scope = { system: scratch.options.system, environment: "k8s", namespace: scratch.namespace };
    await scratch.cluster.apply(gatewayObject(scope, scope.system, className, [{ name: "hello", port: ENDPOINT }, { name: "keeper", port: KEEPER_LISTENER }]));

    assertSucceeded(await scratch.cli("undeploy", "hello", "--env", "k8s"), "undeploy hello");
    const gone = await objectsOf(scratch, "hello");
    assert.equal(gone.route, false, "the HTTPRoute is deleted");
    assert.deepEqual(gone.services, [], "no Service of hello is left");
    assert.deepEqual(gone.secrets, [], "hello's Secret is deleted");
    assert.equal(gone.listenerPort, undefined, "hello's listener is gone");
    assert.deepEqual(Object.values(gone.replicaSets), [0], `the ReplicaSet stays at 0: ${JSON.stringify(gone.replicaSets)}`);
    assert.deepEqual(await objectsOf(scratch, "keeper"), keeper, "keeper keeps its route, Services, Secret, listener and ReplicaSet");
    await assertNoRoute();

    assertSucceeded(await scratch.deploy("hello", "v1"), "deploy after the undeploy");
    await assertServes(ENDPOINT, "v1");
    const again = await objectsOf(scratch, "hello");
    assert.deepEqual([again.route, again.secrets, again.listenerPort], [true, ["hello-secrets"], ENDPOINT], "the route, Secret and listener are applied again");
    assert.deepEqual((await gatewayListeners(scratch)).map((l) => l.name).sort(), ["hello", "keeper"]);
  });
});
