// Benchmark: Slipway on the Kubernetes test cluster against its own Docker
// runtime and against kubectl, in one run. Not a test: it prints a markdown
// table for docs/benchmarks.md.
//
//   npx tsc -p . && node dist/bench/kubernetes.js [--rounds 3] [--keep]
//
// One scratch system, one service (a tiny Python HTTP server, 2 replicas,
// readiness every 1 s), two environments: `docker` (Docker + HAProxy,
// endpoint 127.0.0.1:19310) and `k8s` (the test cluster, Gateway listener
// 127.0.0.1:23087 through Traefik). Measured:
//
//   abort → 100% stable: a canary v1 → v2 paused at 50%; under a keep-alive
//     load of 200 requests/s through the endpoint, `slipway rollout abort`;
//     from spawning the command to the last answer from v2 (after it, every
//     answer is v1), and the command's exit. Docker/HAProxy vs the gateway.
//   rolling update: `slipway deploy` v1 → v2 (rolling, maxSurge 1,
//     maxUnavailable 0) on the cluster, vs `kubectl set image` + `kubectl
//     rollout status` on a Deployment of the same image, replicas, probe,
//     grace period and resources in a namespace of its own.
//
// Needs Docker with python:3.11-slim-bookworm, HAProxy and the registry
// (scripts/setup-host.sh), the test cluster (scripts/test-cluster.sh up), and
// loopback ports 19190, 19191, 19299, 19310 and 23087 free. Everything it
// creates — the temp dir, the platform, containers, images, both namespaces —
// is removed at the end, also when it fails or is interrupted.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { startAnswerLoad } from "./lib/answer-load.js";
import { cleanUpOnInterrupt, dockerPreflight, machine, repoRoot, resultsHeading, runMain, slipwayAt } from "./lib/harness.js";
import { BenchError, log, runner } from "./lib/processes.js";
import { millis, MINUTE, SECOND, summarize } from "./lib/stats.js";
import { buildVersions, PYTHON_BASE, roundsAndKeep } from "./lib/versioned-python.js";

const DEV = 19190;
const PROD = 19191;
const DOCKER_ENDPOINT = 19310;
const K8S_ENDPOINT = 23087;
const SYSTEM = "bench-k8s";
const NAMESPACE = "bench-k8s-k8s";
const KUBECTL_NAMESPACE = "bench-k8s-kubectl";
const RPS = 200;
const USAGE = "usage: node dist/bench/kubernetes.js [--rounds 3] [--keep]";

const CANARY = "{ canary: { steps: [{ setWeight: 50 }, { pause: {} }], scaleDownDelaySeconds: 0 } }";
const ROLLING = "{ rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }";

/** The cluster's settings, as `scripts/test-cluster.sh env` prints them. */
function clusterEnv(): Record<string, string> {
  const text = execFileSync("bash", [join(repoRoot, "scripts", "test-cluster.sh"), "env"], { encoding: "utf8", timeout: 30 * SECOND });
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export (\w+)=(.*)$/gm)) env[m[1] as string] = (m[2] as string).replace(/^'(.*)'$/, "$1");
  if (env["KUBECONFIG"] === undefined || env["SLIPWAY_K8S_KUBECTL"] === undefined) throw new BenchError("scripts/test-cluster.sh env printed no KUBECONFIG or kubectl");
  return env;
}

/** The kubectl side: a Deployment with the pod template slipway gives the service (probe, grace, preStop, resources). */
function deploymentYaml(image: string): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: hello, namespace: ${KUBECTL_NAMESPACE} }
spec:
  replicas: 2
  selector: { matchLabels: { app: hello } }
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
  template:
    metadata: { labels: { app: hello } }
    spec:
      terminationGracePeriodSeconds: 5
      containers:
        - name: hello
          image: ${image}
          imagePullPolicy: IfNotPresent
          env: [{ name: PORT, value: "8080" }]
          ports: [{ name: http, containerPort: 8080 }]
          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1, failureThreshold: 3 }
          lifecycle: { preStop: { sleep: { seconds: 2 } } }
          resources: { limits: { cpu: 200m, memory: 64Mi }, requests: { cpu: 20m, memory: 64Mi } }
