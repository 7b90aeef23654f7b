// `slipway controller --env` end to end: the controller as a long-running
// process on real Docker and HAProxy. While it runs, `deploy` and `rollout …`
// only record what they want and follow through the store; the controller
// drives — also after the command that started a rollout is gone. Loopback
// ports 16501-16599 only.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, repoRoot, runCli, type CliResult } from "./helpers.js";
import { buildAndPushPython, pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 16590;
const PROD_REGISTRY = 16591;
/** portOffset 14600: endpoint 1910 → 16510; router control port 14600 + 1999 = 16599. */
const PORT_OFFSET = 14600;
const ENDPOINT = 16510;
const SYSTEM = "e2e-controller";
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-controller-e2e-"));
const images: Record<string, string> = {};
const serverPy = pythonServer('VERSION = os.environ["APP_VERSION"]', `if self.path == "/healthz": status, body = 200, b"ok"
else: status, body = 200, VERSION.encode()`);

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);

function writeService(strategy: string): void {
  writeFileSync(
    join(root, "services", "hello", "slipway.service.yaml"),
    `name: hello
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: 1910 }
readiness: { http: { path: /healthz }, periodSeconds: 0.2 }
replicas: 1
terminationGracePeriodSeconds: 2
strategy: ${strategy}
`,
  );
  // validate requires the Dockerfile a service is built from.
  writeFileSync(join(root, "services", "hello", "Dockerfile"), "FROM scratch\n");
}

async function answers(n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const res = await fetch(`http://127.0.0.1:${ENDPOINT}/`, { signal: AbortSignal.timeout(5000) });
    const key = res.status === 200 ? await res.text() : `HTTP ${res.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function rollout(): Promise<{ finished: boolean; outcome?: string; state: { stepIndex: number; phase: string } }> {
  const status = await cli("--json", "rollout", "status", "hello", "--env", "test");
  assert.equal(status.code, 0, status.stderr);
  return (JSON.parse(status.stdout) as { rollout: { finished: boolean; outcome?: string; state: { stepIndex: number; phase: string } } }).rollout;
}

async function until(what: string, check: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const giveUpAt = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < giveUpAt, `timed out waiting until ${what}`);
    await sleep(200);
  }
}

/** The controller as a child process, with what it has printed so far. */
function startController(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, "controller", "--env", "test"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
  let text = "";
  child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (text += d.toString()));
  return { child, output: () => text, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
}

describe("slipway controller --env", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  let controller: ReturnType<typeof startController> | undefined;

  before(async () => {
    mkdirSync(join(root, "services", "hello"), { recursive: true });
    writeFileSync(join(root, "slipway.yaml"), systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [`{ name: test, registry: dev, portOffset: ${PORT_OFFSET} }`]));
    writeService("{ rolling: { scaleDownDelaySeconds: 0 } }");
    ok(await cli("up"), "slipway up");
    for (const version of ["v1", "v2"]) images[version] = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`, serverPy, { APP_VERSION: version });
    ok(await cli("deploy", "hello", "--env", "test", "--digest", images["v1"] as string), "first deploy of v1");
  });

  after(async () => {
    controller?.child.kill("SIGKILL");
    await cli("down");
    for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } })) await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const version of Object.keys(images)) await engine.api.getImage(`127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("runs one per environment: a second is refused, naming the first", async () => {
    controller = startController();
    await until("the controller is up", async () => controller?.output().includes("driving rollouts as they come") ?? false, 20_000);
    const second = await cli("controller", "--env", "test");
    assert.equal(second.code, 8, second.stderr);
    assert.match(second.stderr, new RegExp(`a controller for test already runs in process ${controller.child.pid}`));
  });

  it("drives a canary started by `deploy`, which only follows; the canary goes on after the deploy command is gone", async () => {
    writeService("{ canary: { steps: [{ setWeight: 50 }, { pause: { duration: 3 } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }");
    const deploying = spawn(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, "deploy", "hello", "--env", "test", "--digest", images["v2"] as string], { stdio: ["ignore", "pipe", "pipe"] });
    let deployOutput = "";
    deploying.stdout.on("data", (d: Buffer) => (deployOutput += d.toString()));
    deploying.stderr.on("data", (d: Buffer) => (deployOutput += d.toString()));
    await until("the deploy command follows the controller", async () => deployOutput.includes(`runs in process ${controller?.child.pid}; following it`), 30_000);
    await until("the canary reaches its timed pause", async () => (await rollout()).state.stepIndex >= 1);
    deploying.kill("SIGKILL");
    // Nothing but the controller runs now: the pause ends and the canary completes.
    await until("the rollout completes without the deploy command", async () => (await rollout()).finished, 60_000);
    assert.equal((await rollout()).outcome, "healthy");
    assert.deepEqual(await answers(10), { v2: 10 });
    assert.match(controller?.output() ?? "", /\[hello\] driving rollout hello-/);
  });

  it("a canary paused for a person waits; `rollout promote` from another process is carried out by the controller", async () => {
    writeService("{ canary: { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }");
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["v1"] as string);
    ok(deployed, "deploy to the manual pause");
    assert.match(deployed.stderr, /following it/);
    // The follower reports the steps it reads from the store, as the driving process would.
    assert.match(deployed.stdout, /paused · step 2\/3/);
    await sleep(1500);
    const held = await rollout();
    assert.equal(held.finished, false);
    assert.equal(held.state.stepIndex, 1);
    const split = await answers(20);
    assert.ok((split["v1"] ?? 0) > 0 && (split["v2"] ?? 0) > 0, JSON.stringify(split));
    const promoted = await cli("rollout", "promote", "hello", "--env", "test");
    ok(promoted, "rollout promote");
    assert.equal((await rollout()).outcome, "healthy");
    assert.deepEqual(await answers(10), { v1: 10 });
  });

  it("stops on SIGTERM, leaving the environment to the commands again", async () => {
    controller?.child.kill("SIGTERM");
    assert.equal(await controller?.exited, 0);
    assert.match(controller?.output() ?? "", /controller stopped/);
    writeService("{ rolling: { scaleDownDelaySeconds: 0 } }");
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["v2"] as string);
    ok(deployed, "deploy without a controller");
    assert.doesNotMatch(deployed.stderr, /following it/);
    assert.deepEqual(await answers(10), { v2: 10 });
  });
});
