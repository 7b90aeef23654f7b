// Smoke test of the test cluster (scripts/test-cluster.sh, docs/test-cluster.md): upstream
// Kubernetes on this machine with its own containerd, CoreDNS, Traefik as the Gateway API
// implementation and Prometheus. `up` is idempotent, so this starts the cluster when it is
// not running (and leaves it up for the other Kubernetes tests). SLIPWAY_K8S=off skips it.
//
// Unlike the other Kubernetes e2e files, this one starts the cluster (`up`), runs its own
// registry and talks to the cluster with kubectl only: it tests the cluster, not Slipway.
// It reads the cluster's settings as they do (kubernetes-e2e.ts).
//
// Ports (loopback): a Distribution registry on 23500; the cluster's own are 23000–23999.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import * as k8s from "@kubernetes/client-node";
import { DockerEngine } from "../../src/docker/engine.js";
import { parseRegistryUrl } from "../../src/domain/registry-address.js";
import { startDaemon, stopDaemon, type DaemonSpec } from "../../src/platform/daemon.js";
import { registryBinary, registryDaemonSpec } from "../../src/platform/registry-daemon.js";
import { repoRoot } from "./helpers.js";
import { testClusterEnv } from "./kubernetes-e2e.js";
import { buildAndPushPython, pythonServer } from "./python-service.js";

const skip = process.env.SLIPWAY_K8S === "off" ? "SLIPWAY_K8S=off: the Kubernetes test cluster is turned off" : false;
const REGISTRY_PORT = 23500;
const NAMESPACE = `slipway-smoke-${randomBytes(3).toString("hex")}`;
const root = mkdtempSync(join(tmpdir(), "slipway-k8s-smoke-"));
const engine = new DockerEngine();

/** Runs a command; rejects with its output when it fails. */
function run(command: string, args: readonly string[], input?: string, timeoutMs = 900_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${command} ${args.join(" ")} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Retries `check` until it returns a value (not undefined) or the time is up. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ""}`);
    await sleep(250);
  }
}

interface ClusterEnv {
  kubeconfig: string;
  kubectl: string;
  node: string;
  gatewayClass: string;
  gatewayPort: number;
  gatewayUrl: string;
  prometheusUrl: string;
}

/** The settings `scripts/test-cluster.sh env` prints (docs/test-cluster.md), read as every Kubernetes e2e test reads them. */
function clusterEnv(): ClusterEnv {
  const vars = testClusterEnv();
  if (typeof vars === "string") throw new Error(`after scripts/test-cluster.sh up: ${vars}`);
  const need = (name: string): string => {
    const value = vars[name];
    if (!value) throw new Error(`scripts/test-cluster.sh env printed no ${name}: ${JSON.stringify(vars)}`);
    return value;
  };
  return {
    kubeconfig: need("KUBECONFIG"),
    kubectl: need("SLIPWAY_K8S_KUBECTL"),
    node: need("SLIPWAY_K8S_NODE"),
    gatewayClass: need("SLIPWAY_K8S_GATEWAY_CLASS"),
    gatewayPort: Number(need("SLIPWAY_K8S_GATEWAY_PORT")),
    gatewayUrl: need("SLIPWAY_K8S_GATEWAY_URL"),
    prometheusUrl: need("SLIPWAY_K8S_PROMETHEUS_URL"),
  };
}

let env: ClusterEnv;
let kubeconfig: k8s.KubeConfig;
let registry: DaemonSpec | undefined;
let image = "";
let digest = "";
const kubectl = (args: readonly string[], input?: string) => run(env.kubectl, ["--kubeconfig", env.kubeconfig, ...args], input);

/** Two Deployments (v1, v2) of the same image by digest, each behind its own Service. */
function webManifests(): string {
  const server = JSON.stringify(pythonServer("", 'status = 200; body = os.environ["VERSION"].encode()'));
  return ["v1", "v2"]
    .map(
      (version) => `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-${version}, namespace: ${NAMESPACE}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web-${version}}}
  template:
    metadata: {labels: {app: web-${version}}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
        - name: web
          image: ${image}
          command: [python, -u, -c, ${server}]
          env: [{name: VERSION, value: ${version}}, {name: PORT, value: "8080"}]
          readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web-${version}, namespace: ${NAMESPACE}}
spec:
  selector: {app: web-${version}}
  ports: [{name: http, port: 8080, targetPort: 8080}]
