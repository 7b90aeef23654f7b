// Benchmark: Slipway on the Kubernetes test cluster against its own Docker
// runtime and against kubectl, in one run. Not a test: it prints a markdown
// table for docs/benchmarks.md.
//
//   npx tsc -p . && node dist/bench/kubernetes.js [--rounds 3] [--keep] [--only abort|rolling]
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
//     grace period and resources in a namespace of its own. The Kubernetes
//     API calls each side's client makes are counted: slipway's from Node's
//     HTTP diagnostics channels (lib/api-call-log.ts, preloaded), kubectl's
//     from its -v=6 request log. The controller-manager's own calls (the
//     ReplicaSet controller for both, the Deployment controller for kubectl)
//     are not counted on either side. Then the same updates again with a
//     resident controller: `slipway serve` drives the environment and
//     `slipway deploy --server` records each update there and follows it,
//     as kubectl hands its change to the Deployment controller.
//
// Needs Docker with python:3.11-slim-bookworm, HAProxy and the registry
// (scripts/setup-host.sh), the test cluster (scripts/test-cluster.sh up), and
// loopback ports 19190, 19191, 19192, 19299, 19310 and 23087 free. Everything it
// creates — the temp dir, the platform, containers, images, both namespaces —
// is removed at the end, also when it fails or is interrupted.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import type { ApiCall } from "./lib/api-call-log.js";
import { startAnswerLoad } from "./lib/answer-load.js";
import { dockerPreflight, machine, repoRoot, resultsHeading, runMain, slipwayAt } from "./lib/harness.js";
import { BenchError, log, runner } from "./lib/processes.js";
import { scratchSystem } from "./lib/scratch-system.js";
import { millis, MINUTE, SECOND, summarize } from "./lib/stats.js";
import { buildVersions, PYTHON_BASE, roundsAndKeep } from "./lib/versioned-python.js";
import { addUser, startServe, type ServeProcess } from "../test/e2e/serve-process.js";

const DEV = 19190;
const PROD = 19191;
const DOCKER_ENDPOINT = 19310;
const K8S_ENDPOINT = 23087;
const SYSTEM = "bench-k8s";
const NAMESPACE = "bench-k8s-k8s";
const KUBECTL_NAMESPACE = "bench-k8s-kubectl";
const RPS = 200;
/** `slipway serve`'s port, for the resident controller's row. */
const SERVE = 19192;
const USAGE = "usage: node dist/bench/kubernetes.js [--rounds 3] [--keep] [--only abort|rolling]";

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

/** `--only abort|rolling` taken out of the arguments; the rest are --rounds and --keep. */
function onlyOption(argv: readonly string[]): { only: "abort" | "rolling" | undefined; rest: string[] } {
  const at = argv.indexOf("--only");
  if (at < 0) return { only: undefined, rest: [...argv] };
  const value = argv[at + 1];
  if (value !== "abort" && value !== "rolling") throw new BenchError(`--only takes abort or rolling, got "${value ?? ""}"\n${USAGE}`);
  return { only: value, rest: [...argv.slice(0, at), ...argv.slice(at + 2)] };
}

/** The API server's requests in an api-call-log file (lib/api-call-log.ts), by "VERB resource". */
function slipwayApiCalls(file: string, apiHost: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ApiCall)
    .filter((c) => c.host === apiHost)
    .map((c) => callName(c.method, c.path));
}

/** kubectl -v=6's request log, by "VERB resource". */
function kubectlApiCalls(stderr: string): string[] {
  return [...stderr.matchAll(/"Response" verb="(\w+)" url="https?:\/\/[^/"]+([^"]*)"/g)].map((m) => callName(m[1] as string, m[2] as string));
}

/** "GET pods (watch)", "PATCH replicasets", "GET discovery": the verb and the collection, names and namespaces left out. */
function callName(method: string, path: string): string {
  const [route = "", query = ""] = path.split("?");
  const parts = route.split("/").filter(Boolean);
  // /api/v1 or /apis/<group>/<version>: which resources the group has (the client's discovery).
  const groupLength = parts[0] === "api" ? 2 : 3;
  const at = parts.indexOf("namespaces");
  const rest = at >= 0 && parts.length > at + 2 ? parts.slice(at + 2) : parts.slice(groupLength);
  const resource = rest.filter((_, i) => i % 2 === 0).join("/") || "discovery";
  return `${method} ${resource}${/(^|&)watch=(true|1)/.test(query) ? " (watch)" : ""}`;
}

/** "24: 9 PATCH replicasets, 6 GET pods (watch), …" for the calls of all rounds, per round. */
function describeCalls(perRound: string[][]): string {
  const counts = new Map<string, number>();
  for (const calls of perRound) for (const c of calls) counts.set(c, (counts.get(c) ?? 0) + 1);
  const rounds = Math.max(1, perRound.length);
  const parts = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([call, n]) => `${(n / rounds).toFixed(n % rounds === 0 ? 0 : 1)} ${call}`);
  return `${summarize(perRound.map((c) => c.length)).median} (${parts.join(", ")})`;
}

