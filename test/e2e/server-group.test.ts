// `slipway promote` and `slipway rollback --to-lock` through `slipway serve`
// (the CLI's remote mode), end to end: the real serve process with its
// controllers, real Docker, HAProxy, registries and SQLite, a tiny Python
// service in two environments (test → stage). The server runs the group
// change as the caller (the lock history names the server's user, never
// this machine's), its controller drives each rollout, the CLI follows on the
// event stream; a viewer is refused (403) and bad input answers in words.
// `slipway audit` in remote mode reads the server's audit log.
// Loopback ports 13300-13599 only: `test` (portOffset 11400) endpoint 13310,
// router control 13399; `stage` (portOffset 11500) endpoint 13410, router
// control 13499; API 13520; registries 13590/13591.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, runCli, writeScratchService, type CliResult } from "./helpers.js";
import { sample } from "./keepalive-load.js";
import { buildAndPushPython, pythonServer, quickHelloFields, removeScratchSystem, systemYaml } from "./python-service.js";
import { apiCall, pollUntil, startServe, type ServeProcess } from "./serve-process.js";

const DEV_REGISTRY = 13590;
const PROD_REGISTRY = 13591;
const STAGE_ENDPOINT = 13410;
const API_PORT = 13520;
const API = `http://127.0.0.1:${API_PORT}`;
const SYSTEM = "e2e-serve-group";
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-serve-group-e2e-"));
const images: Record<string, string> = {};
let deployer = "";
let viewer = "";
let serve: ServeProcess | undefined;

const serverPy = pythonServer('VERSION = os.environ["APP_VERSION"]', `if self.path == "/healthz": status, body = 200, b"ok"
else: status, body = 200, VERSION.encode()`);

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);
/** The CLI in remote mode, from no system's folder: all it knows is the server and the token. */
const remote = (token: string, ...args: string[]): Promise<CliResult> => runCli(["--server", API, ...args], { SLIPWAY_TOKEN: token });
const until = pollUntil(() => serve?.log() ?? "", 200, 60_000);
const withLog = (what: string, r: CliResult): string => `${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nserve log:\n${serve?.log() ?? ""}`;

interface Lock {
  number: number;
  actor: string;
  action: string;
  result: string;
  detail: string;
}