`,
    )
    .join("---");
}

describe("Kubernetes test cluster (scripts/test-cluster.sh)", { skip }, () => {
  before(async () => {
    await run("bash", [join(repoRoot, "scripts", "test-cluster.sh"), "up"]);
    env = clusterEnv();
    kubeconfig = new k8s.KubeConfig();
    kubeconfig.loadFromFile(env.kubeconfig);

    const binary = registryBinary();
    assert.ok(binary, "docker-registry is not installed (scripts/setup-host.sh installs it)");
    registry = registryDaemonSpec(join(root, "registry"), "dev", parseRegistryUrl(`127.0.0.1:${REGISTRY_PORT}`), binary);
    await startDaemon(registry);
    const repository = `127.0.0.1:${REGISTRY_PORT}/k8s-smoke/web`;
    digest = await buildAndPushPython(engine, root, `${repository}:smoke`, "", { PORT: "8080" });
    image = `${repository}@${digest}`;
    await kubectl(["create", "namespace", NAMESPACE]);
  });

  after(async () => {
    await kubectl(["delete", "namespace", NAMESPACE, "--wait=false"]).catch(() => undefined);
    if (registry) await stopDaemon(registry);
    await engine.api
      .getImage(`127.0.0.1:${REGISTRY_PORT}/k8s-smoke/web:smoke`)
      .remove()
      .catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("has one node, Ready, running the built Kubernetes version", async () => {
    const core = kubeconfig.makeApiClient(k8s.CoreV1Api);
    const node = await core.readNode({ name: env.node });
    const ready = node.status?.conditions?.find((c) => c.type === "Ready");
    assert.equal(ready?.status, "True", `node not Ready: ${ready?.message}`);
    assert.match(node.status?.nodeInfo?.kubeletVersion ?? "", /^v1\.34\./);
    assert.ok(node.spec?.podCIDR, "the controller-manager allocated no podCIDR");
  });

  it("runs pods from an image in a local registry, pulled by digest over plain HTTP", async () => {
    await kubectl(["apply", "--server-side", "-f", "-"], webManifests());
    await kubectl(["-n", NAMESPACE, "wait", "--for=condition=Available", "--timeout=180s", "deployment/web-v1", "deployment/web-v2"]);
    const core = kubeconfig.makeApiClient(k8s.CoreV1Api);
    const pods = await core.listNamespacedPod({ namespace: NAMESPACE });
    assert.equal(pods.items.length, 2);
    for (const pod of pods.items) {
      const status = pod.status?.containerStatuses?.[0];
      assert.equal(status?.ready, true);
      assert.ok(status?.imageID.endsWith(`@${digest}`), `imageID ${status?.imageID} is not ${image}`);
    }
  });

  it("resolves a Service name from a pod through cluster DNS, and reaches it through kube-proxy", async () => {
    const core = kubeconfig.makeApiClient(k8s.CoreV1Api);
    const service = await core.readNamespacedService({ name: "web-v2", namespace: NAMESPACE });
    // kube-proxy programs a new Service's endpoints a moment after the pods are
    // Available (until then the ClusterIP answers "no route to host"): retry
    // the connection for up to 30 s, then fail with the last error.
    const script = [
      "import socket, time, urllib.request",
      `print(socket.gethostbyname("web-v2"), socket.gethostbyname("web-v2.${NAMESPACE}.svc.cluster.local"))`,
      "for attempt in range(30):",
      "    try:",
      '        print(urllib.request.urlopen("http://web-v2:8080/", timeout=5).read().decode()); break',
      "    except OSError:",
      "        if attempt == 29: raise",
      "        time.sleep(1)",
    ].join("\n");
    const out = await kubectl(["-n", NAMESPACE, "exec", "deploy/web-v1", "--", "python", "-c", script]);
    assert.deepEqual(out.trim().split("\n"), [`${service.spec?.clusterIP} ${service.spec?.clusterIP}`, "v2"]);
  });

  it("splits traffic 80/20 by HTTPRoute weights through Traefik, and Prometheus counts it per service", async () => {
    const port = env.gatewayPort;
    await kubectl(
      ["apply", "--server-side", "-f", "-"],
      `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: smoke, namespace: ${NAMESPACE}}
spec:
  gatewayClassName: ${env.gatewayClass}
  listeners: [{name: http, port: ${port}, protocol: HTTP}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: ${NAMESPACE}}
spec:
  parentRefs: [{name: smoke}]
  hostnames: [${NAMESPACE}.test]
  rules:
    - backendRefs:
        - {name: web-v1, port: 8080, weight: 80}
        - {name: web-v2, port: 8080, weight: 20}
`,
    );
    await kubectl(["-n", NAMESPACE, "wait", "--for=condition=Programmed", "--timeout=60s", "gateway/smoke"]);
    // node:http, not fetch: fetch drops a Host header.
    const get = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const request = http.get(env.gatewayUrl, { headers: { host: `${NAMESPACE}.test` }, timeout: 5_000 }, (response) => {
          let body = "";
          response.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
          response.on("end", () => (response.statusCode === 200 ? resolve(body) : reject(new Error(`${response.statusCode}: ${body}`))));
        });
        request.on("timeout", () => request.destroy(new Error("timed out"))).on("error", reject);
      });
    await until("the route serves", 30_000, async () => (await get()) !== "");
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const body = await get();
      counts[body] = (counts[body] ?? 0) + 1;
    }
    const sent = { v1: counts.v1 ?? 0, v2: counts.v2 ?? 0 };
    assert.ok(Math.abs(sent.v1 - 80) <= 2 && Math.abs(sent.v2 - 20) <= 2, `split ${JSON.stringify(counts)}, not 80/20`);

    // Traefik names a backend <namespace>-<service>-http-<port>; Prometheus scrapes every 2 s.
    const query = `sum by (service) (traefik_service_requests_total{service=~"${NAMESPACE}-web-v[12]-http-8080@kubernetesgateway"})`;
    const perService = await until("Prometheus has Traefik's per-service counters", 30_000, async () => {
      const response = await fetch(`${env.prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
      const result = ((await response.json()) as { data: { result: { metric: { service: string }; value: [number, string] }[] } }).data.result;
      const byService = Object.fromEntries(result.map((r) => [r.metric.service.split("@")[0], Number(r.value[1])]));
      const v1 = byService[`${NAMESPACE}-web-v1-http-8080`] ?? 0;
      const v2 = byService[`${NAMESPACE}-web-v2-http-8080`] ?? 0;
      return v1 >= sent.v1 && v2 >= sent.v2 ? { v1, v2 } : undefined;
    });
    assert.ok(perService.v1 > perService.v2);
  });
});
