// The rollout controller end to end: the real CLI (`slipway deploy`, `rollout
// …`) against real Docker and the environment's real HAProxy, with a tiny
// Python service image in four variants (v1, v2, one answering 500, one
// never ready). During every operation a keep-alive load runs through the
// service's router endpoint and every non-2xx answer or connection error
// counts as a failure. Loopback ports 16001-16099 only.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { SqliteRolloutStore } from "../../src/store/sqlite/rollout-store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { assertSucceeded, repoRoot, runCli, writeScratchService, type CliResult } from "./helpers.js";
import { assertNoFailures, describeLoad, getOnce, type LoadResult, sample as sampleOn, startLoad as startLoadOn } from "./keepalive-load.js";
import { buildAndPushPython, pythonServer } from "./python-service.js";

const DEV_REGISTRY = 16090;
const PROD_REGISTRY = 16091;
/** portOffset 14100: endpoint 1910 → 16010, router control port 14100 + 1999 = 16099. */
const PORT_OFFSET = 14100;
const ENDPOINT = 16010;
const PREVIEW = 16011;
const SYSTEM = "e2e-rollout";
const engine = new DockerEngine();
const docker = engine.api;
const root = mkdtempSync(join(tmpdir(), "slipway-rollout-e2e-"));
const images: Record<string, string> = {};

const serverPy = pythonServer(
  'VERSION = os.environ["APP_VERSION"]; STATUS = int(os.environ["APP_STATUS"]); READY = os.environ["APP_READY"] == "1"',
  `if self.path == "/healthz": status, body = (200 if READY else 503), b"ok"
else: status, body = STATUS, VERSION.encode()`,
);

const buildAndPush = (version: string, status: number, ready: boolean): Promise<string> =>
  buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`, serverPy, { APP_VERSION: version, APP_STATUS: String(status), APP_READY: ready ? "1" : "0" });

function writeService(strategy: string, extra = ""): void {
  writeScratchService(root, { endpoint: "{ port: 1910, previewPort: 1911 }", readiness: "{ http: { path: /healthz }, periodSeconds: 0.2, failureThreshold: 2 }", replicas: 2, terminationGracePeriodSeconds: 5, strategy }, extra);
}

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);

// --- load (keepalive-load.ts) -------------------------------------------

const startLoad = (rps?: number): ReturnType<typeof startLoadOn> => startLoadOn(ENDPOINT, rps);
const sample = (n: number): Promise<Record<string, number>> => sampleOn(ENDPOINT, n);
const report = (name: string, r: LoadResult): void => console.log(describeLoad(name, r));

/** Containers of the system, by revision label. */
async function containers(): Promise<{ id: string; revision: string; state: string }[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } });
  return list.map((c) => ({ id: c.Id, revision: c.Labels["org.slipway.revision"] ?? "?", state: c.State }));
}

/** The latest rollout as the state store has it now. */
function storedRollout(): { finished: boolean; state: { stepIndex: number } } | undefined {
  const store = SqliteStore.open(join(root, ".slipway", "state.db"));
  try {
    return new SqliteRolloutStore(store.db).latestRollout({ system: SYSTEM, environment: "test", service: "hello" });
  } finally {
    store.close();
  }
}

/** The latest rollout's analysis measurements, every key, in the order taken, from the state store. */
function rolloutMeasurements(): { metric: string; phase: string }[] {
  const store = SqliteStore.open(join(root, ".slipway", "state.db"));
  try {
    const rollouts = new SqliteRolloutStore(store.db);
    const rollout = rollouts.latestRollout({ system: SYSTEM, environment: "test", service: "hello" });
    return (rollout?.state.analyses ?? []).flatMap((a) => rollouts.loadMeasurements(rollout?.id ?? "", a.key));
  } finally {
    store.close();
  }
}

async function rolloutState(): Promise<{ finished: boolean; outcome?: string; state: { stepIndex: number; phase: string; targetRevision: string; stableRevision?: string; pause?: { kind: string; untilMs?: number } } }> {
  const result = await cli("--json", "rollout", "status", "hello", "--env", "test");
  await assertSucceeded(result, "rollout status");
  return (JSON.parse(result.stdout) as { rollout: { finished: boolean; outcome?: string; state: { stepIndex: number; phase: string; targetRevision: string } } }).rollout;
}

describe("rollout controller", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    mkdirSync(join(root, "services", "hello"), { recursive: true });
    writeFileSync(
      join(root, "slipway.yaml"),
      `system: ${SYSTEM}