/** Every event of the server's stream (as a viewer) until stop(): its name and data. */
async function collectEvents(): Promise<{ events: { type: string; data: Record<string, unknown> }[]; stop: () => void }> {
  const abort = new AbortController();
  const res = await fetch(`${API}/api/events`, { headers: { authorization: `Bearer ${viewer}` }, signal: abort.signal });
  assert.equal(res.status, 200);
  const events: { type: string; data: Record<string, unknown> }[] = [];
  void (async () => {
    let text = "";
    for await (const chunk of res.body as ReadableStream<Uint8Array>) {
      text += Buffer.from(chunk).toString();
      for (let end = text.indexOf("\n\n"); end >= 0; end = text.indexOf("\n\n")) {
        const frame = text.slice(0, end);
        text = text.slice(end + 2);
        const type = /^event: (.*)$/m.exec(frame)?.[1];
        const data = /^data: (.*)$/m.exec(frame)?.[1];
        if (type !== undefined && data !== undefined) events.push({ type, data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  })().catch(() => undefined);
  return { events, stop: () => abort.abort() };
}

async function newestLock(env: string): Promise<Lock> {
  const r = await apiCall(API, viewer, "GET", `/api/environments/${env}/history?limit=1`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body["locks"] as Lock[])[0] as Lock;
}

describe("promote and rollback --to-lock through slipway serve", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  let firstPromotion = 0;

  before(async () => {
    writeFileSync(join(root, "slipway.yaml"), systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, ["{ name: test, registry: dev, portOffset: 11400 }", "{ name: stage, registry: dev, portOffset: 11500 }"]));
    writeScratchService(root, { ...quickHelloFields });
    ok(await cli("up"), "slipway up");
    images["v1"] = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:v1`, serverPy, { APP_VERSION: "v1" });
    images["v2"] = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:v2`, serverPy, { APP_VERSION: "v2" });
    ok(await cli("users", "add", "dan", "--role", "deployer"), "users add dan");
    ok(await cli("users", "add", "val", "--role", "viewer"), "users add val");
    deployer = ok(await cli("token", "create", "--user", "dan", "--role", "deployer"), "token create").stdout.trim();
    viewer = ok(await cli("token", "create", "--user", "val", "--role", "viewer"), "token create").stdout.trim();
    serve = await startServe(root, API_PORT);
  });

  after(async () => {
    await serve?.stop();
    await cli("down");
    await removeScratchSystem(engine, SYSTEM, Object.keys(images).map((version) => `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`), root);
  });

  it("a remote promote runs on the server as the caller; the CLI prints its group as it moves and ends", async () => {
    const deployed = await remote(deployer, "deploy", "hello", "--env", "test", "--digest", images["v1"] as string);
    assert.equal(deployed.code, 0, withLog("remote deploy", deployed));
    const stream = await collectEvents();
    const promoted = await remote(deployer, "promote", "--from", "test", "--to", "stage");
    stream.stop();
    assert.equal(promoted.code, 0, withLog("remote promote", promoted));
    // The server's own controller drove the rollout; the promotion followed it (one driver, one router writer).
    const following = stream.events.filter((e) => e.type === "rollout.following" && e.data["environment"] === "stage");
    assert.equal(following.length, 1, JSON.stringify(stream.events.map((e) => e.type)));
    assert.equal(following[0]?.data["pid"], serve?.child.pid);
    assert.ok(stream.events.some((e) => e.type === "controller.driving" && e.data["environment"] === "stage" && e.data["rolloutId"] === following[0]?.data["rolloutId"]), "the stage controller drove the promotion's rollout");
    assert.match(promoted.stdout, /promoting stage from test as one group \(promote-[0-9a-f-]+\): hello/);
    assert.match(promoted.stdout, /stage: promoted — recorded as lock \d+/);
    assert.match(promoted.stdout, /promoted hello from test to stage: lock \d+/);
    assert.deepEqual(await sample(STAGE_ENDPOINT, 10), { v1: 10 });
    const lock = await newestLock("stage");
    assert.deepEqual({ actor: lock.actor, action: lock.action, result: lock.result }, { actor: "dan", action: "promote", result: "promoted" }, "recorded by the server as its user, not by this machine's identity");
    firstPromotion = lock.number;
    const again = await remote(deployer, "promote", "--from", "test", "--to", "stage");
    assert.equal(again.code, 0, withLog("promote again", again));
    assert.match(again.stdout, /stage already runs what test runs; nothing to promote/);
  });

  it("a viewer is refused (403); bad input is refused in words, with the local command's codes and hints", async () => {
    const viewerPromote = await remote(viewer, "promote", "--from", "test", "--to", "stage");
    assert.equal(viewerPromote.code, 9, viewerPromote.stderr);
    assert.match(viewerPromote.stderr, /answered 403: FORBIDDEN: val is a viewer; POST \/api\/environments\/stage\/promote needs the deployer role/);
    const viewerRollback = await remote(viewer, "rollback", "--env", "stage", "--to-lock", "1");
    assert.equal(viewerRollback.code, 9, viewerRollback.stderr);
    assert.match(viewerRollback.stderr, /answered 403: FORBIDDEN: val is a viewer/);

    const backwards = await remote(deployer, "promote", "--from", "stage", "--to", "test");
    assert.equal(backwards.code, 2, backwards.stderr);
    assert.match(backwards.stderr, /test is the first environment: nothing is promoted into it/);
    assert.match(backwards.stderr, /code: USAGE/);
    assert.match(backwards.stderr, /try: the promotion path: test → stage/);
    const noLock = await remote(deployer, "rollback", "--env", "stage", "--to-lock", "99");
    assert.equal(noLock.code, 2, noLock.stderr);
    assert.match(noLock.stderr, /stage has no lock 99 in its history \(locks 1–\d+\)/);
    assert.match(noLock.stderr, /try: `slipway history --env stage` lists them/);
    const notANumber = await remote(deployer, "rollback", "--env", "stage", "--to-lock", "latest");
    assert.equal(notANumber.code, 2, notANumber.stderr);
    assert.match(notANumber.stderr, /--to-lock latest is not a lock number/);
    const badBody = await apiCall(API, deployer, "POST", "/api/environments/stage/promote", { from: "Test Env" });
    assert.equal(badBody.status, 400);
    assert.match(JSON.stringify(badBody.body), /body\.from: must be a DNS label/);
    const badLock = await apiCall(API, deployer, "POST", "/api/environments/stage/history/0/rollback", {});
    assert.equal(badLock.status, 400);
    assert.match(JSON.stringify(badLock.body), /params\.number/);
    assert.equal((await newestLock("stage")).number, firstPromotion, "nothing refused changed the history");
  });

  it("one group change of an environment at a time on the server: a second is refused (409) naming the first", async () => {
    ok(await remote(deployer, "deploy", "hello", "--env", "test", "--digest", images["v2"] as string), "remote deploy v2");
    const first = await apiCall(API, deployer, "POST", "/api/environments/stage/promote", { from: "test" });
    assert.equal(first.status, 202, JSON.stringify(first.body));
    assert.equal(first.body["kind"], "started");
    const second = await apiCall(API, deployer, "POST", "/api/environments/stage/promote", { from: "test" });
    assert.equal(second.status, 409, JSON.stringify(second.body));
    assert.match(JSON.stringify(second.body), /ROLLOUT_IN_PROGRESS.*stage is already being changed as a group: a promotion test → stage by dan/);
    const done = await until("the first promotion recorded", async () => {
      const lock = await newestLock("stage");
      return lock.detail.includes(`(${String(first.body["groupId"])})`) ? lock : undefined;
    });
    assert.equal(done.result, "promoted", done.detail);
    assert.deepEqual(await sample(STAGE_ENDPOINT, 10), { v2: 10 });
  });

  it("a remote rollback --to-lock takes the system back on the server, as the caller", async () => {
    const back = await remote(deployer, "rollback", "--env", "stage", "--to-lock", String(firstPromotion));
    assert.equal(back.code, 0, withLog("remote rollback --to-lock", back));
    assert.match(back.stdout, new RegExp(`rolled back stage to lock ${firstPromotion} \\(hello\\): recorded as lock \\d+`));
    assert.deepEqual(await sample(STAGE_ENDPOINT, 10), { v1: 10 });
    const lock = await newestLock("stage");
    assert.deepEqual({ actor: lock.actor, action: lock.action, result: lock.result }, { actor: "dan", action: "rollback-to-lock", result: "healthy" });
    const already = await remote(deployer, "rollback", "--env", "stage", "--to-lock", String(firstPromotion));
    assert.equal(already.code, 0, withLog("rollback again", already));
    assert.match(already.stdout, new RegExp(`stage already runs the digests of lock ${firstPromotion}; nothing to roll back`));
  });

  it("the remote audit reads the server's audit log: the group changes and the refusals, by user; its chain verifies", async () => {
    const audit = await remote(viewer, "audit", "-n", "200");
    assert.equal(audit.code, 0, withLog("remote audit", audit));
    assert.match(audit.stdout, /dan +api POST ok +promote test → stage/);
    assert.match(audit.stdout, new RegExp(`dan +api POST ok +rollback stage to lock ${firstPromotion}`));
    assert.match(audit.stdout, /val +api POST refused +\/api\/environments\/stage\/promote .*"status":403/);
    const verified = await remote(viewer, "audit", "verify");
    assert.equal(verified.code, 0, withLog("remote audit verify", verified));
    assert.match(verified.stdout, /audit log intact: \d+ entries, hash chain verified/);
    const badLimit = await remote(viewer, "audit", "-n", "lots");
    assert.equal(badLimit.code, 9, badLimit.stderr);
    assert.match(badLimit.stderr, /VALIDATION: invalid query: query\.limit/);
  });
});
