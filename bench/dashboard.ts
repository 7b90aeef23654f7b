// Benchmark: the web dashboard in Debian's chromium (playwright-core).
// Not a test: it prints a markdown table for docs/benchmarks.md.
//
//   npm run build && node dist/bench/dashboard.js [--loads 10] [--changes 20] [--keep]
//
// (a) cold load — the overview of 50 services × 3 environments, from a
//     fresh browser context (no cache, no service worker) to all 150 cells
//     rendered, in the page's own clock (performance.now() from navigation
//     start). The state is SEEDED in the system's SQLite store, not run: each
//     service gets a recorded revision and a finished healthy rollout in
//     each environment (beginRollout + finishRollout, as a deploy records
//     them; every third service serves another digest in prod, so prod
//     shows "behind"), and the bench holds each environment's controller
//     lock, so `slipway serve` drives nothing and creates no container.
//     GET /api/status still asks Docker for each service's instances (none)
//     and each environment's router (not running), so the API's work is
//     the real one minus readiness probes of live instances.
// (b) state change → page — a real service (a tiny Python server, canary
//     at a manual pause) on Docker behind the environment's HAProxy, the
//     overview open. Each round pauses or resumes the rollout over the API
//     and takes three times: t0 the request sent, t1 the rollout.progress
//     event arriving at a second event-stream client in this process, t2
//     the overview's cell showing the change (a MutationObserver in the
//     page, Date.now(); same machine, same clock).
// Needs Docker Engine with python:3.11-slim-bookworm, HAProxy, the registry
// and chromium (scripts/setup-host.sh); loopback ports 29230-29231,
// 29410, 29480-29481 and 29499 free. Everything it creates is removed at
// the end, also when it fails or is interrupted.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Browser, Page } from "playwright-core";
import { loadSystem } from "../src/config/load-system.js";
import { beginRollout } from "../src/delivery/controller/begin-rollout.js";
import { acquireControllerLock, environmentLockPath, type ControllerLock } from "../src/delivery/controller/controller-lock.js";
import { DockerEngine } from "../src/docker/engine.js";
import { SqliteRolloutStore } from "../src/store/sqlite/rollout-store.js";
import { SqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { storePath } from "../src/store/store-path.js";
import { launchBrowser } from "../test/e2e/browser.js";
import { buildAndPushPython, pythonServer } from "../test/e2e/python-service.js";
import { addUser, apiLogin, startServe } from "../test/e2e/serve-process.js";
import { cleanUpOnInterrupt, dockerPreflight, machine, repoRoot, resultsHeading, runMain, slipwayAt, wholeNumber } from "./lib/harness.js";
import { BenchError, log, runner } from "./lib/processes.js";
import { removeSystem } from "./lib/scratch-system.js";
import { millis, MINUTE, SECOND, summarize } from "./lib/stats.js";

const USAGE = "usage: node dist/bench/dashboard.js [--loads 10] [--changes 20] [--keep]";
const SERVICES = 50;
const ENVIRONMENTS = ["dev", "test", "prod"];
const SEEDED_API = 29230;
const LIVE_API = 29231;
const DEV_REGISTRY = 29480;
const PROD_REGISTRY = 29481;
/** endpoint 1910 → 29410, router control port 29499. */
const LIVE_OFFSET = 27500;
const PASSWORD = "bench password 12345";
const LIVE_SYSTEM = "bench-dashboard-live";

interface Options {
  loads: number;
  changes: number;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const options = { loads: 10, changes: 20, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--loads") options.loads = wholeNumber(arg, argv[++i], 1, 100);
    else if (arg === "--changes") options.changes = wholeNumber(arg, argv[++i], 2, 200);
    else if (arg === "--keep") options.keep = true;
    else throw new BenchError(`unknown argument ${arg ?? ""}\n${USAGE}`);
  }
  return options;
}

const digestOf = (seed: string): string => `sha256:${Buffer.from(seed.padEnd(32, "-")).toString("hex").slice(0, 64).padEnd(64, "0")}`;

/** 50 services, 3 environments, recorded in the store as deployed and healthy; nothing runs. */
async function seedSystem(root: string): Promise<void> {
  writeFileSync(
    join(root, "slipway.yaml"),
    ["system: bench-dashboard", "registries:", "  dev: { url: 127.0.0.1:29470 }", "  prod: { url: 127.0.0.1:29471 }", "environments:", ...ENVIRONMENTS.map((e, i) => `  - { name: ${e}, registry: ${e === "prod" ? "prod" : "dev"}, portOffset: ${20000 + i * 100} }`), "services: [services/*]", ""].join("\n"),
  );
  for (let i = 1; i <= SERVICES; i++) {
    const name = `svc-${String(i).padStart(2, "0")}`;
    mkdirSync(join(root, "services", name), { recursive: true });
    writeFileSync(join(root, "services", name, "Dockerfile"), "FROM scratch\n");
    writeFileSync(join(root, "services", name, "slipway.service.yaml"), `name: ${name}\nowners: [team@example.com]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nendpoint: { port: ${3000 + i} }\nreadiness: { http: { path: /healthz } }\nreplicas: 2\nstrategy: { canary: { steps: [{ setWeight: 20 }, { pause: {} }] } }\n`);
  }
  const system = await loadSystem(root);
  const store = SqliteStore.open(storePath(system));
  try {
    const rollouts = new SqliteRolloutStore(store.db);
    for (const loaded of system.services) {
      const service = loaded.config;
      for (const environment of ENVIRONMENTS) {
        const behind = environment === "prod" && Number(service.name.slice(4)) % 3 === 0;
        const version = behind ? "1.0.0" : "1.1.0";
        const record = beginRollout(rollouts, {
          system: system.config.system,
          environment,
          service: service.name,
          image: `127.0.0.1:29470/bench-dashboard/${service.name}@${digestOf(`${service.name}-${version}`)}`,
          version,
          template: { port: 8080, env: {}, secretEnv: {}, resources: {}, readiness: service.readiness, terminationGracePeriodSeconds: 10 },
          strategy: service.strategy,
          replicas: 2,
          nowMs: Date.now(),
        });
        rollouts.finishRollout(record.id, "healthy");
      }
    }
  } finally {
    store.close();
  }
}

interface Phases {
  scriptMs: number;
  firstApiMs: number;
  statusMs: number;
  /** API requests the page made (a preload the page's fetch did not take would show as one more). */
  apiRequests: number;
}

/** A fresh context (empty cache) with the session cookie; ms from navigation start to all cells rendered, its phases, and the bytes the page fetched. */
async function coldLoad(browser: Browser, base: string, cookie: string, cells: number): Promise<{ ms: number; bytes: number; phases: Phases }> {
  // bypassCSP: the measuring code below is evaluated from strings, which the page's CSP forbids.
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 }, bypassCSP: true });
  try {
    const [name, value] = cookie.split("=");
    await context.addCookies([{ name: name ?? "", value: value ?? "", url: base }]);
    const page = await context.newPage();
    await page.goto(base + "/", { waitUntil: "commit" });
    // In-page code as strings: this file is compiled without the DOM's types.
    await page.waitForFunction(`document.querySelectorAll("td.cell").length === ${cells}`, undefined, { timeout: 60 * SECOND, polling: "raf" });
    const ms = (await page.evaluate("performance.now()")) as number;
    const bytes = (await page.evaluate('[...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].reduce((n, e) => n + e.encodedBodySize, 0)')) as number;
    // Where the time went: the script in, the first API request sent, the last status answer in (page clock).
    const phases = (await page.evaluate(`(() => {
      const resources = performance.getEntriesByType("resource");
      const script = resources.find((e) => e.initiatorType === "script" && e.name.endsWith(".js"));
      const api = resources.filter((e) => new URL(e.name).pathname.startsWith("/api/"));
      const status = api.filter((e) => new URL(e.name).pathname === "/api/status");
      return { scriptMs: script ? script.responseEnd : 0, firstApiMs: Math.min(...api.map((e) => e.startTime)), statusMs: Math.max(...status.map((e) => e.responseEnd)), apiRequests: api.length };
    })()`)) as Phases;
    return { ms, bytes, phases };
  } finally {
    await context.close();
  }
}

