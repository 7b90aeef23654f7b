// `slipway serve` end to end: the real process with its controllers, real
// Docker, the environment's real HAProxy and a tiny Python service. A
// deployer's token deploys, steers a canary and rolls back over the API
// while the event stream shows the weights move; SIGTERM leaves a paused
// canary where it is and the next `slipway serve` finishes it.
// Loopback ports 25500-25599 only.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, runCli, writeScratchService, type CliResult } from "./helpers.js";
import { sample as sampleOn } from "./keepalive-load.js";
import { buildAndPushPython, pythonServer, quickHelloFields, removeScratchSystem, systemYaml } from "./python-service.js";
import { apiCall, pollUntil, readRollout, startServe, type ServeProcess, type ServedRollout } from "./serve-process.js";

const DEV_REGISTRY = 25590;
const PROD_REGISTRY = 25591;
/** portOffset 23600: endpoint 1910 → 25510, router control port 23600 + 1999 = 25599. */
const PORT_OFFSET = 23600;
const ENDPOINT = 25510;
const API_PORT = 25520;
const API = `http://127.0.0.1:${API_PORT}`;
const SYSTEM = "e2e-serve";
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-serve-e2e-"));
const images: Record<string, string> = {};
let deployer = "";
let viewer = "";
let serve: ServeProcess | undefined;
const serveLog = (): string => serve?.log() ?? "";

const serverPy = pythonServer('VERSION = os.environ["APP_VERSION"]', `if self.path == "/healthz": status, body = 200, b"ok"
else: status, body = 200, VERSION.encode()`);

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);
const sample = (n: number): Promise<Record<string, number>> => sampleOn(ENDPOINT, n);

const api = (method: string, path: string, token: string, body?: unknown): ReturnType<typeof apiCall> => apiCall(API, token, method, path, body);
const rollout = (): Promise<ServedRollout> => readRollout(API, viewer, "test");
const until = pollUntil(serveLog, 200, 60_000);

/** Reads server-sent events until `match` holds for one; returns it. */
async function nextEvent(stream: ReadableStreamDefaultReader<Uint8Array>, buffer: { text: string }, match: (type: string, data: Record<string, unknown>) => boolean, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const decoder = new TextDecoder();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let end = buffer.text.indexOf("\n\n");
    while (end >= 0) {
      const frame = buffer.text.slice(0, end);
      buffer.text = buffer.text.slice(end + 2);
      const type = /^event: (.*)$/m.exec(frame)?.[1];
      const data = /^data: (.*)$/m.exec(frame)?.[1];
      if (type !== undefined && data !== undefined) {
        const parsed = JSON.parse(data) as Record<string, unknown>;
        if (match(type, parsed)) return parsed;
      }
      end = buffer.text.indexOf("\n\n");
    }
    if (Date.now() > deadline) throw new Error("no matching event in time");
    const { value, done } = await stream.read();
    if (done) throw new Error("the event stream ended");
    buffer.text += decoder.decode(value);
  }
}

