// What every e2e test of Slipway on the Kubernetes test cluster
// (scripts/test-cluster.sh) sets up and takes down, in one place: the
// cluster's settings (`scripts/test-cluster.sh env`, or why the tests skip),
// a scratch system in a temp dir with an environment `k8s` on the cluster,
// its namespace (one left by an earlier run that failed half-way is deleted
// first), `slipway up` for the loopback registries, Python images built and
// pushed by digest, the CLI with the kubeconfig, and the gateway's listener
// sampled until it answers as expected. A file keeps only its own system,
// services and checks.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerEngine } from "../../src/docker/engine.js";
import { KubernetesCluster } from "../../src/kubernetes/cluster.js";
import { assertSucceeded, cliPath, repoRoot, runCli, until, type CliResult } from "./helpers.js";
import { sample, stopAllLoads } from "./keepalive-load.js";
import { buildAndPushPython, systemYaml } from "./python-service.js";

/**
 * Traefik holds a configuration change for providersThrottleDuration after its last
 * reload (2 s by default, 100 ms on the test cluster): a route the gateway's status
 * already confirms may reach its data plane that much later (docs/runtime-mapping.md).
 * Checks of what the gateway serves after a command wait this long at most.
 */
export const GATEWAY_APPLIES_MS = 5_000;

export function testClusterEnv(): Record<string, string> | string {
  if (process.env["SLIPWAY_K8S"] === "off") return "SLIPWAY_K8S=off: the Kubernetes test cluster is turned off";
  const env: Record<string, string> = {};
  if (process.env["SLIPWAY_K8S_GATEWAY_CLASS"] !== undefined && process.env["KUBECONFIG"] !== undefined) {
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (k === "KUBECONFIG" || k.startsWith("SLIPWAY_K8S_"))) env[k] = v;
  } else {
    const script = join(repoRoot, "scripts", "test-cluster.sh");
    if (!existsSync(script)) return "scripts/test-cluster.sh is not in this checkout";
    let text: string;
    try {
      text = execFileSync("bash", [script, "env"], { encoding: "utf8", timeout: 30_000 });
    } catch (err) {
      return `scripts/test-cluster.sh env failed: ${(err as Error).message}`;
    }
    for (const m of text.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1] as string] = (m[2] as string).replace(/^'(.*)'$/, "$1");
  }
  if (env["KUBECONFIG"] === undefined) return "scripts/test-cluster.sh env printed no KUBECONFIG";
  try {
    execFileSync(env["SLIPWAY_K8S_KUBECTL"] ?? "kubectl", ["--kubeconfig", env["KUBECONFIG"], "get", "--raw", "/readyz"], { encoding: "utf8", timeout: 10_000, stdio: "pipe" });
  } catch {
    return "the test cluster is not up (bash scripts/test-cluster.sh up)";
  }
  return env;
}

/**
 * The flow YAML of an environment `k8s` on the test cluster (Traefik's
 * GatewayClass and listener ports, its Prometheus); `settings` adds fields
 * to its kubernetes block and `fields` to the environment (e.g. `portOffset: 23000`).
 */
export function kubernetesEnvironment(cluster: Readonly<Record<string, string>>, fields: readonly string[], settings: readonly string[] = [], anyListenerPort = false): string {
  const listenerPorts = anyListenerPort ? "" : `, listenerPorts: "${cluster["SLIPWAY_K8S_GATEWAY_PORTS"] ?? "23080-23089"}"`;
  const kubernetes = [
    `kubeconfig: ${cluster["KUBECONFIG"]}`,
    `gateway: { className: ${cluster["SLIPWAY_K8S_GATEWAY_CLASS"] ?? "traefik"}${listenerPorts} }`,
    `prometheus: { address: ${cluster["SLIPWAY_K8S_PROMETHEUS_URL"] ?? "http://127.0.0.1:23090"} }`,
    ...settings,
  ];
  return `{ name: k8s, registry: dev, runtime: kubernetes, ${[...fields, `kubernetes: { ${kubernetes.join(", ")} }`].join(", ")} }`;
}

