// `slipway rollout retry` and `slipway rollout undo [--to-revision N]` end to
// end: the real CLI against real Docker, the environment's real HAProxy and
// the real SQLite store, with a tiny Python service image in three variants
// (v1, v2, v3). Every operation that moves traffic runs under a keep-alive
// load through the service's router endpoint; every non-2xx answer or
// connection error counts as a failure. A canary's step analysis asks a web
// "gate" served by this test, so an analysis can fail for a reason outside
// the image and pass on retry. Loopback ports 16101-16199 only.
//
// The tests run in order and build one history: v1 (first deploy) → v2
// (canary aborted by hand, retried) → v3 (canary aborted by a failed
// analysis, retried) → undo to revision 1 → undo to the previous one.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded, repoRoot, runCli, type CliResult } from "./helpers.js";
import { assertNoFailures as assertNoFailuresIn, describeLoad, type LoadResult, sample as sampleOn, startLoad as startLoadOn, stopAllLoads } from "./keepalive-load.js";
import { buildAndPushPython, pythonServer } from "./python-service.js";

const DEV_REGISTRY = 16190;
const PROD_REGISTRY = 16191;
/** portOffset 14200: endpoint 1910 → 16110, router control port 14200 + 1999 = 16199. */
const PORT_OFFSET = 14200;
const ENDPOINT = 16110;
/** The analysis gate this test serves to the controller (a web metric provider). */
const GATE_PORT = 16150;
const SYSTEM = "e2e-rollout-history";
const engine = new DockerEngine();
const docker = engine.api;
const root = mkdtempSync(join(tmpdir(), "slipway-rollout-history-e2e-"));
/** Version → pushed digest. */
const images: Record<string, string> = {};

const serverPy = pythonServer('VERSION = os.environ["APP_VERSION"]', `body = b"ok" if self.path == "/healthz" else VERSION.encode()
status = 200`);

const imageTag = (version: string): string => `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`;
const buildAndPush = (version: string): Promise<string> => buildAndPushPython(engine, root, imageTag(version), serverPy, { APP_VERSION: version });

function writeService(strategy: string, extra = ""): void {
  writeFileSync(
    join(root, "services", "hello", "slipway.service.yaml"),
    `name: hello
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: 1910 }
readiness: { http: { path: /healthz }, periodSeconds: 0.2, failureThreshold: 2 }
replicas: 2
terminationGracePeriodSeconds: 5
strategy: ${strategy}
${extra}`,
  );
  // validate requires the Dockerfile a service is built from.
  writeFileSync(join(root, "services", "hello", "Dockerfile"), "FROM scratch\n");
}

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);

/** CLI processes started in the background, killed in `after` if a failed test left one running. */
const children = new Set<ChildProcess>();

/** The CLI in the background, like `cli` but with the process at hand. */
function cliInBackground(...args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, ...args], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
  return new Promise((resolve) =>
    child.once("close", (code) => {
      children.delete(child);
      resolve({ code: code ?? 1, stdout, stderr });
    }),
  );
}

// --- load (keepalive-load.ts) -------------------------------------------

const startLoad = (rps?: number): ReturnType<typeof startLoadOn> => startLoadOn(ENDPOINT, rps);
const sample = (n: number): Promise<Record<string, number>> => sampleOn(ENDPOINT, n);
const totals = { requests: 0, failed: 0 };

function report(name: string, r: LoadResult): void {
  totals.requests += r.sent;
  totals.failed += r.failures.length;
  console.log(describeLoad(name, r));
}

/** At least 500 requests in every load window, none failed. */
const assertNoFailures = (r: LoadResult): void => assertNoFailuresIn(r, 500);

// --- what slipway and Docker say -----------------------------------------

interface Container {
  id: string;
  revision: string;
  state: string;
}

/** Containers of the system, by revision label, sorted by id. */
async function containers(): Promise<Container[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } });
  return list.map((c) => ({ id: c.Id, revision: c.Labels["org.slipway.revision"] ?? "?", state: c.State })).sort((a, b) => a.id.localeCompare(b.id));
}

interface RolloutView {
  id: string;
  finished: boolean;
  outcome?: string;
  state: { stepIndex: number; phase: string; attempt: number; targetRevision: string; stableRevision?: string; aborted: boolean };
}