async function benchColdLoad(browser: Browser, options: Options, root: string): Promise<string[]> {
  await seedSystem(root);
  const system = await loadSystem(root);
  const locks: ControllerLock[] = [];
  for (const env of ENVIRONMENTS) {
    const lock = acquireControllerLock(environmentLockPath(system.stateDir, env));
    if ("heldBy" in lock) throw new BenchError(`the controller lock of ${env} is held by ${lock.heldBy}`);
    locks.push(lock);
  }
  await addUser(root, "bench", "admin", PASSWORD);
  const serve = await startServe(root, SEEDED_API);
  try {
    if (!/left to it|another process|no controller here/i.test(serve.log())) log(`serve log:\n${serve.log()}`);
    const base = `http://127.0.0.1:${SEEDED_API}`;
    const { cookie } = await apiLogin(base, "bench", PASSWORD);
    const apiTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = performance.now();
      const res = await fetch(`${base}/api/status`, { headers: { cookie } });
      await res.arrayBuffer();
      apiTimes.push(performance.now() - t);
    }
    await coldLoad(browser, base, cookie, SERVICES * ENVIRONMENTS.length); // warm-up: the server's first status, chromium's first start
    const loads: number[] = [];
    const phases: Phases[] = [];
    let bytes = 0;
    for (let i = 0; i < options.loads; i++) {
      const r = await coldLoad(browser, base, cookie, SERVICES * ENVIRONMENTS.length);
      loads.push(r.ms);
      phases.push(r.phases);
      bytes = r.bytes;
      log(`cold load ${i + 1}/${options.loads}: ${millis(r.ms)} ms, ${r.phases.apiRequests} API requests`);
    }
    const l = summarize(loads);
    const a = summarize(apiTimes);
    return [
      `**(a) cold load of the overview, ${SERVICES} services × ${ENVIRONMENTS.length} environments (seeded store), ${options.loads} loads after one warm-up:**`,
      "",
      "| what | median | min | max |",
      "|---|---|---|---|",
      `| navigation start → all ${SERVICES * ENVIRONMENTS.length} cells rendered (ms) | ${millis(l.median)} | ${millis(l.min)} | ${millis(l.max)} |`,
      row("… the script received (ms)", phases.map((p) => p.scriptMs)),
      row("… the first API request sent (ms)", phases.map((p) => p.firstApiMs)),
      row("… the last status answer received (ms)", phases.map((p) => p.statusMs)),
      row("last status answer → cells rendered (ms)", phases.map((p, i) => (loads[i] ?? 0) - p.statusMs)),
      `| GET /api/status alone, from this process (ms; 3 calls) | ${millis(a.median)} | ${millis(a.min)} | ${millis(a.max)} |`,
      "",
      `Bytes fetched by a cold load (compressed as sent; the server does not compress): ${(bytes / 1024).toFixed(0)} KiB.`,
    ];
  } finally {
    await serve.stop();
    for (const lock of locks) lock.release();
  }
}