// The CLI exit check, here too: the cluster tests import their set-up from this file.
export { assertSucceeded };

/** A service's folder: its slipway.service.yaml and the Dockerfile `validate` requires it to be built from. */
export function writeService(root: string, name: string, yaml: string): void {
  mkdirSync(join(root, "services", name), { recursive: true });
  writeFileSync(join(root, "services", name, "slipway.service.yaml"), yaml);
  writeFileSync(join(root, "services", name, "Dockerfile"), "FROM scratch\n");
}

/**
 * The `hello` service of the fault and analysis tests: 2 replicas of a tiny
 * Python server on gateway endpoint port `endpointPort`, probes tolerant of a
 * loaded machine, memory only; `strategy` and `extra` (YAML blocks appended,
 * e.g. `analysis:`) are the test's own.
 */
export function writeHelloService(root: string, endpointPort: number, strategy: string, extra = ""): void {
  writeService(
    root,
    "hello",
    `name: hello
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: ${endpointPort} }
# Tolerant probes: the shared test machine is often loaded far beyond its two cores.
readiness: { http: { path: /healthz }, periodSeconds: 1, timeoutSeconds: 3, failureThreshold: 5 }
replicas: 2
terminationGracePeriodSeconds: 5
# No CPU: requests = limits, and the shared test cluster has two cores to schedule.
resources: { memory: 64Mi }
strategy: ${strategy}
${extra}`,
  );
}

export interface ScratchSystemOptions {
  system: string;
  /** Loopback registries (`slipway up` runs them): ports of the test file's own range. */
  registries: { dev: number; prod: number };
  /** The k8s environment's extra fields and kubernetes settings (kubernetesEnvironment). */
  environment: readonly string[];
  kubernetes?: readonly string[];
  /** Let validate take any Gateway listener port, not only Traefik's entry points (a listener Traefik does not serve). */
  anyListenerPort?: boolean;
  /** Appended to slipway.yaml (e.g. integrationTests). */
  extraYaml?: string;
  /** More variables for every CLI call (besides KUBECONFIG). */
  cliEnv?: Record<string, string>;
}

/** One test file's scratch system on the test cluster; `skip` says why there is none. */
export class KubernetesScratch {
  readonly settings = testClusterEnv();
  readonly skip: string | false = typeof this.settings === "string" ? this.settings : false;
  /** The cluster's settings (empty when skipped). */
  readonly k8s: Readonly<Record<string, string>> = typeof this.settings === "string" ? {} : this.settings;
  readonly root: string;
  readonly namespace: string;
  readonly engine = new DockerEngine();
  /** version (or tag) → digest of what buildAndPush pushed. */
  readonly images: Record<string, string> = {};
  private readonly tags: string[] = [];
  private client: KubernetesCluster | undefined;

  constructor(readonly options: ScratchSystemOptions) {
    this.root = mkdtempSync(join(tmpdir(), `slipway-${options.system}-`));
    this.namespace = `${options.system}-k8s`;
  }

  /** The cluster client (after setUp). */
  get cluster(): KubernetesCluster {
    if (this.client === undefined) throw new Error("KubernetesScratch.setUp() has not run");
    return this.client;
  }

  cli(...args: string[]): Promise<CliResult> {
    return runCli(["--config", this.root, ...args], { KUBECONFIG: this.k8s["KUBECONFIG"], ...this.options.cliEnv });
  }

  /** In before(): slipway.yaml, no namespace left from an earlier run, `slipway up`. Write the services first. */
  async setUp(): Promise<KubernetesCluster> {
    const { system, registries, environment, kubernetes, extraYaml } = this.options;
    this.client = new KubernetesCluster({ kubeconfig: this.k8s["KUBECONFIG"] });
    writeFileSync(join(this.root, "slipway.yaml"), systemYaml(system, registries, [kubernetesEnvironment(this.k8s, environment, kubernetes, this.options.anyListenerPort)]) + (extraYaml ?? ""));
    await this.deleteNamespace();
    assertSucceeded(await this.cli("up"), "slipway up");
    return this.client;
  }