`;
}

interface AbortTiming {
  allStableMs: number;
  commandMs: number;
  failed: number;
}

async function main(): Promise<void> {
  const options = roundsAndKeep(process.argv.slice(2), USAGE);
  const cluster = clusterEnv();
  const { run, mustRun } = runner({ NO_COLOR: "1", KUBECONFIG: cluster["KUBECONFIG"] as string });
  const kubectl = (args: string[], timeoutMs = 3 * MINUTE) => mustRun(cluster["SLIPWAY_K8S_KUBECTL"] as string, args, { timeoutMs });
  const root = mkdtempSync(join(tmpdir(), "slipway-bench-k8s-"));
  const cli = (args: string[], timeoutMs = 3 * MINUTE) => mustRun(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, ...args], { timeoutMs });
  const images: string[] = [];
  const cleanup = cleanUpOnInterrupt(async () => {
    if (options.keep) return log(`kept ${root}`);
    await run(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, "down"], { timeoutMs: MINUTE }).catch(() => undefined);
    const ids = (await run("docker", ["ps", "-aq", "--filter", `label=org.slipway.system=${SYSTEM}`], { timeoutMs: 20 * SECOND })).stdout.split("\n").filter(Boolean);
    if (ids.length > 0) await run("docker", ["rm", "-f", ...ids], { timeoutMs: MINUTE });
    if (images.length > 0) await run("docker", ["rmi", "-f", ...images], { timeoutMs: MINUTE });
    await run(cluster["SLIPWAY_K8S_KUBECTL"] as string, ["delete", "namespace", NAMESPACE, KUBECTL_NAMESPACE, "--ignore-not-found", "--wait=false"], { timeoutMs: MINUTE });
    rmSync(root, { recursive: true, force: true });
  });
  try {
    const docker = await dockerPreflight(run, PYTHON_BASE, "base image");
    const at = await slipwayAt(run);
    const loadBefore = loadavg()[0]?.toFixed(2);
    mkdirSync(join(root, "services", "hello"), { recursive: true });
    writeFileSync(
      join(root, "slipway.yaml"),
      `system: ${SYSTEM}
registries:
  dev: { url: 127.0.0.1:${DEV} }
  prod: { url: 127.0.0.1:${PROD} }
environments:
  - { name: docker, registry: dev, portOffset: 19200, routerPort: 19299 }
  - name: k8s
    registry: dev
    runtime: kubernetes
    endpointPorts: { hello: ${K8S_ENDPOINT} }
    kubernetes:
      kubeconfig: ${cluster["KUBECONFIG"] ?? ""}
      cpuRequestPercent: 10
      gateway: { className: ${cluster["SLIPWAY_K8S_GATEWAY_CLASS"] ?? "traefik"}, listenerPorts: "${cluster["SLIPWAY_K8S_GATEWAY_PORTS"] ?? "23080-23089"}" }
