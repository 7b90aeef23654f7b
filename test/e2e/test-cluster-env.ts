// The test cluster's settings for e2e tests on Kubernetes: what
// `scripts/test-cluster.sh env` prints (or what is already exported as it
// prints them), or why there is none — a reason the tests skip with.
import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { DockerEngine } from "../../src/docker/engine.js";
import type { KubernetesCluster } from "../../src/kubernetes/cluster.js";
import { repoRoot } from "./helpers.js";
import { stopAllLoads } from "./keepalive-load.js";
import { systemYaml } from "./python-service.js";

export function testClusterEnv(): Record<string, string> | string {
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
 * slipway.yaml of a scratch system with one environment `k8s` on the test
 * cluster (Traefik's GatewayClass, its Prometheus); `kubernetes` adds fields
 * to the environment's kubernetes block (flow YAML, e.g. `namespace: x`).
 */
export function kubernetesSystemYaml(system: string, registries: { dev: number; prod: number }, portOffset: number, cluster: Readonly<Record<string, string>>, kubernetes: readonly string[] = []): string {
  const settings = [
    `kubeconfig: ${cluster["KUBECONFIG"]}`,
    `gateway: { className: ${cluster["SLIPWAY_K8S_GATEWAY_CLASS"] ?? "traefik"} }`,
    `prometheus: { address: ${cluster["SLIPWAY_K8S_PROMETHEUS_URL"] ?? "http://127.0.0.1:23090"} }`,
    ...kubernetes,
  ];
  return systemYaml(system, registries, [`{ name: k8s, registry: dev, runtime: kubernetes, portOffset: ${portOffset}, kubernetes: { ${settings.join(", ")} } }`]);
}

/** Deletes the namespace (left by an earlier run that failed half-way) and waits until it is gone. */
export async function removeNamespace(cluster: KubernetesCluster, namespace: string): Promise<void> {
  const header = { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace } };
  await cluster.remove(header);
  for (let i = 0; i < 120 && (await cluster.read(header)) !== undefined; i++) await sleep(500);
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