  /** Deletes the namespace and waits until it is gone (its pods terminated). */
  deleteNamespace(timeoutMs = 120_000): Promise<void> {
    return removeNamespace(this.cluster, this.namespace, timeoutMs);
  }

  /** Builds server.py (with `env` baked in) as `<dev registry>/<system>/<service>:<version>`, pushes it; the digest, also kept in images[version]. */
  async buildAndPush(service: string, version: string, serverPy: string, env: Record<string, string>): Promise<string> {
    const tag = `127.0.0.1:${this.options.registries.dev}/${this.options.system}/${service}:${version}`;
    this.tags.push(tag);
    const digest = await buildAndPushPython(this.engine, this.root, tag, serverPy, env);
    this.images[version] = digest;
    return digest;
  }

  /** The image by digest, as the cluster pulls it. */
  imageRef(service: string, version: string): string {
    return `127.0.0.1:${this.options.registries.dev}/${this.options.system}/${service}@${this.images[version] ?? "?"}`;
  }

  /** A CLI process left running (a fault test kills it with SIGKILL); its output is dropped. */
  spawnCli(...args: string[]): ChildProcess {
    return spawn(process.execPath, [cliPath, "--config", this.root, ...args], { stdio: "ignore", env: { ...process.env, NO_COLOR: "1", KUBECONFIG: this.k8s["KUBECONFIG"], ...this.options.cliEnv } });
  }

  deploy(service: string, version: string): Promise<CliResult> {
    return this.cli("deploy", service, "--env", "k8s", "--digest", this.images[version] as string);
  }

  /** In after(): loads stopped, `slipway down`, the namespace and the images removed, the temp dir deleted. */
  tearDown(): Promise<void> {
    return tearDownClusterTest({ cluster: this.client, namespace: this.namespace, down: () => this.cli("down"), engine: this.engine, imageTags: this.tags, root: this.root });
  }
}

/** Deletes the namespace (one left by an earlier run that failed half-way) and waits until it is gone. */
export async function removeNamespace(cluster: KubernetesCluster, namespace: string, timeoutMs = 120_000): Promise<void> {
  const header = { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } };
  await cluster.remove(header);
  await until(`namespace ${namespace} is gone`, async () => (await cluster.read(header)) === undefined, timeoutMs, 500);
}

/** What a cluster test leaves: loads, the system (`slipway down`), its namespace, the client, its images and its folder. */
export async function tearDownClusterTest(t: { cluster: KubernetesCluster | undefined; namespace: string; down: () => Promise<unknown>; engine: DockerEngine; imageTags: readonly string[]; root: string }): Promise<void> {
  await stopAllLoads();
  await t.down();
  await t.cluster?.remove({ apiVersion: "v1", kind: "Namespace", metadata: { name: t.namespace } });
  await t.cluster?.close();
  for (const tag of t.imageTags) await t.engine.api.getImage(tag).remove({ force: true }).catch(() => undefined);
  rmSync(t.root, { recursive: true, force: true });
}

/**
 * After a command that moved all traffic to `body` returned: samples one
 * request at a time until `inARow` answers in a row are `body` (or
 * `timeoutMs` passed), counting the other answers that came first (a
 * gateway applies the change within its own delay).
 */
export async function answersUntilOnly(port: number, body: string, inARow = 50, timeoutMs = 30_000): Promise<{ late: Record<string, number>; inARow: number; ms: number }> {
  const started = Date.now();
  const late: Record<string, number> = {};
  let run = 0;
  while (run < inARow && Date.now() - started < timeoutMs) {
    const one = await sample(port, 1);
    if (body in one) run++;
    else {
      run = 0;
      for (const [k, n] of Object.entries(one)) late[k] = (late[k] ?? 0) + n;
    }
  }
  return { late, inARow: run, ms: Date.now() - started };
}