registries:
  dev: { url: 127.0.0.1:${DEV_REGISTRY} }
  prod: { url: 127.0.0.1:${PROD_REGISTRY} }
environments:
  - { name: test, registry: dev, portOffset: ${PORT_OFFSET} }
services: [services/*]
`,
    );
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }");
    await assertSucceeded(await cli("up"), "slipway up");
    images["v1"] = await buildAndPush("v1", 200, true);
    images["v2"] = await buildAndPush("v2", 200, true);
    images["bad"] = await buildAndPush("bad", 500, true);
    images["never"] = await buildAndPush("never", 200, false);
    await assertSucceeded(await cli("deploy", "hello", "--env", "test", "--digest", images["v1"]), "first deploy of v1");
    assert.deepEqual(await sample(20), { v1: 20 });
  });

  after(async () => {
    await cli("down");
    for (const c of await containers()) await docker.getContainer(c.id).remove({ force: true }).catch(() => undefined);
    for (const version of Object.keys(images)) await docker.getImage(`127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("rolling update v1 → v2 (maxUnavailable 0) under load: no failed request", async () => {
    const load = startLoad();
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["v2"] as string);
    await sleep(1000);
    const r = await load.stop();
    report("rolling update", r);
    await assertSucceeded(deployed, "deploy v2");
    assertNoFailures(r);
    assert.deepEqual(await sample(20), { v2: 20 });
    const live = (await containers()).filter((c) => c.state === "running");
    assert.equal(live.length, 2, JSON.stringify(live));
  });

  it("canary v2 → v1 with steps 25% → 50% → 100% under load: no failed request", async () => {
    writeService("{ canary: { steps: [{ setWeight: 25 }, { pause: { duration: 1 } }, { setWeight: 50 }, { pause: { duration: 1 } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }");
    const load = startLoad();
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["v1"] as string);
    await sleep(1000);
    const r = await load.stop();
    report("canary 0→100", r);
    await assertSucceeded(deployed, "canary deploy of v1");
    assert.match(deployed.stdout, /traffic .*25%/);
    assert.match(deployed.stdout, /traffic .*50%/);
    assertNoFailures(r);
    assert.ok((r.byBody["v2"] ?? 0) > 0 && (r.byBody["v1"] ?? 0) > 0);
    assert.deepEqual(await sample(20), { v1: 20 });
  });

  it("canary abort sends all traffic back to stable: no failed request", async () => {
    writeService("{ canary: { steps: [{ setWeight: 50 }, { pause: {} }], scaleDownDelaySeconds: 0 } }");
    const load = startLoad();
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["v2"] as string);
    await assertSucceeded(deployed, "canary deploy up to the manual pause");
    assert.match(deployed.stdout, /slipway rollout promote hello --env test/);
    const during = await sample(40);
    assert.ok((during["v1"] ?? 0) > 0 && (during["v2"] ?? 0) > 0, JSON.stringify(during));
    const second = await cli("deploy", "hello", "--env", "test", "--digest", images["v2"] as string);
    assert.equal(second.code, 8);
    assert.match(second.stderr, /ROLLOUT_IN_PROGRESS/);
    assert.match(second.stderr, /already has a rollout in progress \(hello-.*\)[\s\S]*slipway rollout abort hello --env test/);
    await assertSucceeded(await cli("rollout", "abort", "hello", "--env", "test"), "rollout abort");
    await sleep(1000);
    const r = await load.stop();
    report("canary abort", r);
    assertNoFailures(r);
    assert.deepEqual(await sample(20), { v1: 20 });
    assert.equal((await rolloutState()).outcome, "aborted");
  });

  it("a canary answering 5xx is aborted by router-metric analysis; stable gets all traffic back", async () => {
    writeService(
      "{ canary: { steps: [{ setWeight: 20 }, { pause: { duration: 120 } }], analysis: { metrics: [error-rate] }, scaleDownDelaySeconds: 0 } }",
      `analysis:
  metrics:
    - name: error-rate
      provider: { router: { metric: errorRate } }
      failureCondition: "result > 0.05"
      interval: 1
      count: 100
      failureLimit: 1
`,
    );
    const load = startLoad();
    const started = Date.now();
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["bad"] as string);
    const returnedAt = Date.now();
    const tookMs = returnedAt - started;
    await sleep(1000);
    const r = await load.stop();
    report("canary 5xx aborted by analysis", r);
    assert.equal(deployed.code, 1, deployed.stdout + deployed.stderr);
    assert.match(deployed.stdout, /aborted/);
    // Only the canary's own 500s: no connection error, no router 503.
    assert.deepEqual([...new Set(r.failures)], ["HTTP 500 bad"]);
    // Aborted at the first chance, by order not by the clock (a busy machine stretches every interval):
    // exactly failureLimit + 1 failed measurements decided, none was taken after them, and the canary's
    // last 500 came before `deploy` returned with traffic back on stable.
    const span = r.failureSpan ?? { firstMs: 0, lastMs: 0 };
    const exposedMs = span.lastMs - span.firstMs;
    console.log(`# 5xx canary: deploy ended after ${(tookMs / 1000).toFixed(1)} s; the canary answered ${r.failures.length} requests with 500 during ${(exposedMs / 1000).toFixed(1)} s`);
    const measured = rolloutMeasurements().filter((m) => m.metric === "error-rate");
    assert.deepEqual(measured.filter((m) => m.phase === "failed").length, 2, JSON.stringify(measured));
    assert.equal(measured.at(-1)?.phase, "failed", "nothing measured after the deciding failure");
    assert.ok(span.lastMs <= returnedAt, "no 500 after the deploy returned aborted");
    assert.deepEqual(await sample(20), { v1: 20 });
  });

  it("a version that never turns ready reaches its progress deadline and is rolled back; stable untouched", async () => {
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 4, scaleDownDelaySeconds: 0 } }");
    const stableBefore = (await containers()).filter((c) => c.state === "running").map((c) => c.id).sort();
    const load = startLoad();
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["never"] as string);
    await sleep(500);
    const r = await load.stop();
    report("never ready", r);
    assert.equal(deployed.code, 1, deployed.stdout + deployed.stderr);
    assertNoFailures(r);
    assert.deepEqual(r.byBody, { v1: r.sent });
    const after = (await containers()).filter((c) => c.state === "running").map((c) => c.id).sort();
    assert.deepEqual(after, stableBefore);
  });

  it("kill -9 of the controller mid-canary; `rollout resume` completes it with no orphaned containers or backends", async () => {
    // Long enough that the kill lands inside the pause on a busy machine (at 3 s the rollout was sometimes done first).
    writeService("{ canary: { steps: [{ setWeight: 50 }, { pause: { duration: 10 } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }");
    const load = startLoad();
    const child = spawn(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, "deploy", "hello", "--env", "test", "--digest", images["v2"] as string], { stdio: "ignore" });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const giveUpAt = Date.now() + 60_000;
    for (;;) {
      const s = await rolloutState().catch(() => undefined);
      if (s !== undefined && !s.finished && s.state.stepIndex >= 1) break;
      assert.ok(Date.now() < giveUpAt, "the canary did not reach its pause step");
      await sleep(100);
    }
    child.kill("SIGKILL");
    await exited;
    const mid = await sample(40);
    assert.ok((mid["v1"] ?? 0) > 0 && (mid["v2"] ?? 0) > 0, `both versions serve while nobody drives the rollout: ${JSON.stringify(mid)}`);
    const resumed = await cli("rollout", "resume", "hello", "--env", "test");
    await sleep(500);
    const r = await load.stop();
    report("kill -9 and resume", r);
    await assertSucceeded(resumed, "rollout resume");
    assertNoFailures(r);
    assert.deepEqual(await sample(20), { v2: 20 });
    const state = await rolloutState();
    assert.equal(state.outcome, "healthy");
    const all = await containers();
    assert.equal(all.length, 2, `only the new revision's 2 instances are left: ${JSON.stringify(all)}`);
    assert.ok(all.every((c) => c.revision === state.state.targetRevision && c.state === "running"));
    const routes = JSON.parse(readFileSync(join(root, ".slipway", "routers", "test", "routes.json"), "utf8")) as { services: Record<string, { backends: Record<string, { revision: string }> }> };
    const backends = Object.values(routes.services["hello"]?.backends ?? {});
    assert.equal(backends.length, 2, JSON.stringify(backends));
    assert.ok(backends.every((b) => b.revision === state.state.targetRevision));
  });

  it("`slipway status` shows version, digest, ready instances and the split; `slipway rollback` returns to the previous revision under load", async () => {
    const status = await cli("status");
    await assertSucceeded(status, "status");
    const digest = (images["v2"] as string).slice(0, 19);
    assert.match(status.stdout, new RegExp(`test\\s+hello\\s+-\\s+${digest}\\s+healthy\\s+2/2\\s+2\\s+r-[0-9a-f]{10} 100%\\s+healthy`), status.stdout);
    const load = startLoad();
    const rolledBack = await cli("rollback", "hello", "--env", "test");
    await sleep(500);
    const r = await load.stop();
    report("rollback", r);
    await assertSucceeded(rolledBack, "rollback");
    assertNoFailures(r);
    assert.deepEqual(await sample(20), { v1: 20 });
  });

  it("`rollout pause` holds a canary past its timed pause; `rollout resume` completes it: no failed request", async () => {
    // The timed pause is long enough for `rollout pause` to land inside it on a busy machine; the test
    // then waits for the end the rollout itself recorded for it, not for a fixed time.
    // Read from the store, not through the CLI: at a load of 18 each CLI call took seconds and a 30 s pause was over first.
    writeService("{ canary: { steps: [{ setWeight: 50 }, { pause: { duration: 45 } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }");
    const load = startLoad();
    const deploying = cli("deploy", "hello", "--env", "test", "--digest", images["v2"] as string);
    const giveUpAt = Date.now() + 120_000;
    for (;;) {
      const s = storedRollout();
      if (s !== undefined && !s.finished && s.state.stepIndex >= 1) break;
      assert.ok(Date.now() < giveUpAt, "the canary did not reach its pause step");
      await sleep(50);
    }
    await assertSucceeded(await cli("rollout", "pause", "hello", "--env", "test"), "rollout pause");
    const deployed = await deploying;
    await assertSucceeded(deployed, "deploy (ends at the pause)");
    assert.match(deployed.stdout, /paused by `slipway rollout pause`.*slipway rollout resume hello --env test/);
    const pausedAt = await rolloutState();
    assert.equal(pausedAt.finished, false, "`rollout pause` landed before the timed pause ended");
    assert.equal(pausedAt.state.pause?.kind, "timed", JSON.stringify(pausedAt.state));
    // Past the timed pause's recorded end, plus a loop iteration or two (500 ms each).
    await sleep(Math.max(0, (pausedAt.state.pause?.untilMs ?? 0) - Date.now()) + 1_500);
    const held = await rolloutState();
    assert.equal(held.finished, false);
    assert.equal(held.state.stepIndex, 1);
    await assertSucceeded(await cli("rollout", "resume", "hello", "--env", "test"), "rollout resume");
    await sleep(500);
    const r = await load.stop();
    report("pause and resume", r);
    assertNoFailures(r);
    assert.deepEqual(await sample(20), { v2: 20 });
  });

  it("blue-green: green is reachable by header and on the preview port before the switch; `rollout promote` switches all traffic at once: no failed request", async () => {
    writeService("{ blueGreen: { scaleDownDelaySeconds: 0 } }");
    const load = startLoad();
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["v1"] as string);
    await assertSucceeded(deployed, "blue-green deploy up to the promotion");
    assert.match(deployed.stdout, /slipway rollout promote hello --env test/);
    assert.deepEqual(await sample(20), { v2: 20 });
    const agent = new http.Agent({ keepAlive: false });
    assert.deepEqual(await getOnce(agent, ENDPOINT, { "X-Slipway-Canary": "always" }), { status: 200, body: "v1" });
    agent.destroy();
    // The preview endpoint reaches only green.
    assert.deepEqual(await sampleOn(PREVIEW, 5), { v1: 5 });
    assert.match((await cli("rollout", "status", "hello", "--env", "test")).stdout, /preview http:\/\/127\.0\.0\.1:16011/);
    await assertSucceeded(await cli("rollout", "promote", "hello", "--env", "test"), "rollout promote");
    await sleep(500);
    const r = await load.stop();
    report("blue-green", r);
    assertNoFailures(r);
    assert.deepEqual(await sample(20), { v1: 20 });
    assert.equal((await containers()).length, 2);
  });
});
