// Benchmark: the delivery router, measured by the traffic itself. In one run:
//
//   1. abort / rollback: a canary at 50% (and at 100%, the worst case) under
//      constant keep-alive load; the router is called as the controller
//      calls it on abort, `setRevisionWeights(service, { stable: 100 })`, and
//      the time from the call's start to the last response the canary served
//      is taken from the responses' own timestamps;
//   2. blue-green switch: `setRevisionWeights(service, { green: 100 })` (then
//      green's role preview → stable, as the controller's route step does);
//      the time until every response comes from green;
//   3. the router's overhead: wrk against a backend directly, through the
//      slipway HAProxy router's service endpoint, and through a plain Node.js
//      proxy (http-proxy with a keep-alive agent), and through a minimal
//      hand-written HAProxy (the ceiling of any HAProxy hop here); for two backends, and for
//      the router twice: with its server added at run time (a slot claimed, as
//      on every rollout) and after a reload (the same server from haproxy.cfg).
//
// Not a test: it prints a markdown table for docs/benchmarks.md.
//
//   npx tsc -p . && node dist/bench/router.js [--aborts 10] [--rps 2000] [--wrk-seconds 5] [--wrk-rounds 2] [--keep]
//
// Needs Debian's haproxy (2.6) and wrk, ports 16201-16299 free on 127.0.0.1;
// traffic goes to 127.0.0.1 only. The backends are a second HAProxy process
// answering every request itself (`http-request return`) with its revision's
// name, so the backend costs next to nothing and is not Node; the overhead is
// also measured against a Node `http` backend in its own process. Everything
// the bench starts — both HAProxy processes, the Node backend and proxies, the
// temp dir — is stopped and removed at the end, also on failure or Ctrl-C.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import httpProxy from "http-proxy";
import { routerThreads } from "../src/router/haproxy/haproxy-config.js";
import { haproxyBinary } from "../src/router/haproxy/haproxy-daemon.js";
import { backendProxy } from "../src/router/haproxy/proxy-names.js";
import { HaproxyRouter } from "../src/router/haproxy/haproxy-router.js";
import { HaproxySocketClient } from "../src/router/haproxy/runtime-api.js";
import type { BackendRole } from "../src/router/types.js";
import { answeringHaproxyConfig } from "./lib/answering-haproxy.js";
import { cleanUpOnInterrupt, machine, resultsHeading, runMain, slipwayAt, wholeNumber } from "./lib/harness.js";
import { BenchError, log, runner, tail } from "./lib/processes.js";
import { millis, SECOND, summarize, type Summary } from "./lib/stats.js";

// Loopback ports 16201-16299.
const CONTROL = 16201;
const ROLL_PORT = 16202;
const BG_PORT = 16203;
const BG_PREVIEW = 16204;
const PLAIN_PORT = 16205;
const PLAIN_NODE_PORT = 16206;
const RELOAD_PORT = 16207;
const NODE_PROXY_PORT = 16220;
const NODE_PROXY_TO_NODE_PORT = 16221;
const NODE_BACKEND_PORT = 16216;
/** Minimal HAProxy proxies (one frontend → one backend → one server each): the ceiling of any HAProxy hop. */
const MINIMAL_PORTS = { sameThreads: { haproxy: 16230, node: 16231 }, defaultThreads: { haproxy: 16232, node: 16233 } } as const;
const BACKENDS = { stable: 16211, canary: 16212, blue: 16213, green: 16214, direct: 16215 } as const;
type Revision = keyof typeof BACKENDS;

interface Options {
  aborts: number;
  rps: number;
  wrkSeconds: number;
  wrkRounds: number;
  keep: boolean;
}

const USAGE = "usage: node dist/bench/router.js [--aborts 10] [--rps 2000] [--wrk-seconds 5] [--wrk-rounds 2] [--keep]";

