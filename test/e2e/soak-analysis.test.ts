// A soak with an analysis, end to end on real Docker, a real registry and
// HAProxy: test → staging, where staging asks for a 1-second soak in test
// judged by an error-rate metric over the window. The rollout's end keeps the
// router's counters; `slipway status` judges the window from there: no
// request yet is "could not be judged" (never a pass), clean traffic passes,
// and a version answering 500s fails it, in words. Loopback ports 17600-17799 only.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, runCli, type CliResult } from "./helpers.js";
import { buildAndPushPython, pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 17790;
const PROD_REGISTRY = 17791;
/** Endpoint 2000: 17600 in test (offset 15600), 17700 in staging (offset 15700); routers on 17780 and 17781. */
const ENDPOINT = "http://127.0.0.1:17600/";
const SYSTEM = "e2e-soak";
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-soak-e2e-"));
const digests: Record<string, string> = {};

// STATUS answers every request but the readiness probe's.
const serverPy = pythonServer('STATUS = int(os.environ["APP_STATUS"])', `status, body = (200, b"ok") if self.path == "/healthz" else (STATUS, b"answer")`);
const tagOf = (name: string): string => `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/api:${name}`;
const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args], { SLIPWAY_IDENTITY: "alice@e2e.example" });

async function stagingBlocked(): Promise<string[]> {
  const status = ok(await cli("--json", "status", "--env", "staging"), "slipway status");
  return (JSON.parse(status.stdout) as { promotion: { blocked: string[] }[] }).promotion[0]?.blocked ?? [];
}

async function send(requests: number): Promise<void> {
  for (let i = 0; i < requests; i++) await (await fetch(ENDPOINT)).arrayBuffer();
}

const soaked = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1500));

describe("soak analysis (router metrics judged over the soak window)", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    writeFileSync(
      join(root, "slipway.yaml"),
      systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [
        "{ name: test, registry: dev, portOffset: 15600, routerPort: 17780 }",
        "{ name: staging, registry: dev, portOffset: 15700, routerPort: 17781, promotedFrom: test, promotion: { soak: { minutes: 0.02, analysis: { metrics: [errors] } } } }",
      ]),
    );
    mkdirSync(join(root, "services", "api"), { recursive: true });
    writeFileSync(
      join(root, "services", "api", "slipway.service.yaml"),
      "name: api\nowners: [e2e]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nendpoint: { port: 2000 }\nreadiness: { http: { path: /healthz }, periodSeconds: 0.2 }\nterminationGracePeriodSeconds: 2\n" +
        "analysis:\n  metrics:\n    - { name: errors, provider: { router: { metric: errorRate } }, successCondition: result < 0.05 }\n",
    );
    writeFileSync(join(root, "services", "api", "Dockerfile"), "FROM scratch\n");
    ok(await cli("up"), "slipway up");
    digests["good"] = await buildAndPushPython(engine, root, tagOf("good"), serverPy, { APP_STATUS: "200" });
    digests["bad"] = await buildAndPushPython(engine, root, tagOf("bad"), serverPy, { APP_STATUS: "500" });
  });

  after(async () => {
    await cli("down");
    for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } })) await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const name of ["good", "bad"]) await engine.api.getImage(tagOf(name)).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("a window nobody called cannot be judged: the soak stays unmet, saying so", async () => {
    ok(await cli("deploy", "api", "--env", "test", "--digest", digests["good"] as string), "deploy good to test");
    await soaked();
    const [blocked, ...rest] = await stagingBlocked();
    assert.deepEqual(rest, []);
    assert.match(blocked ?? "", /^soak analysis \(errors\) could not be judged over the window in test: api errors over \d+s in test: no data: no requests reached r-\w+ in the last [\d.]+ s$/);
  });

  it("clean traffic in the window passes it", async () => {
    await send(40);
    assert.deepEqual(await stagingBlocked(), []);
  });

  it("a version answering 500s fails it, judged from its own rollout's end (not diluted by the version before)", async () => {
    ok(await cli("deploy", "api", "--env", "test", "--digest", digests["bad"] as string), "deploy bad to test");
    await soaked();
    await send(40);
    const blocked = await stagingBlocked();
    assert.equal(blocked.length, 1, blocked.join("\n"));
    assert.match(blocked[0] ?? "", /^soak analysis failed in test: api errors over \d+s in test: result 1: successCondition result < 0\.05 does not hold/);
  });
});