async function rolloutState(): Promise<RolloutView> {
  const result = await cli("--json", "rollout", "status", "hello", "--env", "test");
  assertSucceeded(result, "rollout status");
  return (JSON.parse(result.stdout) as { rollout: RolloutView }).rollout;
}

interface Revision {
  number: number;
  name: string;
  /** v1, v2 or v3: the image's digest looked up among the images built here. */
  version: string;
}

/** The revision list `slipway rollout status` prints, oldest number first. */
async function revisions(): Promise<Revision[]> {
  const result = await cli("rollout", "status", "hello", "--env", "test");
  assertSucceeded(result, "rollout status");
  const byDigest = new Map(Object.entries(images).map(([version, digest]) => [digest, version]));
  return [...result.stdout.matchAll(/^\s*revision (\d+) (r-[0-9a-f]+) .*@(sha256:[0-9a-f]{64})\s*$/gm)]
    .map((m) => ({ number: Number(m[1]), name: m[2] as string, version: byDigest.get(m[3] as string) ?? `unknown ${m[3]}` }))
    .sort((a, b) => a.number - b.number);
}

const history = (list: readonly Revision[]): string[] => list.map((r) => `${r.number}:${r.version}`);

/** Waits until the rollout in flight reached `stepIndex` (the controller runs in another process). */
async function untilStep(stepIndex: number): Promise<void> {
  const giveUpAt = Date.now() + 60_000;
  for (;;) {
    const s = await rolloutState().catch(() => undefined);
    if (s !== undefined && !s.finished && s.state.stepIndex >= stepIndex) return;
    assert.ok(Date.now() < giveUpAt, `the rollout did not reach step ${stepIndex}`);
    await sleep(100);
  }
}

/** The router's backends of the service, from the route table the controller keeps. */
function routedRevisions(): string[] {
  const routes = JSON.parse(readFileSync(join(root, ".slipway", "routers", "test", "routes.json"), "utf8")) as { services: Record<string, { backends: Record<string, { revision: string }> }> };
  return Object.values(routes.services["hello"]?.backends ?? {}).map((b) => b.revision);
}

/** After a finished rollout: exactly `replicas` running instances, all of `revision`, and only they in the router. */
async function assertOnlyRevision(revision: string): Promise<void> {
  const all = await containers();
  assert.equal(all.length, 2, `only ${revision}'s 2 instances are left: ${JSON.stringify(all)}`);
  assert.ok(all.every((c) => c.revision === revision && c.state === "running"), JSON.stringify(all));
  assert.deepEqual(routedRevisions(), [revision, revision]);
}

// --- the analysis gate ----------------------------------------------------

/** What the gate answers ($.pass) and the paths it was asked for. */
const gate = { pass: false, requests: [] as string[] };
const gateServer = http.createServer((req, res) => {
  gate.requests.push(req.url ?? "");
  const body = JSON.stringify({ pass: gate.pass });
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }).end(body);
});