function parseArgs(argv: string[]): Options {
  const options: Options = { aborts: 10, rps: 2000, wrkSeconds: 5, wrkRounds: 2, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--aborts") options.aborts = wholeNumber(arg, argv[++i], 1, 50);
    else if (arg === "--rps") options.rps = wholeNumber(arg, argv[++i], 100, 10_000);
    else if (arg === "--wrk-seconds") options.wrkSeconds = wholeNumber(arg, argv[++i], 1, 10);
    else if (arg === "--wrk-rounds") options.wrkRounds = wholeNumber(arg, argv[++i], 1, 5);
    else if (arg === "--keep") options.keep = true;
    else throw new BenchError(`unknown argument "${arg}"; ${USAGE}`);
  }
  return options;
}

const { run, mustRun } = runner({ NO_COLOR: "1" });

// ------------------------------------------------------------ backends

/** A second HAProxy that answers every request itself with the revision's name: one frontend per revision. */
function backendConfig(): string {
  return answeringHaproxyConfig(Object.fromEntries(Object.entries(BACKENDS).map(([revision, port]) => [revision, { port, body: revision === "direct" ? "stable" : revision }])));
}

function startBackends(binary: string, configFile: string, config = backendConfig()): ChildProcess {
  writeFileSync(configFile, config);
  const child = spawn(binary, ["-db", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"], detached: true });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.on("exit", (code, signal) => {
    if (code !== 0 && signal !== "SIGTERM") log(`backend haproxy exited with ${code ?? signal}: ${tail(stderr, 5)}`);
  });
  return child;
}

/**
 * A hand-written minimal HAProxy in front of both backends: per backend one
 * frontend, one backend, one server, keep-alive and `http-reuse safe` as in
 * the router, none of its rules, slots or request log. `threads` undefined:
 * HAProxy's default (one per CPU).
 */
function minimalConfig(ports: { haproxy: number; node: number }, threads: number | undefined): string {
  const pairs: [string, number, number][] = [
    ["haproxy", ports.haproxy, BACKENDS.direct],
    ["node", ports.node, NODE_BACKEND_PORT],
  ];
  return [
    "global",
    ...(threads === undefined ? [] : [`  nbthread ${threads}`]),
    "defaults",
    "  mode http",
    "  option http-keep-alive",
    "  http-reuse safe",
    "  timeout connect 2s",
    "  timeout client 30s",
    "  timeout server 30s",
    ...pairs.flatMap(([name, port, target]) => ["", `frontend fe.${name}`, `  bind 127.0.0.1:${port}`, `  default_backend be.${name}`, "", `backend be.${name}`, `  server s1 127.0.0.1:${target}`]),
    "",
  ].join("\n");
}

/** A Node backend in its own process (one core, as a Node service runs): answers "stable" to everything. */
function startNodeBackend(port: number): ChildProcess {
  const script = [
    `const http = require("node:http");`,
    `const server = http.createServer((req, res) => { req.resume(); res.writeHead(200, { "content-type": "text/plain" }).end("stable"); });`,
    `server.keepAliveTimeout = 60000;`,
    `server.listen(${port}, "127.0.0.1");`,
    `process.on("SIGTERM", () => process.exit(0));`,
  ].join("\n");
  return spawn(process.execPath, ["-e", script], { stdio: "ignore", detached: true });
}

/** A plain Node reverse proxy: http-proxy with a keep-alive agent, in this process (idle while wrk runs). */
function startNodeProxy(targetPort: number): http.Server {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const proxy = httpProxy.createProxyServer({ target: `http://127.0.0.1:${targetPort}`, agent });
  proxy.on("error", (_err, _req, res) => {
    if (res instanceof http.ServerResponse && !res.headersSent) res.writeHead(502).end("proxy error");
  });
  const server = http.createServer((req, res) => proxy.web(req, res));
  server.keepAliveTimeout = 60 * SECOND;
  server.on("close", () => agent.destroy());
  return server;
}

function stopProcessGroup(child: ChildProcess | undefined): void {
  if (child?.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // Already gone.
  }
}

// ------------------------------------------------------------ requests

interface Answer {
  status: number;
  body: string;
}

function get(port: number, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent, timeout: 5_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
  });
}