/** A table row: what, then the samples' median, min and max. */
function row(what: string, samples: number[]): string {
  const s = summarize(samples);
  return `| ${what} | ${millis(s.median)} | ${millis(s.min)} | ${millis(s.max)} |`;
}

/** Reads server-sent events from the API into `events` (type, data, arrival time) until aborted. */
function followEvents(base: string, cookie: string, signal: AbortSignal): { events: { type: string; data: Record<string, unknown>; atMs: number }[] } {
  const state = { events: [] as { type: string; data: Record<string, unknown>; atMs: number }[] };
  void (async () => {
    const res = await fetch(`${base}/api/events`, { headers: { cookie }, signal });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value);
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const type = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (type !== undefined && data !== undefined) state.events.push({ type, data: JSON.parse(data) as Record<string, unknown>, atMs: Date.now() });
        end = buffer.indexOf("\n\n");
      }
    }
  })().catch(() => undefined);
  return state;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60 * SECOND): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new BenchError(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

async function benchStateChange(browser: Browser, options: Options, root: string, images: string[], run: ReturnType<typeof runner>["mustRun"]): Promise<string[]> {
  mkdirSync(join(root, "services", "hello"), { recursive: true });
  writeFileSync(join(root, "slipway.yaml"), `system: ${LIVE_SYSTEM}\nregistries:\n  dev: { url: 127.0.0.1:${DEV_REGISTRY} }\n  prod: { url: 127.0.0.1:${PROD_REGISTRY} }\nenvironments:\n  - { name: live, registry: dev, portOffset: ${LIVE_OFFSET} }\nservices: [services/*]\n`);
  writeFileSync(join(root, "services", "hello", "Dockerfile"), "FROM scratch\n");
  writeFileSync(
    join(root, "services", "hello", "slipway.service.yaml"),
    "name: hello\nowners: [bench@example.com]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nendpoint: { port: 1910 }\nreadiness: { http: { path: /healthz }, periodSeconds: 0.2, failureThreshold: 2 }\nreplicas: 1\nterminationGracePeriodSeconds: 2\nstrategy: { canary: { steps: [{ setWeight: 50 }, { pause: {} }], scaleDownDelaySeconds: 0 } }\n",
  );
  const cli = (args: string[]) => run(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, ...args], { timeoutMs: 3 * MINUTE });
  await cli(["up"]);
  const engine = new DockerEngine();
  const server = pythonServer('VERSION = os.environ["APP_VERSION"]', `if self.path == "/healthz": status, body = 200, b"ok"\nelse: status, body = 200, VERSION.encode()`);
  const digests: string[] = [];
  for (const v of ["v1", "v2"]) {
    const tag = `127.0.0.1:${DEV_REGISTRY}/${LIVE_SYSTEM}/hello:${v}`;
    images.push(tag);
    digests.push(await buildAndPushPython(engine, root, tag, server, { APP_VERSION: v }));
  }
  await addUser(root, "bench", "admin", PASSWORD);
  const serve = await startServe(root, LIVE_API);
  const stop = new AbortController();
  const browserContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, bypassCSP: true });
  try {
    const base = `http://127.0.0.1:${LIVE_API}`;
    const session = await apiLogin(base, "bench", PASSWORD);
    const cookie = session.cookie;
    const post = async (path: string, body: unknown): Promise<void> => {
      const res = await fetch(base + path, { method: "POST", headers: { cookie, "content-type": "application/json", "x-csrf-token": session.csrfToken }, body: JSON.stringify(body) });
      if (res.status !== 202) throw new BenchError(`POST ${path} answered ${res.status}: ${await res.text()}`);
    };
    const rollout = async (): Promise<{ finished: boolean; outcome?: string; state: { pause?: { kind: string }; userPaused: boolean } }> =>
      ((await (await fetch(`${base}/api/environments/live/services/hello/rollout`, { headers: { cookie } })).json()) as { rollout: { finished: boolean; outcome?: string; state: { pause?: { kind: string }; userPaused: boolean } } }).rollout;
    await post("/api/environments/live/services/hello/deploy", { digest: digests[0] });
    await waitFor("v1 healthy", async () => ((await rollout()).outcome === "healthy" ? true : undefined), 2 * MINUTE);
    await post("/api/environments/live/services/hello/deploy", { digest: digests[1] });
    await waitFor("the canary at its manual pause", async () => ((await rollout()).state.pause?.kind === "manual" ? true : undefined), 2 * MINUTE);

    const [name, value] = cookie.split("=");
    await browserContext.addCookies([{ name: name ?? "", value: value ?? "", url: base }]);
    const page: Page = await browserContext.newPage();
    await page.goto(base + "/");
    await page.locator('td[data-env="live"][data-service="hello"]').waitFor();
    // Records when the cell's text starts or stops saying "(paused)", in the page's Date.now().
    await page.evaluate(`(() => {
      const cell = document.querySelector('td[data-env="live"][data-service="hello"]');
      window.seen = [];
      let last = cell.innerText.includes("(paused)");
      new MutationObserver(() => {
        const now = cell.innerText.includes("(paused)");
        if (now !== last) window.seen.push({ atMs: Date.now(), paused: now });
        last = now;
      }).observe(cell, { subtree: true, childList: true, characterData: true });
    })()`);
    const stream = followEvents(base, cookie, stop.signal);
    await sleep(500);
    const toEvent: number[] = [];
    const toPage: number[] = [];
    const eventToPage: number[] = [];
    for (let i = 0; i < options.changes; i++) {
      const pause = i % 2 === 0;
      const seenBefore = (await page.evaluate("window.seen.length")) as number;
      const eventsBefore = stream.events.length;
      const t0 = Date.now();
      await post(`/api/environments/live/services/hello/rollout/${pause ? "pause" : "resume"}`, {});
      const event = await waitFor("the event", () =>
        stream.events.slice(eventsBefore).find((e) => e.type === "rollout.progress" && (e.data["state"] as { userPaused: boolean }).userPaused === pause),
      );
      const shown = await waitFor("the page", async () => {
        const seen = (await page.evaluate("window.seen")) as { atMs: number; paused: boolean }[];
        return seen.slice(seenBefore).find((s) => s.paused === pause);
      });
      toEvent.push(event.atMs - t0);
      toPage.push(shown.atMs - t0);
      eventToPage.push(shown.atMs - event.atMs);
      log(`change ${i + 1}/${options.changes} (${pause ? "pause" : "resume"}): event after ${event.atMs - t0} ms, page after ${shown.atMs - t0} ms`);
      await sleep(300);
    }
    return [
      `**(b) a state change reaching an open overview (${options.changes} changes: pause and resume in turn, over the API):**`,
      "",
      "| interval | median | min | max |",
      "|---|---|---|---|",
      row("request sent → rollout.progress event at an SSE client (ms)", toEvent),
      row("rollout.progress event → the page's cell changed (ms)", eventToPage),
      row("request sent → the page's cell changed (ms)", toPage),
    ];
  } finally {
    stop.abort();
    await browserContext.close();
    await serve.stop();
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { run, mustRun } = runner({ NO_COLOR: "1" });
  const seeded = mkdtempSync(join(tmpdir(), "slipway-bench-dashboard-"));
  const live = mkdtempSync(join(tmpdir(), "slipway-bench-dashboard-live-"));
  const images: string[] = [];
  let browser: Browser | undefined;
  const cleanup = cleanUpOnInterrupt(async () => {
    await browser?.close().catch(() => undefined);
    if (options.keep) return log(`kept ${seeded} and ${live}`);
    await removeSystem(run, live, LIVE_SYSTEM, images);
    rmSync(seeded, { recursive: true, force: true });
    rmSync(live, { recursive: true, force: true });
  });
  try {
    const docker = await dockerPreflight(run, "python:3.11-slim-bookworm", "base image");
    const at = await slipwayAt(run);
    const loadBefore = loadavg()[0]?.toFixed(2);
    browser = await launchBrowser();
    const version = browser.version();
    const a = await benchColdLoad(browser, options, seeded);
    const b = await benchStateChange(browser, options, live, images, mustRun);
    console.log(
      [resultsHeading(), "", `${machine()}, Docker Engine ${docker}, chromium ${version}, ${at}; load average before: ${loadBefore}, after: ${loadavg()[0]?.toFixed(2)}.`, "", ...a, "", ...b].join("\n"),
    );
  } finally {
    await cleanup();
  }
}

runMain(main);
