// `slipway test --env` end to end: a two-service system (front calls back
// through the router, at the BACK_URL slipway injects) deployed on real
// Docker behind the environment's real HAProxy, integration tests as HTTP
// checks and as commands in a test image, runs recorded in SQLite with what
// was deployed. Loopback ports 16401-16499 only.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, runCli, type CliResult } from "./helpers.js";
import { buildAndPushPython, pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 16490;
const PROD_REGISTRY = 16491;
/** portOffset 14500: endpoints 1910 → 16410 (front), 1920 → 16420 (back); router control port 14500 + 1999 = 16499. */
const PORT_OFFSET = 14500;
const SYSTEM = "e2e-integration";
const engine = new DockerEngine();
const docker = engine.api;
const root = mkdtempSync(join(tmpdir(), "slipway-integration-e2e-"));
const digests: Record<string, string> = {};

// front answers "front+" and what back says at BACK_URL; back answers "back".
const serverPy = pythonServer(
  'NAME = os.environ["APP_NAME"]',
  `if self.path == "/healthz": status, body = 200, b"ok"
elif NAME == "front":
    with urllib.request.urlopen(os.environ["BACK_URL"] + "/", timeout=5) as r: body = b"front+" + r.read()
    status = 200
else: status, body = 200, NAME.encode()`,
);

const buildAndPush = (name: string): Promise<string> => buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/${name}:e2e`, serverPy, { APP_NAME: name });

function writeService(name: string, endpoint: number, dependsOn: string[]): void {
  mkdirSync(join(root, "services", name), { recursive: true });
  writeFileSync(
    join(root, "services", name, "slipway.service.yaml"),
    `name: ${name}
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: ${endpoint} }
readiness: { http: { path: /healthz }, periodSeconds: 0.2 }
terminationGracePeriodSeconds: 2
dependsOn: [${dependsOn.join(", ")}]
`,
  );
  // validate requires the Dockerfile a service is built from.
  writeFileSync(join(root, "services", name, "Dockerfile"), "FROM scratch\n");
}

function writeSystem(integrationTests: string): void {
  writeFileSync(join(root, "slipway.yaml"), `${systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [`{ name: test, registry: dev, portOffset: ${PORT_OFFSET} }`])}integrationTests:\n${integrationTests}`);
}

const passing = `  - name: front-answers
    http: { service: front, path: /, expect: { status: 200, bodyContains: "front+back" } }
  - name: flow-script
    command: { image: python:3.11-slim-bookworm, run: ["python3", "tests/flow.py"] }
    timeoutSeconds: 30
`;

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);

async function testContainers(): Promise<number> {
  return (await docker.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`, "org.slipway.purpose=integration-test"] } })).length;
}

describe("slipway test --env (integration tests)", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    writeSystem(passing);
    writeService("front", 1910, ["back"]);
    writeService("back", 1920, []);
    mkdirSync(join(root, "tests"));
    // Reads the system folder (mounted read-only as the working directory) and both injected URLs.
    writeFileSync(
      join(root, "tests", "flow.py"),
      `import os, sys, urllib.request
assert open("slipway.yaml").read().startswith("system: ${SYSTEM}")
front = urllib.request.urlopen(os.environ["FRONT_URL"] + "/", timeout=5).read().decode()
back = urllib.request.urlopen(os.environ["BACK_URL"] + "/", timeout=5).read().decode()
print(f"front said {front}, back said {back}, in {os.environ['SLIPWAY_ENVIRONMENT']}")
sys.exit(0 if (front, back) == ("front+back", "back") else 3)
`,
    );
    ok(await cli("up"), "slipway up");
    digests["front"] = await buildAndPush("front");
    digests["back"] = await buildAndPush("back");
  });

  after(async () => {
    await cli("down");
    for (const c of await docker.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const name of ["front", "back"]) await docker.getImage(`127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/${name}:e2e`).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("refuses while a service is not deployed, naming it and the command that deploys it", async () => {
    ok(await cli("deploy", "back", "--env", "test", "--digest", digests["back"] as string), "deploy back");
    const refused = await cli("test", "--env", "test");
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /front is not deployed \(`slipway deploy front --env test`\)/);
    assert.equal(await testContainers(), 0);
  });

  it("passes against the deployed system: front reaches back through the router; the run records what was deployed", async () => {
    ok(await cli("deploy", "front", "--env", "test", "--digest", digests["front"] as string), "deploy front");
    const passed = await cli("--json", "test", "--env", "test");
    ok(passed, "slipway test");
    const run = JSON.parse(passed.stdout) as { status: string; deployed: Record<string, string>; results: { name: string; passed: boolean; detail: string }[] };
    assert.equal(run.status, "passed");
    assert.deepEqual(run.deployed, { back: digests["back"], front: digests["front"] });
    assert.deepEqual(run.results.map((r) => [r.name, r.passed]), [["front-answers", true], ["flow-script", true]]);
    assert.match(run.results[1]?.detail ?? "", /front said front\+back, back said back, in test/);
    assert.equal(await testContainers(), 0);
  });

  it("fails with what was seen: a wrong expectation, a script's exit code and last line, a test that runs too long", async () => {
    writeSystem(`  - name: wrong-status
    http: { service: back, path: /, expect: { status: 201 } }
  - name: failing-script
    command: { image: python:3.11-slim-bookworm, run: ["python3", "-c", "print('checked the flow'); print('flow broken'); raise SystemExit(3)"] }
  - name: too-slow
    command: { image: python:3.11-slim-bookworm, run: ["sleep", "30"] }
    timeoutSeconds: 1
`);
    const started = Date.now();
    const failed = await cli("test", "--env", "test");
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stdout, /✗ wrong-status .*back: GET \/: status: expected 201, got 200/);
    assert.match(failed.stdout, /✗ failing-script .*exit 3; its last output: flow broken/);
    assert.match(failed.stdout, /✗ too-slow .*did not finish within 1s/);
    assert.match(failed.stdout, /failed: 0 of 3 tests passed/);
    assert.ok(Date.now() - started < 25_000, "the slow test was not cut at its timeout");
    assert.equal(await testContainers(), 0, "a test container was left behind");
    writeSystem(passing);
  });
});