describe("rollout retry and undo", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    await new Promise<void>((resolve, reject) => gateServer.once("error", reject).listen(GATE_PORT, "127.0.0.1", resolve));
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
    assertSucceeded(await cli("up"), "slipway up");
    for (const version of ["v1", "v2", "v3"]) images[version] = await buildAndPush(version);
    assertSucceeded(await cli("deploy", "hello", "--env", "test", "--digest", images["v1"] as string), "first deploy of v1");
    assert.deepEqual(await sample(20), { v1: 20 });
    assert.deepEqual(history(await revisions()), ["1:v1"]);
  });

  after(async () => {
    await stopAllLoads();
    for (const child of [...children]) child.kill("SIGKILL");
    await cli("down");
    for (const c of await containers()) await docker.getContainer(c.id).remove({ force: true }).catch(() => undefined);
    for (const version of ["v1", "v2", "v3"]) await docker.getImage(imageTag(version)).remove({ force: true }).catch(() => undefined);
    await new Promise<void>((resolve) => gateServer.close(() => resolve()));
    rmSync(root, { recursive: true, force: true });
    console.log(`# all loads: ${totals.requests} requests, ${totals.failed} failed`);
  });

  it("a canary aborted by `rollout abort` is retried by `rollout retry` and completes healthy: no failed request", async () => {
    writeService("{ canary: { steps: [{ setWeight: 50 }, { pause: { duration: 2 } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }");
    const load = startLoad();
    const deploying = cliInBackground("deploy", "hello", "--env", "test", "--digest", images["v2"] as string);
    await untilStep(1);
    const aborted = await cli("rollout", "abort", "hello", "--env", "test");
    const deployed = await deploying;
    const afterAbort = await sample(20);
    const abortedState = await rolloutState();
    const retried = await cli("rollout", "retry", "hello", "--env", "test");
    await sleep(500);
    const r = await load.stop();
    report("canary aborted by hand, then retried", r);
    assertSucceeded(aborted, "rollout abort");
    assert.equal(deployed.code, 1, `the aborted deploy exits 1\n${deployed.stdout}${deployed.stderr}`);
    assert.match(deployed.stdout, /aborted: rollout hello-/);
    assert.deepEqual(afterAbort, { v1: 20 });
    assert.equal(abortedState.outcome, "aborted");
    assert.equal(abortedState.state.attempt, 1);
    assertSucceeded(retried, "rollout retry");
    assert.match(retried.stdout, /healthy: rollout hello-/);
    assertNoFailures(r);
    assert.ok((r.byBody["v1"] ?? 0) > 0 && (r.byBody["v2"] ?? 0) > 0, JSON.stringify(r.byBody));
    assert.deepEqual(await sample(20), { v2: 20 });
    const state = await rolloutState();
    assert.equal(state.id, abortedState.id, "retry goes on with the same rollout");
    assert.equal(state.outcome, "healthy");
    assert.equal(state.state.attempt, 2);
    assert.equal(state.state.targetRevision, abortedState.state.targetRevision, "retry rolls the same target out again");
    await assertOnlyRevision(state.state.targetRevision);
    assert.deepEqual(history(await revisions()), ["1:v1", "2:v2"], "a retry makes no new revision");
  });

  it("retry of a rollout that ended healthy is refused and changes nothing", async () => {
    const before = { containers: await containers(), state: await rolloutState() };
    const load = startLoad();
    const retried = await cli("rollout", "retry", "hello", "--env", "test");
    await sleep(1000);
    const r = await load.stop();
    report("retry refused", r);
    assert.equal(retried.code, 2, retried.stdout + retried.stderr);
    assert.match(retried.stderr, new RegExp(`rollout ${before.state.id} ended healthy: there is nothing to retry`));
    assertNoFailures(r);
    assert.deepEqual(r.byBody, { v2: r.sent });
    assert.deepEqual(await containers(), before.containers);
    assert.deepEqual(await rolloutState(), before.state);
  });

  it("a canary aborted by a failed step analysis is retried once the gate passes and completes healthy: no failed request", async () => {
    writeService(
      "{ canary: { steps: [{ setWeight: 50 }, { analysis: { metrics: [gate] } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }",
      `analysis:
  metrics:
    - name: gate
      provider: { web: { url: "http://127.0.0.1:${GATE_PORT}/gate/{{revision}}", jsonPath: "$.pass" } }
      successCondition: "result == true"
      interval: 0.5
      count: 2
      failureLimit: 0
`,
    );
    gate.pass = false;
    gate.requests.length = 0;
    const load = startLoad();
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["v3"] as string);
    const afterAbort = await sample(20);
    const abortedState = await rolloutState();
    const askedWhenFailing = gate.requests.length;
    gate.pass = true;
    const retried = await cli("rollout", "retry", "hello", "--env", "test");
    await sleep(500);
    const r = await load.stop();
    report("canary aborted by analysis, then retried", r);
    assert.equal(deployed.code, 1, deployed.stdout + deployed.stderr);
    assert.match(deployed.stdout, /aborted: rollout hello-.*gate/);
    assert.deepEqual(afterAbort, { v2: 20 });
    assert.equal(abortedState.outcome, "aborted");
    assert.ok(askedWhenFailing >= 1, "the failing analysis asked the gate");
    assertSucceeded(retried, "rollout retry");
    assert.ok(gate.requests.length >= askedWhenFailing + 2, `the retried analysis measured twice: ${JSON.stringify(gate.requests)}`);
    assert.ok(
      gate.requests.every((u) => u === `/gate/${abortedState.state.targetRevision}`),
      JSON.stringify(gate.requests),
    );
    assertNoFailures(r);
    assert.ok((r.byBody["v2"] ?? 0) > 0 && (r.byBody["v3"] ?? 0) > 0, JSON.stringify(r.byBody));
    assert.deepEqual(await sample(20), { v3: 20 });
    const state = await rolloutState();
    assert.equal(state.outcome, "healthy");
    assert.equal(state.state.attempt, 2);
    assert.equal(state.state.targetRevision, abortedState.state.targetRevision);
    await assertOnlyRevision(state.state.targetRevision);
    assert.deepEqual(history(await revisions()), ["1:v1", "2:v2", "3:v3"]);
  });

  it("`rollout undo --to-revision 1` brings v1 back as the newest revision; an unknown revision is refused; plain undo goes to the previous one: no failed request", async () => {
    const start = await revisions();
    assert.deepEqual(history(start), ["1:v1", "2:v2", "3:v3"], "three revisions deployed one after the other");
    const v1 = start[0] as Revision;
    const v3 = start[2] as Revision;

    // undo --to-revision 1
    let load = startLoad();
    const undone = await cli("rollout", "undo", "hello", "--env", "test", "--to-revision", "1");
    await sleep(500);
    let r = await load.stop();
    report("undo --to-revision 1", r);
    assertSucceeded(undone, "rollout undo --to-revision 1");
    assert.match(undone.stdout, new RegExp(`rolling hello back to ${v1.name}`));
    assertNoFailures(r);
    assert.ok((r.byBody["v3"] ?? 0) > 0 && (r.byBody["v1"] ?? 0) > 0, JSON.stringify(r.byBody));
    assert.deepEqual(await sample(20), { v1: 20 });
    const afterUndo = await rolloutState();
    assert.equal(afterUndo.outcome, "healthy");
    assert.equal(afterUndo.state.targetRevision, v1.name);
    await assertOnlyRevision(v1.name);
    const renumbered = await revisions();
    assert.deepEqual(history(renumbered), ["2:v2", "3:v3", "4:v1"], "v1 is renumbered as the newest revision");
    assert.equal(renumbered.at(-1)?.name, v1.name, "the same revision, not a new one");

    // --to-revision 99: refused, nothing changes
    const beforeRefusal = { containers: await containers(), state: await rolloutState() };
    load = startLoad();
    const refused = await cli("rollout", "undo", "hello", "--env", "test", "--to-revision", "99");
    const current = await cli("rollout", "undo", "hello", "--env", "test", "--to-revision", "4");
    await sleep(1000);
    r = await load.stop();
    report("undo to an unknown revision (refused)", r);
    assert.equal(refused.code, 2, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /cannot undo: revision 99 is not in the history \(kept: 2, 3, 4;/);
    assert.equal(current.code, 2, current.stdout + current.stderr);
    assert.match(current.stderr, new RegExp(`cannot undo: revision 4 \\(${v1.name}\\) is already the one rolled out`));
    assertNoFailures(r);
    assert.deepEqual(r.byBody, { v1: r.sent });
    assert.deepEqual(await containers(), beforeRefusal.containers);
    assert.deepEqual(await rolloutState(), beforeRefusal.state);
    assert.deepEqual(routedRevisions(), [v1.name, v1.name]);
    assert.deepEqual(history(await revisions()), ["2:v2", "3:v3", "4:v1"]);

    // plain undo: the previous revision (v3, which served before v1 came back)
    load = startLoad();
    const previous = await cli("rollout", "undo", "hello", "--env", "test");
    await sleep(500);
    r = await load.stop();
    report("undo to the previous revision", r);
    assertSucceeded(previous, "rollout undo");
    assert.match(previous.stdout, new RegExp(`rolling hello back to ${v3.name}`));
    assertNoFailures(r);
    assert.ok((r.byBody["v1"] ?? 0) > 0 && (r.byBody["v3"] ?? 0) > 0, JSON.stringify(r.byBody));
    assert.deepEqual(await sample(20), { v3: 20 });
    const afterPlainUndo = await rolloutState();
    assert.equal(afterPlainUndo.outcome, "healthy");
    assert.equal(afterPlainUndo.state.targetRevision, v3.name);
    await assertOnlyRevision(v3.name);
    assert.deepEqual(history(await revisions()), ["2:v2", "4:v1", "5:v3"]);
  });
});