async function waitForAnswer(port: number, body: string, timeoutMs = 5_000): Promise<void> {
  const agent = new http.Agent({ keepAlive: false });
  const deadline = performance.now() + timeoutMs;
  try {
    for (;;) {
      const answer = await get(port, agent).catch(() => undefined);
      if (answer?.status === 200 && answer.body === body) return;
      if (performance.now() > deadline) throw new BenchError(`127.0.0.1:${port} did not answer "${body}" within ${timeoutMs} ms (last: ${answer === undefined ? "no answer" : `${answer.status} ${answer.body}`})`);
      await sleep(20);
    }
  } finally {
    agent.destroy();
  }
}

// ------------------------------------------------------------ load with timestamps

interface Sample {
  /** performance.now() when the request was sent and when its body had arrived. */
  sentAt: number;
  doneAt: number;
  /** The revision that answered, or "HTTP <status>" / "error: <message>". */
  answer: string;
}

interface Load {
  samples: Sample[];
  stop(): Promise<Sample[]>;
}

/**
 * Keep-alive GETs from `workers` connections, each sending its next request
 * when the one before has been answered and its slot in the schedule has
 * come: `rps` in all, stopped by stop() or after `maxMs` at the latest.
 */
function startLoad(port: number, rps: number, workers: number, maxMs: number): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const samples: Sample[] = [];
  const started = performance.now();
  const interval = (workers * SECOND) / rps;
  let stopping = false;
  const worker = async (w: number): Promise<void> => {
    for (let k = 0; !stopping && performance.now() - started < maxMs; k++) {
      const wait = started + (w * interval) / workers + k * interval - performance.now();
      if (wait >= 1) await sleep(wait);
      const sentAt = performance.now();
      const answer = await get(port, agent).then(
        (a) => (a.status === 200 ? a.body : `HTTP ${a.status}`),
        (err: Error) => `error: ${err.message}`,
      );
      samples.push({ sentAt, doneAt: performance.now(), answer });
    }
  };
  const running = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return {
    samples,
    stop: async () => {
      stopping = true;
      await running;
      agent.destroy();
      return samples;
    },
  };
}

// ------------------------------------------------------------ switch trials

interface Trial {
  /** How long the router call(s) took to resolve, ms from the call's start. */
  callMs: number;
  /** The last response from a revision other than `target` that arrived after the call's start, ms from it (0: none). */
  lastOldResponseMs: number;
  /** When the last request that an old revision answered was sent, ms from the call's start (negative: before it). */
  lastOldSentMs: number;
  /** Responses from old revisions that arrived after the call's start. */
  oldAfterStart: number;
  /** Requests sent after the call resolved that an old revision still answered (should be 0). */
  oldAfterCall: number;
  /** Share of the old revisions' answers in the 300 ms before the call. */
  oldShareBefore: number;
  requests: number;
  failures: string[];
  rps: number;
}

const BEFORE_MS = 400;
const AFTER_MS = 400;

/**
 * One switch under load: `prepare` sets the starting split (no load yet),
 * then load for BEFORE_MS, `change` (timed), load for AFTER_MS more.
 */
async function switchTrial(port: number, options: Options, target: string, prepare: () => Promise<void>, change: () => Promise<number | void>): Promise<Trial> {
  await prepare();
  const load = startLoad(port, options.rps, 8, BEFORE_MS + AFTER_MS + 3 * SECOND);
  await sleep(BEFORE_MS);
  const t0 = performance.now();
  const routedMs = await change();
  const callMs = typeof routedMs === "number" ? routedMs : performance.now() - t0;
  const t1 = t0 + callMs;
  await sleep(AFTER_MS);
  const samples = await load.stop();
  const failed = (s: Sample): boolean => s.answer.startsWith("HTTP ") || s.answer.startsWith("error: ");
  const failures = samples.filter(failed).map((s) => s.answer);
  const old = samples.filter((s) => !failed(s) && s.answer !== target);
  const oldAfter = old.filter((s) => s.doneAt > t0);
  const before = samples.filter((s) => s.doneAt > t0 - 300 && s.doneAt <= t0);
  const first = samples[0]?.sentAt ?? t0;
  const last = Math.max(...samples.map((s) => s.doneAt));
  return {
    callMs,
    lastOldResponseMs: oldAfter.length === 0 ? 0 : Math.max(...oldAfter.map((s) => s.doneAt)) - t0,
    lastOldSentMs: old.length === 0 ? NaN : Math.max(...old.map((s) => s.sentAt)) - t0,
    oldAfterStart: oldAfter.length,
    oldAfterCall: old.filter((s) => s.sentAt > t1).length,
    oldShareBefore: before.length === 0 ? NaN : before.filter((s) => s.answer !== target).length / before.length,
    requests: samples.length,
    failures,
    rps: samples.length / ((last - first) / SECOND),
  };
}

