// Blue-green auto-promotion delay and the rollback window, end to end: the
// real CLI against real Docker and the environment's real HAProxy, a tiny
// Python service, and a keep-alive load through the service's endpoint in
// which every non-2xx answer or connection error counts as a failure.
// Loopback ports 22000-22099 only: registries 22090/22091, portOffset 20100
// (endpoint 1910 → 22010, preview 1911 → 22011, router control 22099).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded, runCli, type CliResult } from "./helpers.js";
import { assertNoFailures, describeLoad, getOnce, sample as sampleOn, startLoad } from "./keepalive-load.js";
import { buildAndPushPython, pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 22090;
const PROD_REGISTRY = 22091;
const PORT_OFFSET = 20100;
const ENDPOINT = 22010;
const PREVIEW = 22011;
const SYSTEM = "e2e-delivery-timing";
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-delivery-timing-e2e-"));
const images: Record<string, string> = {};

// IGNORE_TERM=1: the process installs no SIGTERM handler; as PID 1 it then ignores SIGTERM and is killed after its grace period.
const serverPy = pythonServer(
  'VERSION = os.environ["APP_VERSION"]\nif os.environ.get("IGNORE_TERM") == "1": signal.signal = lambda *_: None',
  `if self.path == "/healthz": status, body = 200, b"ok"
else: status, body = 200, VERSION.encode()`,
);

function writeService(strategy: string, grace = 5): void {
  writeFileSync(
    join(root, "services", "hello", "slipway.service.yaml"),
    `name: hello
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: 1910, previewPort: 1911 }
readiness: { http: { path: /healthz }, periodSeconds: 0.2, failureThreshold: 2 }
replicas: 2
terminationGracePeriodSeconds: ${grace}
strategy: ${strategy}
`,
  );
  // validate requires the Dockerfile a service is built from.
  writeFileSync(join(root, "services", "hello", "Dockerfile"), "FROM scratch\n");
}

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);
const sample = (n: number): Promise<Record<string, number>> => sampleOn(ENDPOINT, n);

async function running(): Promise<string[]> {
  const list = await engine.api.listContainers({ filters: { label: [`org.slipway.system=${SYSTEM}`] } });
  return list.map((c) => c.Labels["org.slipway.revision"] ?? "?").sort();
}

/** Polls until `check` holds, at most `ms`. */
async function eventually(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const giveUpAt = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < giveUpAt, `${what} did not happen within ${ms / 1000} s`);
    await sleep(200);
  }
}

/** When `port` first answers `body` (epoch ms), polled every 50 ms until stopped. */
function firstAnswer(port: number, body: string): { stop: () => number | undefined } {
  const agent = new http.Agent({ keepAlive: false });
  let seen: number | undefined;
  let stopped = false;
  void (async () => {
    while (!stopped && seen === undefined) {
      const answer = await getOnce(agent, port).catch(() => undefined);
      if (answer?.body === body) seen = Date.now();
      await sleep(50);
    }
  })();
  return {
    stop: () => {
      stopped = true;
      agent.destroy();
      return seen;
    },
  };
}

describe("delivery timing: auto-promotion delay, rollback window, grace periods", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    mkdirSync(join(root, "services", "hello"), { recursive: true });
    writeFileSync(join(root, "slipway.yaml"), systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [`{ name: test, registry: dev, portOffset: ${PORT_OFFSET} }`]));
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }");
    assertSucceeded(await cli("up"), "slipway up");
    const build = (version: string, env: Record<string, string> = {}): Promise<string> => buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`, serverPy, { APP_VERSION: version, ...env });
    images["v1"] = await build("v1");
    images["v2"] = await build("v2");
    images["v3"] = await build("v3", { IGNORE_TERM: "1" });
    assertSucceeded(await cli("deploy", "hello", "--env", "test", "--digest", images["v1"]), "first deploy of v1");
    assert.deepEqual(await sample(10), { v1: 10 });
  });

  after(async () => {
    await cli("down");
    for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } })) await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const version of Object.keys(images)) await engine.api.getImage(`127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("blue-green with autoPromote and autoPromotionSeconds: 5 serves the preview at least 5 s before the switch, under load with no failed request", async () => {
    writeService("{ blueGreen: { autoPromote: true, autoPromotionSeconds: 5, scaleDownDelaySeconds: 0 } }");
    const load = startLoad(ENDPOINT, 200);
    const preview = firstAnswer(PREVIEW, "v2");
    const switched = firstAnswer(ENDPOINT, "v2");
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["v2"] as string);
    await sleep(500);
    const r = await load.stop();
    const previewAt = preview.stop();
    const switchedAt = switched.stop();
    console.log(describeLoad("blue-green auto-promotion after 5 s", r));
    assertSucceeded(deployed, "blue-green deploy");
    assertNoFailures(r);
    assert.ok(previewAt !== undefined && switchedAt !== undefined, `preview first answered v2 at ${previewAt}, the endpoint at ${switchedAt}`);
    console.log(`# preview answered v2 ${((switchedAt - previewAt) / 1000).toFixed(1)} s before the endpoint did`);
    // The countdown starts once every new instance is available, which is no earlier than the preview's first answer.
    // Both moments are seen by polling every 50 ms under load, so each may be seen up to a few hundred ms late;
    // switching at once (the bug) shows as a gap near 0.
    assert.ok(switchedAt - previewAt >= 4500, `the switch came ${switchedAt - previewAt} ms after the preview answered, not about 5000`);
    assert.match(deployed.stdout, /switching automatically after 5s/);
    assert.deepEqual(await sample(10), { v2: 10 });
  });

  it("rolling with scaleDownDelaySeconds: deploy returns once traffic is settled; a rollback inside the window is a weight flip; the old revision goes at its time", async () => {
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 8 } }");
    const load = startLoad(ENDPOINT, 200);
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["v1"] as string);
    assertSucceeded(deployed, "rolling deploy of v1 over v2");
    assert.match(deployed.stdout, /kept running for a rollback \(a weight flip\) until .*then scaled down in the background/);
    assert.equal((await running()).length, 4, "v2 kept warm beside v1");
    assert.deepEqual(await sample(10), { v1: 10 });

    const rolledBack = await cli("rollback", "hello", "--env", "test");
    assertSucceeded(rolledBack, "rollback inside the window");
    assert.match(rolledBack.stdout, /still runs \(kept warm after the last update\): moving the traffic back/);
    assert.deepEqual(await sample(10), { v2: 10 });
    assert.equal((await running()).length, 4, "nothing was created: v1 kept warm in turn");
    // The detached scale-down removes v1 at its time.
    await eventually("the scale-down of v1", 40_000, async () => (await running()).length === 2);
    await sleep(300);
    const r = await load.stop();
    console.log(describeLoad("rolling update, rollback inside the window, scale-down", r));
    assertNoFailures(r);
    assert.deepEqual(await sample(10), { v2: 10 });
  });

  it("warns when an instance ignored SIGTERM and was killed after its grace period", async () => {
    writeService("{ rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }", 1);
    assertSucceeded(await cli("deploy", "hello", "--env", "test", "--digest", images["v3"] as string), "deploy of v3 (ignores SIGTERM)");
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", images["v2"] as string);
    assertSucceeded(deployed, "deploy of v2 over v3");
    assert.match(deployed.stderr, /warning: hello: instance .* did not exit within its 1s grace period after SIGTERM and was killed \(SIGKILL\)/);
    const log = join(root, ".slipway", "logs", "scale-down-test.log");
    if (existsSync(log)) console.log(`# scale-down log:\n${readFileSync(log, "utf8")}`);
  });
});