/** Waits until a gateway listener (a new one takes a moment) answers `body`. */
export async function listenerAnswers(port: number, body: string, timeoutMs = 60_000): Promise<void> {
  await until(`the gateway on ${port} answers ${body}`, async () => body in (await sample(port, 1).catch(() => ({}))), timeoutMs);
}

/**
 * n requests through the gateway all answer `body`, once the gateway has
 * applied what its status confirmed (at most GATEWAY_APPLIES_MS later);
 * fails with the last sample otherwise.
 */
export async function assertServes(port: number, body: string, n = 20): Promise<void> {
  let last: Record<string, number> = {};
  const settled = async (): Promise<boolean> => {
    last = await sample(port, n).catch((err: Error) => ({ [err.message]: n }));
    return last[body] === n;
  };
  await until(`every answer on ${port} is ${body}`, settled, GATEWAY_APPLIES_MS, 250).catch(() => undefined);
  assert.deepEqual(last, { [body]: n });
}

/** What runs of a system, by revision: its live pods' names (terminating ones left out) and each ReplicaSet's replicas. */
export interface RevisionView {
  pods: Record<string, string[]>;
  replicaSets: Record<string, number>;
}

export async function revisionView(cluster: KubernetesCluster, namespace: string, system: string): Promise<RevisionView> {
  const labelSelector = `org.slipway.system=${system}`;
  const pods: Record<string, string[]> = {};
  for (const p of (await cluster.core.listNamespacedPod({ namespace, labelSelector })).items) {
    if (p.metadata?.deletionTimestamp !== undefined) continue;
    (pods[p.metadata?.labels?.["org.slipway.revision"] ?? "?"] ??= []).push(p.metadata?.name ?? "?");
  }
  const replicaSets: Record<string, number> = {};
  for (const rs of (await cluster.apps.listNamespacedReplicaSet({ namespace, labelSelector })).items) replicaSets[rs.metadata?.labels?.["org.slipway.revision"] ?? "?"] = rs.spec?.replicas ?? 0;
  return { pods, replicaSets };
}

/** Every ReplicaSet runs exactly its replicas: no duplicate pod, no pod without its ReplicaSet. */
export function assertPodsMatchReplicaSets(view: RevisionView): void {
  for (const [revision, replicas] of Object.entries(view.replicaSets)) assert.equal(view.pods[revision]?.length ?? 0, replicas, `ReplicaSet of ${revision}: ${JSON.stringify(view)}`);
  for (const revision of Object.keys(view.pods)) assert.ok(revision in view.replicaSets, `pods of ${revision} without a ReplicaSet: ${JSON.stringify(view)}`);
}

/** The ready endpoints of a Service, as its EndpointSlices list them, counted by the revision label of the pod behind each. */
export async function serviceEndpointsByRevision(cluster: KubernetesCluster, namespace: string, service: string): Promise<Record<string, number>> {
  // Imported here: the whole client package costs every cluster test file a second or two to load.
  const { DiscoveryV1Api } = await import("@kubernetes/client-node");
  const slices = await cluster.config.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace, labelSelector: `kubernetes.io/service-name=${service}` });
  const counts: Record<string, number> = {};
  for (const endpoint of slices.items.flatMap((s) => s.endpoints ?? [])) {
    if (endpoint.conditions?.ready === false || endpoint.targetRef?.name === undefined) continue;
    const pod = await cluster.core.readNamespacedPod({ name: endpoint.targetRef.name, namespace });
    const revision = pod.metadata?.labels?.["org.slipway.revision"] ?? "?";
    counts[revision] = (counts[revision] ?? 0) + 1;
  }
  return counts;
}

/** GETs on new connections to a ClusterIP from the host (the test cluster runs on it): kube-proxy picks an endpoint per connection. Answers by body. */
export async function sampleClusterIp(ip: string, port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.get({ host: ip, port, path: "/", agent: false, timeout: 5000 }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve(res.statusCode === 200 ? text : `HTTP ${res.statusCode}`));
      });
      req.on("timeout", () => req.destroy(new Error("timeout")));
      req.on("error", reject);
    });
    counts[body] = (counts[body] ?? 0) + 1;
  }
  return counts;
}