// ------------------------------------------------------------ wrk

interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  errors: string;
}

function durationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (m === null) return NaN;
  const value = Number(m[1]);
  return m[2] === "us" ? value / 1000 : m[2] === "ms" ? value : m[2] === "s" ? value * SECOND : value * 60 * SECOND;
}

interface WrkTarget {
  name: string;
  backend: "haproxy" | "node";
  via: "direct" | "router" | "node-proxy" | "minimal" | "minimal-default";
  port: number;
}

/** The router's counters for the plain service's one server: requests, and connections it opened to the backend. */
async function serverConnections(client: HaproxySocketClient, backend: WrkTarget["backend"]): Promise<{ requests: number; connects: number }> {
  const lines = (await client.send("show stat")).split("\n").filter((l) => l.trim() !== "");
  const columns = (lines[0] ?? "").replace(/^# /, "").split(",");
  // Servers are pre-declared slots (s1, s2, …); the service's one instance is the slot that served requests.
  const proxy = backendProxy(backend === "haproxy" ? "plain" : "plainnode", "weighted");
  const stot = columns.indexOf("stot");
  const row = lines
    .slice(1)
    .map((l) => l.split(","))
    .filter((cells) => cells[0] === proxy && /^s\d+$/.test(cells[1] ?? ""))
    .sort((a, b) => Number(b[stot] ?? 0) - Number(a[stot] ?? 0))[0];
  const cell = (name: string): number => Number(row?.[columns.indexOf(name)] ?? NaN);
  return { requests: cell("stot"), connects: cell("connect") };
}

async function wrk(port: number, seconds: number): Promise<WrkResult> {
  const out = await mustRun("wrk", ["-t2", "-c32", `-d${seconds}s`, "--latency", `http://127.0.0.1:${port}/`], { timeoutMs: (seconds + 20) * SECOND });
  const text = out.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1] ?? NaN);
  const percentile = (p: string): number => durationMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(text)?.[1] ?? "");
  const requests = Number(/(\d+) requests in/.exec(text)?.[1] ?? NaN);
  const errors = [/Socket errors:[^\n]*/.exec(text)?.[0], /Non-2xx or 3xx responses:[^\n]*/.exec(text)?.[0]].filter((e) => e !== undefined).join("; ");
  if (Number.isNaN(rps)) throw new BenchError(`could not read wrk's output:\n${tail(text)}`);
  return { rps, p50Ms: percentile("50"), p99Ms: percentile("99"), requests, errors };
}