describe("slipway serve", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    writeFileSync(join(root, "slipway.yaml"), systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [`{ name: test, registry: dev, portOffset: ${PORT_OFFSET} }`]));
    writeScratchService(root, { owners: "[alice@example.com]", ...quickHelloFields, strategy: "{ canary: { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }" });
    await ok(await cli("up"), "slipway up");
    images["v1"] = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:v1`, serverPy, { APP_VERSION: "v1" });
    images["v2"] = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:v2`, serverPy, { APP_VERSION: "v2" });
    await ok(await cli("users", "add", "dan", "--role", "deployer"), "users add dan");
    await ok(await cli("users", "add", "val", "--role", "viewer"), "users add val");
    deployer = (await ok(await cli("token", "create", "--user", "dan", "--role", "deployer"), "token create")).stdout.trim();
    viewer = (await ok(await cli("token", "create", "--user", "val", "--role", "viewer"), "token create")).stdout.trim();
    serve = await startServe(root, API_PORT);
  });

  after(async () => {
    await serve?.stop();
    await cli("down");
    await removeScratchSystem(engine, SYSTEM, Object.keys(images).map((version) => `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`), root);
  });

  it("a deploy over the API is driven by the server's controller", async () => {
    const res = await api("POST", "/api/environments/test/services/hello/deploy", deployer, { digest: images["v1"] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await until("v1 healthy", async () => ((await rollout()).outcome === "healthy" ? true : undefined));
    assert.deepEqual(await sample(10), { v1: 10 });
  });

  it("a canary moves live in the event stream; promote over the API finishes it; a viewer may watch but not steer", async () => {
    const events = await fetch(`${API}/api/events`, { headers: { authorization: `Bearer ${viewer}` } });
    assert.equal(events.status, 200);
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    const buffer = { text: "" };
    const deployed = await api("POST", "/api/environments/test/services/hello/deploy", deployer, { digest: images["v2"] });
    assert.equal(deployed.status, 202, JSON.stringify(deployed.body));
    await nextEvent(reader, buffer, (type) => type === "rollout.started");
    const atHalf = await nextEvent(reader, buffer, (type, e) => type === "rollout.progress" && Object.values((e["observed"] as { weights: Record<string, number> }).weights).includes(50) && (e["state"] as { pause?: { kind: string } }).pause?.kind === "manual");
    assert.equal(atHalf["service"], "hello");
    const split = await sample(40);
    assert.ok((split["v1"] ?? 0) > 0 && (split["v2"] ?? 0) > 0, JSON.stringify(split));
    // The CLI on the same machine keeps working: it reads the same store.
    const status = await ok(await cli("status", "--env", "test"), "slipway status");
    assert.match(status.stdout, /50%/);
    assert.equal((await api("POST", "/api/environments/test/services/hello/rollout/promote", viewer, {})).status, 403);
    assert.equal((await api("POST", "/api/environments/test/services/hello/rollout/promote", deployer, {})).status, 202);
    await nextEvent(reader, buffer, (type, e) => type === "rollout.progress" && (e["state"] as { phase: string }).phase === "completed" || (type === "rollout.progress" && Object.values((e["observed"] as { weights: Record<string, number> }).weights).includes(100)));
    await until("v2 healthy", async () => ((await rollout()).outcome === "healthy" ? true : undefined));
    assert.deepEqual(await sample(10), { v2: 10 });
    await reader.cancel();
  });

  it("rollback over the API returns to v1", async () => {
    const res = await api("POST", "/api/environments/test/services/hello/rollback", deployer, {});
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await until("the rollback healthy", async () => {
      const r = await rollout();
      return r.id === res.body["rolloutId"] && r.outcome === "healthy" ? true : undefined;
    });
    assert.deepEqual(await sample(10), { v1: 10 });
  });

  it("SIGTERM leaves a paused canary where it is; the next serve finishes it", async () => {
    const res = await api("POST", "/api/environments/test/services/hello/deploy", deployer, { digest: images["v2"] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await until("the canary at its manual pause", async () => ((await rollout()).state.pause?.kind === "manual" ? true : undefined));
    assert.equal(await serve?.stop(), 0, serveLog());
    assert.match(serveLog(), /rollouts in flight stay where they are/);
    const during = await sample(40);
    assert.ok((during["v1"] ?? 0) > 0 && (during["v2"] ?? 0) > 0, `the router keeps the split while no serve runs: ${JSON.stringify(during)}`);
    serve = await startServe(root, API_PORT);
    const left = await rollout();
    assert.equal(left.id, res.body["rolloutId"]);
    assert.equal(left.finished, false);
    assert.equal((await api("POST", "/api/environments/test/services/hello/rollout/promote", deployer, {})).status, 202);
    await until("v2 healthy after the restart", async () => ((await rollout()).outcome === "healthy" ? true : undefined));
    assert.deepEqual(await sample(10), { v2: 10 });
  });
  it("the CLI's remote mode (--server, SLIPWAY_TOKEN) rolls back, deploys, promotes and reads status and history through the server", async () => {
    const remote = (token: string, ...args: string[]): Promise<CliResult> => runCli(["--server", API, ...args], { SLIPWAY_TOKEN: token });
    const refused = await remote(viewer, "deploy", "hello", "--env", "test", "--digest", images["v1"] as string);
    assert.equal(refused.code, 9, refused.stderr);
    assert.match(refused.stderr, /FORBIDDEN: val is a viewer/);
    await ok(await remote(deployer, "rollback", "hello", "--env", "test"), "remote rollback");
    assert.deepEqual(await sample(10), { v1: 10 });
    const deployed = await ok(await remote(deployer, "deploy", "hello", "--env", "test", "--digest", images["v2"] as string), "remote deploy");
    assert.match(deployed.stdout, /recorded on http:\/\/127\.0\.0\.1:25520/);
    assert.equal((await rollout()).state.pause?.kind, "manual", "the remote deploy returns at the manual pause, as the local one does");
    const status = await ok(await remote(viewer, "status", "--env", "test"), "remote status");
    assert.match(status.stdout, /50%/);
    await ok(await remote(deployer, "rollout", "promote", "hello", "--env", "test"), "remote promote");
    assert.equal((await rollout()).outcome, "healthy");
    assert.deepEqual(await sample(10), { v2: 10 });
    const shown = await ok(await remote(viewer, "rollout", "status", "hello", "--env", "test"), "remote rollout status");
    assert.match(shown.stdout, /finished: healthy/);
    // The environment's lock history, read through the server: the remote deploy, recorded with the server's user.
    const history = await ok(await remote(viewer, "history", "--env", "test", "-n", "2"), "remote history");
    assert.match(history.stdout, /LOCK +WHEN \(UTC\) +WHO +ACTION +RESULT/);
    assert.equal(history.stdout.trim().split("\n").length, 3, history.stdout);
    const locks = JSON.parse((await ok(await remote(viewer, "--json", "history", "--env", "test"), "remote history --json")).stdout) as { locks: { environment: string }[] };
    assert.ok(locks.locks.length >= 2 && locks.locks.every((l) => l.environment === "test"), JSON.stringify(locks).slice(0, 300));
  });
});
