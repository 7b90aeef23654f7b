// `slipway undeploy` end to end: the real CLI against real Docker and the
// environment's real HAProxy, with two Python services (front depends on
// back). A request in flight when the undeploy starts still gets its answer
// (drained in the router before SIGTERM); a service others depend on is
// refused; what is gone is recorded (status, audit) and can be deployed again.
// Loopback ports 22200-22299 only: registries 22290/22291, portOffset 20300
// (back 1920 → 22220, front 1921 → 22221, router control 22299).
import assert from "node:assert/strict";
import http from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { runCli, type CliResult } from "./helpers.js";
import { getOnce } from "./keepalive-load.js";
import { buildAndPushPython, pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 22290;
const PROD_REGISTRY = 22291;
const PORT_OFFSET = 20300;
const FRONT = 22221;
const SYSTEM = "e2e-undeploy";
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-undeploy-e2e-"));
let image = "";

// GET /slow answers after 1.5 s: a request in flight while the undeploy starts.
const serverPy = pythonServer('import time\nNAME = os.environ["APP_NAME"]', `if self.path == "/healthz": status, body = 200, b"ok"
elif self.path == "/slow": time.sleep(1.5); status, body = 200, b"slow " + NAME.encode()
else: status, body = 200, NAME.encode()`);

function writeService(name: string, port: number, dependsOn: string[]): void {
  mkdirSync(join(root, "services", name), { recursive: true });
  writeFileSync(
    join(root, "services", name, "slipway.service.yaml"),
    `name: ${name}
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: ${port} }
readiness: { http: { path: /healthz }, periodSeconds: 0.2 }
replicas: 1
terminationGracePeriodSeconds: 5
dependsOn: [${dependsOn.join(", ")}]
env: { APP_NAME: ${name} }
strategy: { rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: 0 } }
`,
  );
  // validate requires the Dockerfile a service is built from.
  writeFileSync(join(root, "services", name, "Dockerfile"), "FROM scratch\n");
}

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);

function assertExit(result: CliResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

async function running(): Promise<string[]> {
  const list = await engine.api.listContainers({ filters: { label: [`org.slipway.system=${SYSTEM}`] } });
  return list.map((c) => c.Labels["org.slipway.service"] ?? "?").sort();
}

async function statusRows(): Promise<Record<string, { version: string; health?: string }>> {
  const result = await cli("--json", "status", "--env", "test");
  assertExit(result, 0, "status");
  const rows = (JSON.parse(result.stdout) as { services: { service: string; version: string; health?: string }[] }).services;
  return Object.fromEntries(rows.map((r) => [r.service, r]));
}

describe("slipway undeploy", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    writeFileSync(join(root, "slipway.yaml"), systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [`{ name: test, registry: dev, portOffset: ${PORT_OFFSET} }`]));
    writeService("back", 1920, []);
    writeService("front", 1921, ["back"]);
    assertExit(await cli("up"), 0, "slipway up");
    // One image, pushed to each service's repository (the same digest).
    image = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/back:v1`, serverPy, { APP_KIND: "undeploy" });
    assert.equal(await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/front:v1`, serverPy, { APP_KIND: "undeploy" }), image);
    const digest = image;
    assertExit(await cli("deploy", "back", "--env", "test", "--digest", digest), 0, "deploy back");
    assertExit(await cli("deploy", "front", "--env", "test", "--digest", digest), 0, "deploy front");
    assert.deepEqual(await running(), ["back", "front"]);
  });

  after(async () => {
    await cli("down");
    for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } })) await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const service of ["back", "front"]) await engine.api.getImage(`127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/${service}:v1`).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("refuses a service that a deployed service depends on, naming it and the way out; nothing changes", async () => {
    const refused = await cli("undeploy", "back", "--env", "test");
    assertExit(refused, 2, "undeploy back");
    assert.match(refused.stderr, /back is still used in test by front \(dependsOn back\)/);
    assert.match(refused.stderr, /--force/);
    assert.deepEqual(await running(), ["back", "front"]);
  });

  it("names a misspelt service with a did-you-mean", async () => {
    const refused = await cli("undeploy", "frnt", "--env", "test");
    assertExit(refused, 2, "undeploy frnt");
    assert.match(refused.stderr, /there is no service "frnt"; did you mean "front"\?/);
  });

  it("drains: a request in flight when the undeploy starts gets its answer; then both are gone, recorded in status and the audit log", async () => {
    const agent = new http.Agent({ keepAlive: false });
    const inFlight = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.get({ host: "127.0.0.1", port: FRONT, path: "/slow", agent, timeout: 10_000 }, (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
    });
    await sleep(300);
    const undeployed = await cli("undeploy", "front", "back", "--env", "test");
    assertExit(undeployed, 0, "undeploy front back");
    assert.deepEqual(await inFlight, { status: 200, body: "slow front" }, "the request in flight finished");
    agent.destroy();
    // Dependents first.
    assert.match(undeployed.stdout, /front: undeployed from test \(1 instance drained and stopped; r-[0-9a-f]{10} no longer serves\)\nback: undeployed from test/);
    assert.deepEqual(await running(), []);
    const rows = await statusRows();
    assert.equal(rows["front"]?.version, "undeployed");
    assert.equal(rows["back"]?.version, "undeployed");
    const after = await getOnce(new http.Agent({ keepAlive: false }), FRONT).catch((err: Error) => ({ status: 0, body: err.message }));
    assert.notEqual(after.status, 200, "nothing answers for front any more");
    const audit = await cli("audit");
    assertExit(audit, 0, "audit");
    assert.match(audit.stdout, /undeploy\s+front@test/);
    assert.match(audit.stdout, /undeploy\s+back@test/);
    assertExit(await cli("audit", "verify"), 0, "audit verify");
  });

  it("an undeployed service deploys again as a first deployment; --all takes down whatever is deployed", async () => {
    assertExit(await cli("deploy", "back", "--env", "test", "--digest", image), 0, "deploy back again");
    assert.deepEqual(await running(), ["back"]);
    assert.notEqual((await statusRows())["back"]?.version, "undeployed");
    const all = await cli("undeploy", "--all", "--env", "test");
    assertExit(all, 0, "undeploy --all");
    assert.match(all.stdout, /back: undeployed from test/);
    assert.doesNotMatch(all.stdout, /front/, "front was undeployed already");
    assert.deepEqual(await running(), []);
  });
});