// ------------------------------------------------------------ the benchmark

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const binary = haproxyBinary();
  if (binary === undefined) throw new BenchError("haproxy is not installed (apt-get install haproxy)");
  const haproxyVersion = (await mustRun(binary, ["-v"], { timeoutMs: 10 * SECOND })).stdout.split("\n")[0]?.replace(/ - https.*$/, "").trim() ?? "";
  const wrkVersion = (await run("wrk", ["--version"], { timeoutMs: 10 * SECOND }).catch(() => undefined))?.stdout.split("\n")[0]?.trim();
  if (wrkVersion === undefined || wrkVersion === "") throw new BenchError("wrk is not installed (apt-get install wrk)");

  const root = mkdtempSync(join(tmpdir(), "slipway-router-bench-"));
  log(`temp dir ${root}`);
  const router = new HaproxyRouter({ environment: "bench", stateDir: join(root, "state"), controlPort: CONTROL, drainTimeoutMs: 10 * SECOND });
  let backendProcess: ChildProcess | undefined;
  let nodeBackend: ChildProcess | undefined;
  const minimalProxies: ChildProcess[] = [];
  const nodeProxies: http.Server[] = [];
  const cleanup = async (): Promise<void> => {
    for (const server of nodeProxies) {
      server.closeAllConnections();
      server.close();
    }
    await router.close().catch(() => undefined);
    await router.stop().catch((err: unknown) => log(`stopping the router failed: ${String(err)}`));
    stopProcessGroup(backendProcess);
    stopProcessGroup(nodeBackend);
    for (const child of minimalProxies) stopProcessGroup(child);
    if (options.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
  const finish = cleanUpOnInterrupt(cleanup);

  try {
    // ---------------------------------------------------------- set-up
    backendProcess = startBackends(binary, join(root, "backends.cfg"));
    for (const [revision, port] of Object.entries(BACKENDS)) await waitForAnswer(port, revision === "direct" ? "stable" : revision);
    log(`backends (a second HAProxy, pid ${backendProcess.pid ?? "?"}) answer on ${Object.values(BACKENDS).join(", ")}`);
    nodeBackend = startNodeBackend(NODE_BACKEND_PORT);
    await waitForAnswer(NODE_BACKEND_PORT, "stable");
    log(`a Node backend (pid ${nodeBackend.pid ?? "?"}) answers on ${NODE_BACKEND_PORT}`);

    await router.ensureService("roll", { endpointPort: ROLL_PORT });
    await router.ensureService("bg", { endpointPort: BG_PORT, previewPort: BG_PREVIEW });
    await router.ensureService("plain", { endpointPort: PLAIN_PORT });
    await router.ensureService("plainnode", { endpointPort: PLAIN_NODE_PORT });
    await router.start();
    const add = (service: string, revision: Revision, role: BackendRole, weight: number): Promise<void> =>
      router.addBackend(service, { name: `${service}-${revision}`, revision: revision === "direct" ? "stable" : revision, role, address: "127.0.0.1", port: BACKENDS[revision], weight });
    await add("roll", "stable", "stable", 100);
    await add("roll", "canary", "canary", 0);
    await add("bg", "blue", "stable", 100);
    await add("bg", "green", "preview", 0);
    await add("plain", "direct", "stable", 100);
    await router.addBackend("plainnode", { name: "plainnode-stable", revision: "stable", role: "stable", address: "127.0.0.1", port: NODE_BACKEND_PORT, weight: 100 });
    await router.setRevisionWeights("roll", { stable: 100 });
    await router.setRevisionWeights("bg", { blue: 100 });
    await router.setRevisionWeights("plain", { stable: 100 });
    await router.setRevisionWeights("plainnode", { stable: 100 });
    await waitForAnswer(PLAIN_PORT, "stable");
    await waitForAnswer(PLAIN_NODE_PORT, "stable");
    await waitForAnswer(BG_PREVIEW, "green");
    log(`router (pid file ${router.paths.pidFile}) routes roll on ${ROLL_PORT}, bg on ${BG_PORT} (preview ${BG_PREVIEW}), plain on ${PLAIN_PORT}, plainnode on ${PLAIN_NODE_PORT}`);

    for (const [port, target] of [
      [NODE_PROXY_PORT, BACKENDS.direct],
      [NODE_PROXY_TO_NODE_PORT, NODE_BACKEND_PORT],
    ] as const) {
      const server = startNodeProxy(target);
      nodeProxies.push(server);
      await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
      await waitForAnswer(port, "stable");
    }

    const threads = routerThreads();
    minimalProxies.push(startBackends(binary, join(root, "minimal.cfg"), minimalConfig(MINIMAL_PORTS.sameThreads, threads)));
    minimalProxies.push(startBackends(binary, join(root, "minimal-default.cfg"), minimalConfig(MINIMAL_PORTS.defaultThreads, undefined)));
    for (const ports of Object.values(MINIMAL_PORTS)) for (const port of Object.values(ports)) await waitForAnswer(port, "stable");
    log(`minimal HAProxy proxies (nbthread ${threads}, and HAProxy's default) answer on ${Object.values(MINIMAL_PORTS).flatMap((p) => Object.values(p)).join(", ")}`);

    // ---------------------------------------------------------- abort / rollback
    const loads: number[] = [];
    const trials = new Map<string, Trial[]>();
    const record = (name: string, trial: Trial): void => {
      trials.set(name, [...(trials.get(name) ?? []), trial]);
    };
    const abort = async (from: Record<string, number>): Promise<Trial> =>
      switchTrial(
        ROLL_PORT,
        options,
        "stable",
        async () => {
          await router.setRevisionWeights("roll", from);
          await sleep(50);
        },
        () => router.setRevisionWeights("roll", { stable: 100 }),
      );
    const blueGreen = (): Promise<Trial> =>
      switchTrial(
        BG_PORT,
        options,
        "green",
        async () => {
          await router.setRevisionWeights("bg", { blue: 100 });
          await router.setBackendRole("bg", "bg-green", "preview");
          await sleep(50);
        },
        async () => {
          // The controller's route step: weights first, then the roles follow.
          const t0 = performance.now();
          await router.setRevisionWeights("bg", { green: 100 });
          const routed = performance.now() - t0;
          await router.setBackendRole("bg", "bg-green", "stable");
          roleMs.push(performance.now() - t0);
          return routed;
        },
      );
    const roleMs: number[] = [];
    // One warm-up of each, not counted.
    await abort({ stable: 50, canary: 50 });
    await blueGreen();
    for (let i = 1; i <= options.aborts; i++) {
      record("abort50", await abort({ stable: 50, canary: 50 }));
      record("abort100", await abort({ canary: 100 }));
      record("bluegreen", await blueGreen());
      loads.push(loadavg()[0] ?? NaN);
      const show = (name: string): string => {
        const t = trials.get(name)?.at(-1);
        return t === undefined ? "" : `${name} ${millis(t.lastOldResponseMs)} ms (call ${millis(t.callMs)} ms, ${t.failures.length} failed, ${Math.round(t.rps)} req/s)`;
      };
      log(`round ${i}/${options.aborts}: ${show("abort50")}; ${show("abort100")}; ${show("bluegreen")}`);
    }

    // ---------------------------------------------------------- overhead
    const targets: WrkTarget[] = [
      { name: "direct", backend: "haproxy", via: "direct", port: BACKENDS.direct },
      { name: "router", backend: "haproxy", via: "router", port: PLAIN_PORT },
      { name: "node-proxy", backend: "haproxy", via: "node-proxy", port: NODE_PROXY_PORT },
      { name: "minimal", backend: "haproxy", via: "minimal", port: MINIMAL_PORTS.sameThreads.haproxy },
      { name: "minimal-default", backend: "haproxy", via: "minimal-default", port: MINIMAL_PORTS.defaultThreads.haproxy },
      { name: "node-direct", backend: "node", via: "direct", port: NODE_BACKEND_PORT },
      { name: "node-router", backend: "node", via: "router", port: PLAIN_NODE_PORT },
      { name: "node-node-proxy", backend: "node", via: "node-proxy", port: NODE_PROXY_TO_NODE_PORT },
      { name: "node-minimal", backend: "node", via: "minimal", port: MINIMAL_PORTS.sameThreads.node },
      { name: "node-minimal-default", backend: "node", via: "minimal-default", port: MINIMAL_PORTS.defaultThreads.node },
    ];
    const wrkResults = new Map<string, WrkResult[]>();
    const reuse = new Map<string, string>();
    const statClient = new HaproxySocketClient(router.paths.adminSocket, { label: "bench router admin socket", timeoutMs: 5 * SECOND });
    const wrkPhase = async (phase: string, list: WrkTarget[]): Promise<void> => {
      for (const target of list) await wrk(target.port, 1); // warm-up
      for (let round = 1; round <= options.wrkRounds; round++) {
        const order = list.map((_, k) => list[(k + round - 1) % list.length] as WrkTarget);
        const done: string[] = [];
        for (const target of order) {
          const before = target.via === "router" ? await serverConnections(statClient, target.backend) : undefined;
          const result = await wrk(target.port, options.wrkSeconds);
          if (before !== undefined) {
            const after = await serverConnections(statClient, target.backend);
            const requests = after.requests - before.requests;
            reuse.set(`${phase}/${target.name}`, `${after.connects - before.connects} new connections to the backend for ${requests} requests`);
          }
          wrkResults.set(`${phase}/${target.name}`, [...(wrkResults.get(`${phase}/${target.name}`) ?? []), result]);
          done.push(`${target.name} ${Math.round(result.rps)} req/s${result.errors === "" ? "" : ` (${result.errors})`}`);
        }
        loads.push(loadavg()[0] ?? NaN);
        log(`wrk ${phase} round ${round}/${options.wrkRounds}: ${done.join(", ")}; load ${(loadavg()[0] ?? NaN).toFixed(2)}`);
      }
    };
    await wrkPhase("runtime", targets);
    // A new service reloads HAProxy, which then reads every server from haproxy.cfg instead of having them set at run time.
    log("adding a service: the router reloads, its servers now come from haproxy.cfg");
    await router.ensureService("reload", { endpointPort: RELOAD_PORT });
    await waitForAnswer(PLAIN_PORT, "stable");
    await wrkPhase("reloaded", targets.filter((t) => t.via === "direct" || t.via === "router"));

    // ---------------------------------------------------------- report
    const slipwayVersion = await slipwayAt(run);
    const lines: string[] = [];
    lines.push(resultsHeading(), "");
    lines.push(
      `Machine: ${machine()}, ${haproxyVersion}, ${wrkVersion.replace(/ Copyright.*$/, "")}, ${slipwayVersion}; ` +
        `1-minute load average after each round: ${loads.map((l) => l.toFixed(2)).join(", ")}.`,
      "",
    );
    const allTrials = [...trials.values()].flat();
    const failed = allTrials.reduce((n, t) => n + t.failures.length, 0);
    lines.push(
      `(a) Abort / rollback and blue-green switch, ${options.aborts} of each after one warm-up, under keep-alive load from Node ` +
        `(8 connections, ${options.rps} req/s scheduled; measured median ${Math.round(summarize(allTrials.map((t) => t.rps)).median)} req/s; ` +
        `${allTrials.reduce((n, t) => n + t.requests, 0)} requests, ${failed} failed${failed === 0 ? "" : `: ${[...new Set(allTrials.flatMap((t) => t.failures))].slice(0, 3).join("; ")}`}). ` +
        "Milliseconds from the start of the router call; median (min–max):",
      "",
    );
    const cell = (s: Summary): string => `${millis(s.median)} (${millis(s.min)}–${millis(s.max)})`;
    lines.push(
      "| switch | old revision's share before | router call resolved | last request routed to the old revision was sent | last response from the old revision (all new after) | old responses after the call's start | old answers to requests sent after the call resolved |",
      "|---|---:|---:|---:|---:|---:|---:|",
    );
    const labels: Record<string, string> = {
      abort50: "abort, canary at 50% → `{stable: 100}`",
      abort100: "abort, canary at 100% → `{stable: 100}`",
      bluegreen: "blue-green `{blue: 100}` → `{green: 100}`",
    };
    for (const [name, list] of trials) {
      const share = summarize(list.map((t) => t.oldShareBefore * 100)).median;
      lines.push(
        `| ${labels[name] ?? name} | ${share.toFixed(0)}% | ${cell(summarize(list.map((t) => t.callMs)))} | ${cell(summarize(list.map((t) => t.lastOldSentMs)))} | ` +
          `${cell(summarize(list.map((t) => t.lastOldResponseMs)))} | ${summarize(list.map((t) => t.oldAfterStart)).median} | ${list.reduce((n, t) => n + t.oldAfterCall, 0)} |`,
      );
    }
    lines.push("");
    if (roleMs.length > 0) lines.push(`Blue-green, the whole route step (weights, then green's role preview → stable, which drains it out of the preview and tester backends): ${cell(summarize(roleMs))} ms; traffic does not wait for it.`, "");
    lines.push(
      `Raw, last response from the old revision (ms): ${[...trials].map(([name, list]) => `${name}: ${list.map((t) => millis(t.lastOldResponseMs)).join(" ")}`).join("; ")}.`,
      "",
    );
    lines.push(
      `(b) Overhead: \`wrk -t2 -c32 -d${options.wrkSeconds}s --latency\` (keep-alive), ${options.wrkRounds} rounds after a 1 s warm-up of each, the order rotating; median of the rounds. ` +
        "Two backends: a second HAProxy answering by itself (`http-request return`), and one Node `http.createServer` process. " +
        `The router runs \`nbthread ${threads}\` (\`routerThreads()\`: half the CPUs); the minimal HAProxy proxies (one frontend → one backend → one server, no rules, no log) run the same, and HAProxy's default (one thread per CPU). ` +
        "The router's server was first added at run time (`addBackend` claims a slot, as on every rollout); the rows marked *after a reload* measure it again once a new service made the router reload, so the same server comes from haproxy.cfg:",
      "",
    );
    lines.push("| backend | path | requests/s | × direct | latency p50, ms | latency p99, ms | connections to the backend | errors |", "|---|---|---:|---:|---:|---:|---|---|");
    const viaLabel: Record<WrkTarget["via"], string> = {
      direct: "directly",
      router: "slipway HAProxy router (service endpoint)",
      "node-proxy": "Node `http-proxy` (keep-alive agent, 1 process)",
      minimal: `minimal HAProxy, \`nbthread ${threads}\``,
      "minimal-default": "minimal HAProxy, default threads (one per CPU)",
    };
    for (const backend of ["haproxy", "node"] as const) {
      for (const phase of ["runtime", "reloaded"]) {
        const directKey = `${phase}/${targets.find((t) => t.backend === backend && t.via === "direct")?.name ?? ""}`;
        const directRps = summarize((wrkResults.get(directKey) ?? []).map((r) => r.rps)).median;
        for (const target of targets.filter((t) => t.backend === backend)) {
          const key = `${phase}/${target.name}`;
          const list = wrkResults.get(key);
          if (list === undefined) continue;
          const rps = summarize(list.map((r) => r.rps)).median;
          const path = target.via === "router" ? `${viaLabel.router}, ${phase === "runtime" ? "instance added at run time" : "after a reload: server from haproxy.cfg"}` : `${viaLabel[target.via]}${phase === "reloaded" ? " (again, beside the reloaded router)" : ""}`;
          lines.push(
            `| ${backend === "haproxy" ? "HAProxy `return`" : "Node `http`"} | ${path} | ${Math.round(rps)} | ${(rps / directRps).toFixed(2)}× | ${millis(summarize(list.map((r) => r.p50Ms)).median)} | ` +
              `${millis(summarize(list.map((r) => r.p99Ms)).median)} | ${reuse.get(key) ?? ""} | ${list.map((r) => r.errors).filter((e) => e !== "").join("; ") || "none"} |`,
          );
        }
      }
    }
    lines.push("", "× direct: against the same backend hit directly in the same phase (before or after the reload). Connections to the backend: the router's `connect` counter for the server over the last round (HAProxy's `show stat`).", "");
    lines.push(`Raw requests/s: ${[...wrkResults].map(([key, list]) => `${key}: ${list.map((r) => Math.round(r.rps)).join(" ")}`).join("; ")}.`);
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    await finish();
  }
}

runMain(main);