services: [services/*]
`,
    );
    const writeService = (strategy: string): void =>
      writeFileSync(
        join(root, "services", "hello", "slipway.service.yaml"),
        `name: hello\nowners: [bench]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nendpoint: { port: ${DOCKER_ENDPOINT - 19200} }\nreadiness: { http: { path: /healthz }, periodSeconds: 1, failureThreshold: 3 }\nreplicas: 2\nterminationGracePeriodSeconds: 5\nresources: { cpus: 0.2, memory: 64Mi }\nstrategy: ${strategy}\n`,
      );
    writeFileSync(join(root, "services", "hello", "Dockerfile"), "FROM scratch\n");
    writeService(CANARY);
    await cli(["up"]);
    const digests = await buildVersions(mustRun, root, `127.0.0.1:${DEV}/${SYSTEM}/hello`, ["v1", "v2"], images);
    const image = (version: string): string => `127.0.0.1:${DEV}/${SYSTEM}/hello@${digests[version] ?? ""}`;
    const deploy = (env: string, version: string) => cli(["deploy", "hello", "--env", env, "--digest", digests[version] as string]);

    // ---------------------------------------------------------- abort → stable
    const abortOnce = async (env: string, port: number): Promise<AbortTiming> => {
      await deploy(env, "v2"); // returns at the canary's manual pause, 50% on v2
      const load = startAnswerLoad(port, RPS);
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = performance.now();
      const result = await cli(["rollout", "abort", "hello", "--env", env]);
      await new Promise((r) => setTimeout(r, 3000));
      const answers = (await load.stop()).filter((a) => a.atMs >= t0 - 1000).sort((a, b) => a.atMs - b.atMs);
      if (!answers.some((a) => a.body === "v2" && a.atMs < t0)) throw new BenchError(`no answer from v2 before the abort on ${env}: was the canary at 50%?`);
      const lastNew = [...answers].reverse().find((a) => a.body === "v2");
      return { allStableMs: (lastNew?.atMs ?? t0) - t0, commandMs: result.ms, failed: answers.filter((a) => !a.ok).length };
    };
    const aborts: Record<string, AbortTiming[]> = { docker: [], k8s: [] };
    for (const [env, port] of [["docker", DOCKER_ENDPOINT], ["k8s", K8S_ENDPOINT]] as const) {
      writeService(CANARY);
      await deploy(env, "v1");
      for (let round = 1; round <= options.rounds; round++) {
        aborts[env]?.push(await abortOnce(env, port));
        log(`abort on ${env}, round ${round}: all answers from v1 after ${millis(aborts[env]?.at(-1)?.allStableMs ?? NaN)} ms`);
      }
    }

    // ---------------------------------------------------------- rolling update
    writeService(ROLLING);
    await kubectl(["create", "namespace", KUBECTL_NAMESPACE]);
    writeFileSync(join(root, "deployment.yaml"), deploymentYaml(image("v1")));
    await kubectl(["apply", "-f", join(root, "deployment.yaml")]);
    await kubectl(["-n", KUBECTL_NAMESPACE, "rollout", "status", "deployment/hello", "--timeout=180s"]);
    const slipwayRolls: number[] = [];
    const kubectlRolls: number[] = [];
    let current = "v1"; // k8s runs v1 after the aborts
    for (let round = 1; round <= options.rounds; round++) {
      for (const next of current === "v1" ? ["v2", "v1"] : ["v1", "v2"]) {
        const t0 = performance.now();
        await deploy("k8s", next);
        slipwayRolls.push(performance.now() - t0);
        const t1 = performance.now();
        await kubectl(["-n", KUBECTL_NAMESPACE, "set", "image", "deployment/hello", `hello=${image(next)}`]);
        await kubectl(["-n", KUBECTL_NAMESPACE, "rollout", "status", "deployment/hello", "--timeout=180s"]);
        kubectlRolls.push(performance.now() - t1);
        current = next;
        log(`rolling update to ${next}, round ${round}: slipway ${millis(slipwayRolls.at(-1) ?? NaN)} ms, kubectl ${millis(kubectlRolls.at(-1) ?? NaN)} ms`);
      }
    }

    const cell = (samples: number[]): string => {
      const s = summarize(samples);
      return `${millis(s.median)} (${millis(s.min)}–${millis(s.max)})`;
    };
    const med = (samples: number[]): number => summarize(samples).median;
    const dockerAborts = aborts["docker"] ?? [];
    const k8sAborts = aborts["k8s"] ?? [];
    console.log(resultsHeading());
    console.log("");
    console.log(`Machine: ${machine()}, Docker ${docker}, ${at}; 1-minute load average before: ${loadBefore}, after: ${loadavg()[0]?.toFixed(2)}.`);
    console.log("");
    console.log(`\`slipway rollout abort\` of a canary v1 → v2 paused at 50% (2 replicas each), ${options.rounds} rounds per runtime, keep-alive load of ${RPS} requests/s through the endpoint; milliseconds from spawning the command, median (min–max):`);
    console.log("");
    console.log("| abort → 100% stable | all answers from v1 (last v2 answer) | command exited | failed requests |");
    console.log("|---|---:|---:|---:|");
    console.log(`| Docker, HAProxy | ${cell(dockerAborts.map((t) => t.allStableMs))} | ${cell(dockerAborts.map((t) => t.commandMs))} | ${dockerAborts.reduce((n, t) => n + t.failed, 0)} |`);
    console.log(`| Kubernetes, Gateway API (Traefik) | ${cell(k8sAborts.map((t) => t.allStableMs))} | ${cell(k8sAborts.map((t) => t.commandMs))} | ${k8sAborts.reduce((n, t) => n + t.failed, 0)} |`);
    console.log("");
    console.log(`Gateway / HAProxy, to all answers from v1: ${(med(k8sAborts.map((t) => t.allStableMs)) / med(dockerAborts.map((t) => t.allStableMs))).toFixed(1)}×.`);
    console.log("");
    console.log(`Rolling update of 2 replicas (maxSurge 1, maxUnavailable 0) on the test cluster, ${slipwayRolls.length} updates each, alternating v1 ↔ v2; milliseconds, median (min–max):`);
    console.log("");
    console.log("| rolling update | time |");
    console.log("|---|---:|");
    console.log(`| \`slipway deploy\` (ReplicaSets, Gateway route confirmed, old pods removed) | ${cell(slipwayRolls)} |`);
    console.log(`| \`kubectl set image\` + \`kubectl rollout status\` (Deployment) | ${cell(kubectlRolls)} |`);
    console.log("");
    console.log(`Slipway / kubectl: ${(med(slipwayRolls) / med(kubectlRolls)).toFixed(2)}×.`);
    console.log("");
    console.log(`Raw (ms): aborts docker ${dockerAborts.map((t) => millis(t.allStableMs)).join(" ")}; k8s ${k8sAborts.map((t) => millis(t.allStableMs)).join(" ")}; rolling slipway ${slipwayRolls.map(millis).join(" ")}; kubectl ${kubectlRolls.map(millis).join(" ")}.`);
  } finally {
    await cleanup();
  }
}

runMain(main);