async function main(): Promise<void> {
  const { only, rest } = onlyOption(process.argv.slice(2));
  const options = roundsAndKeep(rest, USAGE);
  const cluster = clusterEnv();
  const apiHost = new URL(cluster["SLIPWAY_K8S_API"] ?? "https://127.0.0.1:23443").host;
  const { run, mustRun } = runner({ NO_COLOR: "1", KUBECONFIG: cluster["KUBECONFIG"] as string });
  const kubectl = (args: string[], timeoutMs = 3 * MINUTE) => mustRun(cluster["SLIPWAY_K8S_KUBECTL"] as string, args, { timeoutMs });
  // The resident controller's row runs a `slipway serve`; it stops first, also when the bench fails (--keep or not).
  let serve: ServeProcess | undefined;
  const { root, images, cli, cleanup: removeSystem } = scratchSystem({ run, mustRun }, {
    system: SYSTEM,
    prefix: "slipway-bench-k8s-",
    keep: options.keep,
    cliTimeoutMs: 3 * MINUTE,
    alsoRemove: () => run(cluster["SLIPWAY_K8S_KUBECTL"] as string, ["delete", "namespace", NAMESPACE, KUBECTL_NAMESPACE, "--ignore-not-found", "--wait=false"], { timeoutMs: MINUTE }),
  });
  const cleanup = async (): Promise<void> => {
    await serve?.stop();
    await removeSystem();
  };
  // The same, with every HTTP request the command makes logged to apiLog.
  const apiCallLog = pathToFileURL(join(repoRoot, "dist", "bench", "lib", "api-call-log.js")).href;
  const loggedCli = (args: string[], apiLog: string) =>
    mustRun(process.execPath, ["--import", apiCallLog, join(repoRoot, "bin", "slipway.js"), "--config", root, ...args], { timeoutMs: 3 * MINUTE, env: { SLIPWAY_BENCH_API_LOG: apiLog } });
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
    for (const [env, port] of only === "rolling" ? [] : ([["docker", DOCKER_ENDPOINT], ["k8s", K8S_ENDPOINT]] as const)) {
      writeService(CANARY);
      await deploy(env, "v1");
      for (let round = 1; round <= options.rounds; round++) {
        aborts[env]?.push(await abortOnce(env, port));
        log(`abort on ${env}, round ${round}: all answers from v1 after ${millis(aborts[env]?.at(-1)?.allStableMs ?? NaN)} ms`);
      }
    }

    // ---------------------------------------------------------- rolling update
    const slipwayRolls: number[] = [];
    const kubectlRolls: number[] = [];
    const slipwayCalls: string[][] = [];
    const kubectlCalls: string[][] = [];
    const residentRolls: number[] = [];
    const residentKubectlRolls: number[] = [];
    if (only !== "abort") {
      writeService(ROLLING);
      await kubectl(["create", "namespace", KUBECTL_NAMESPACE]);
      writeFileSync(join(root, "deployment.yaml"), deploymentYaml(image("v1")));
      await kubectl(["apply", "-f", join(root, "deployment.yaml")]);
      await kubectl(["-n", KUBECTL_NAMESPACE, "rollout", "status", "deployment/hello", "--timeout=180s"]);
      if (only === "rolling") await deploy("k8s", "v1");
      let current = "v1"; // k8s runs v1 after the aborts
      for (let round = 1; round <= options.rounds; round++) {
        for (const next of current === "v1" ? ["v2", "v1"] : ["v1", "v2"]) {
          const apiLog = join(root, `api-calls-${slipwayRolls.length + 1}.jsonl`);
          const t0 = performance.now();
          await loggedCli(["deploy", "hello", "--env", "k8s", "--digest", digests[next] as string], apiLog);
          slipwayRolls.push(performance.now() - t0);
          slipwayCalls.push(slipwayApiCalls(apiLog, apiHost));
          const t1 = performance.now();
          const set = await kubectl(["-v=6", "-n", KUBECTL_NAMESPACE, "set", "image", "deployment/hello", `hello=${image(next)}`]);
          const status = await kubectl(["-v=6", "-n", KUBECTL_NAMESPACE, "rollout", "status", "deployment/hello", "--timeout=180s"]);
          kubectlRolls.push(performance.now() - t1);
          kubectlCalls.push(kubectlApiCalls(set.stderr + status.stderr));
          current = next;
          log(`rolling update to ${next}, round ${round}: slipway ${millis(slipwayRolls.at(-1) ?? NaN)} ms (${slipwayCalls.at(-1)?.length} API calls), kubectl ${millis(kubectlRolls.at(-1) ?? NaN)} ms (${kubectlCalls.at(-1)?.length})`);
        }
      }
      // The same updates with a resident controller: `slipway serve` drives the environment, `slipway deploy
      // --server` records each update there and follows it (as kubectl hands the Deployment controller its change).
      await addUser(root, "bench", "deployer");
      const token = (await cli(["token", "create", "--user", "bench", "--role", "deployer"])).stdout.trim();
      serve = await startServe(root, SERVE);
      const remoteCli = (args: string[]) => mustRun(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, "--server", serve?.base ?? "", ...args], { timeoutMs: 3 * MINUTE, env: { SLIPWAY_TOKEN: token } });
      for (let round = 1; round <= options.rounds; round++) {
        for (const next of current === "v1" ? ["v2", "v1"] : ["v1", "v2"]) {
          const t0 = performance.now();
          await remoteCli(["deploy", "hello", "--env", "k8s", "--digest", digests[next] as string]);
          residentRolls.push(performance.now() - t0);
          const t1 = performance.now();
          await kubectl(["-n", KUBECTL_NAMESPACE, "set", "image", "deployment/hello", `hello=${image(next)}`]);
          await kubectl(["-n", KUBECTL_NAMESPACE, "rollout", "status", "deployment/hello", "--timeout=180s"]);
          residentKubectlRolls.push(performance.now() - t1);
          current = next;
          log(`rolling update to ${next}, round ${round}, resident controller: slipway ${millis(residentRolls.at(-1) ?? NaN)} ms, kubectl ${millis(residentKubectlRolls.at(-1) ?? NaN)} ms`);
        }
      }
      await serve.stop();
      serve = undefined;
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
    if (only !== "rolling") {
      console.log(`\`slipway rollout abort\` of a canary v1 → v2 paused at 50% (2 replicas each), ${options.rounds} rounds per runtime, keep-alive load of ${RPS} requests/s through the endpoint; milliseconds from spawning the command, median (min–max):`);
      console.log("");
      console.log("| abort → 100% stable | all answers from v1 (last v2 answer) | command exited | failed requests |");
      console.log("|---|---:|---:|---:|");
      console.log(`| Docker, HAProxy | ${cell(dockerAborts.map((t) => t.allStableMs))} | ${cell(dockerAborts.map((t) => t.commandMs))} | ${dockerAborts.reduce((n, t) => n + t.failed, 0)} |`);
      console.log(`| Kubernetes, Gateway API (Traefik) | ${cell(k8sAborts.map((t) => t.allStableMs))} | ${cell(k8sAborts.map((t) => t.commandMs))} | ${k8sAborts.reduce((n, t) => n + t.failed, 0)} |`);
      console.log("");
      console.log(`Gateway / HAProxy, to all answers from v1: ${(med(k8sAborts.map((t) => t.allStableMs)) / med(dockerAborts.map((t) => t.allStableMs))).toFixed(1)}×.`);
      console.log("");
      console.log(`Raw (ms): aborts docker ${dockerAborts.map((t) => millis(t.allStableMs)).join(" ")}; k8s ${k8sAborts.map((t) => millis(t.allStableMs)).join(" ")}.`);
      console.log("");
    }
    if (only !== "abort") {
      console.log(`Rolling update of 2 replicas (maxSurge 1, maxUnavailable 0) on the test cluster, ${slipwayRolls.length} updates each, alternating v1 ↔ v2; milliseconds, median (min–max); Kubernetes API calls made by the command(s), median per update (by kind, mean per update):`);
      console.log("");
      console.log("| rolling update | time | API calls |");
      console.log("|---|---:|---|");
      console.log(`| \`slipway deploy\` (ReplicaSets, Gateway route confirmed, old pods removed) | ${cell(slipwayRolls)} | ${describeCalls(slipwayCalls)} |`);
      console.log(`| \`kubectl set image\` + \`kubectl rollout status\` (Deployment) | ${cell(kubectlRolls)} | ${describeCalls(kubectlCalls)} |`);
      console.log("");
      console.log(`Slipway / kubectl: ${(med(slipwayRolls) / med(kubectlRolls)).toFixed(2)}×.`);
      console.log("");
      console.log(`With a resident controller (\`slipway serve\` drives the environment; \`slipway deploy --server\` records the update and follows it), the same updates again, each beside a kubectl update of its own:`);
      console.log("");
      console.log("| rolling update, resident controller | time |");
      console.log("|---|---:|");
      console.log(`| \`slipway deploy --server\` (serve's controller: ReplicaSets, Gateway route confirmed, old pods removed) | ${cell(residentRolls)} |`);
      console.log(`| \`kubectl set image\` + \`kubectl rollout status\` (Deployment) | ${cell(residentKubectlRolls)} |`);
      console.log("");
      console.log(`Slipway (resident) / kubectl: ${(med(residentRolls) / med(residentKubectlRolls)).toFixed(2)}×.`);
      console.log("");
      console.log(`Raw (ms): rolling slipway ${slipwayRolls.map(millis).join(" ")}; kubectl ${kubectlRolls.map(millis).join(" ")}; resident slipway ${residentRolls.map(millis).join(" ")}; kubectl ${residentKubectlRolls.map(millis).join(" ")}.`);
    }
  } finally {
    await cleanup();
  }
}

runMain(main);
