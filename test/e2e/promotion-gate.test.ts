// The promotion gate end to end: a one-service system on real Docker, a
// real registry and HAProxy, with test → staging where staging requires an
// integration test passed in test for the exact digest and one approval.
// `slipway status` says the lock is blocked, in words, until `slipway test`
// passes with that digest deployed and someone approves it; a new digest in
// test is blocked again, until `slipway test --env staging --mixed api` has
// passed for that digest beside what staging runs (requirePassed:
// compatibility). Loopback ports 17000-17499 only.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { shortDigest } from "../../src/domain/promotion-path.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, runCli, type CliResult } from "./helpers.js";
import { buildAndPushPython, pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 17490;
const PROD_REGISTRY = 17491;
/** Endpoint 2000: 17000 in test (offset 15000), 17100 in staging (offset 15100), 17200 in staging's scratch copy; routers on 17480, 17481, 17482. */
const SYSTEM = "e2e-promotion";
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-promotion-e2e-"));
const digests: Record<string, string> = {};

const serverPy = pythonServer('NAME = os.environ["APP_NAME"]', `status, body = 200, (b"ok" if self.path == "/healthz" else NAME.encode())`);
const tagOf = (name: string): string => `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/api:${name}`;

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args], { SLIPWAY_IDENTITY: "alice@e2e.example" });

interface Lag {
  environment: string;
  from: string;
  behind: { service: string; here: string; from: string }[];
  blocked: string[];
}

async function stagingLag(): Promise<Lag | undefined> {
  const status = ok(await cli("--json", "status", "--env", "staging"), "slipway status");
  return (JSON.parse(status.stdout) as { promotion: Lag[] }).promotion[0];
}

describe("promotion gate (slipway status, approve --env)", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    writeFileSync(
      join(root, "slipway.yaml"),
      `${systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [
        "{ name: test, registry: dev, portOffset: 15000, routerPort: 17480 }",
        "{ name: staging, registry: dev, portOffset: 15100, routerPort: 17481, promotedFrom: test, promotion: { requirePassed: [integration-test, compatibility], approvals: 1, approvers: anyone }, scratch: { portOffset: 15200, routerPort: 17482 } }",
      ])}integrationTests:\n  - name: api-answers\n    http: { service: api, path: /healthz, expect: { status: 200 } }\n`,
    );
    mkdirSync(join(root, "services", "api"), { recursive: true });
    writeFileSync(
      join(root, "services", "api", "slipway.service.yaml"),
      "name: api\nowners: [e2e]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nendpoint: { port: 2000 }\nreadiness: { http: { path: /healthz }, periodSeconds: 0.2 }\nterminationGracePeriodSeconds: 2\n",
    );
    writeFileSync(join(root, "services", "api", "Dockerfile"), "FROM scratch\n");
    ok(await cli("up"), "slipway up");
    digests["one"] = await buildAndPushPython(engine, root, tagOf("one"), serverPy, { APP_NAME: "one" });
    digests["two"] = await buildAndPushPython(engine, root, tagOf("two"), serverPy, { APP_NAME: "two" });
  });

  after(async () => {
    await cli("down");
    for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } })) await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const name of ["one", "two"]) await engine.api.getImage(tagOf(name)).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("validate shows the path with its rules", async () => {
    const validated = ok(await cli("validate"), "slipway validate");
    assert.match(validated.stdout, /environments: test \(docker, from dev\) → staging \(docker, from dev; needs integration-test passed, compatibility passed, 1 approval\)/);
  });

  it("blocks a lock whose digest has no passed integration test in the source environment, saying so", async () => {
    const one = digests["one"] as string;
    ok(await cli("deploy", "api", "--env", "test", "--digest", one), "deploy api one to test");
    const lag = await stagingLag();
    assert.deepEqual(lag, {
      environment: "staging",
      from: "test",
      behind: [{ service: "api", here: "none", from: shortDigest(one) }],
      blocked: [`integration-test has not passed in test for api@${shortDigest(one)}`, `needs 1 approval (anyone) to enter staging: api@${shortDigest(one)} has 0`],
    });
    const text = ok(await cli("status"), "slipway status").stdout;
    assert.match(text, new RegExp(`test → staging: staging lags test: api none → ${shortDigest(one).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    assert.match(text, /blocked: integration-test has not passed in test for api@sha256:[0-9a-f]{12}…/);
  });

  it("allows it once the integration test passed with that digest in test and someone approved it for staging", async () => {
    ok(await cli("test", "--env", "test"), "slipway test --env test");
    assert.deepEqual((await stagingLag())?.blocked, [`needs 1 approval (anyone) to enter staging: api@${shortDigest(digests["one"] as string)} has 0`]);
    const approved = ok(await cli("approve", "--env", "staging", "api", "-m", "e2e"), "approve --env staging api");
    assert.match(approved.stdout, /approved api@sha256:[0-9a-f]{12}… to enter staging as alice@e2e\.example \(1\/1 approvals\)/);
    assert.deepEqual((await stagingLag())?.blocked, []);
    assert.match(ok(await cli("status"), "slipway status").stdout, /ready: test's lock meets staging's promotion rules/);
    const audit = ok(await cli("audit"), "slipway audit").stdout;
    assert.match(audit, /environment\.approve/);
  });

  it("a new digest in test is blocked again (evidence is per digest), and up to date once staging runs it", async () => {
    const two = digests["two"] as string;
    ok(await cli("deploy", "api", "--env", "staging", "--digest", digests["one"] as string), "deploy api one to staging");
    ok(await cli("deploy", "api", "--env", "test", "--digest", two), "deploy api two to test");
    const lag = await stagingLag();
    assert.deepEqual(lag?.blocked[0], `integration-test has not passed in test for api@${shortDigest(two)}`);
    ok(await cli("test", "--env", "test"), "slipway test --env test (two)");
    ok(await cli("approve", "--env", "staging", "api", "-m", "e2e"), "approve --env staging api (two)");
    // Staging runs one now: two enters beside it, so the mix must have been checked, for this pair of locks.
    assert.deepEqual((await stagingLag())?.blocked, [`compatibility has not passed for api@${shortDigest(two)} beside what staging runs (\`slipway test --env staging --mixed api\`)`]);
    ok(await cli("test", "--env", "staging", "--mixed", "api", "--digest", two), "slipway test --env staging --mixed api");
    assert.deepEqual((await stagingLag())?.blocked, []);
    ok(await cli("deploy", "api", "--env", "staging", "--digest", two), "deploy api two to staging");
    assert.deepEqual(await stagingLag(), { environment: "staging", from: "test", behind: [], blocked: [] });
    assert.match(ok(await cli("status"), "slipway status").stdout, /test → staging: up to date/);
  });
});
