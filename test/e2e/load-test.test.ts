// `slipway loadtest --env` end to end: one service deployed on real Docker
// behind the environment's real HAProxy, autocannon from the host against
// its router endpoint. One scenario passes its thresholds, one cannot (p99
// under 0.001 ms) and fails naming that threshold; both are recorded with
// the deployed digest and leave an SVG report. Loopback ports 28001-28099 only.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, runCli, type CliResult } from "./helpers.js";
import { buildAndPushPython, pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 28090;
const PROD_REGISTRY = 28091;
/** portOffset 26100: endpoint 1910 → 28010; router control port 26100 + 1999 = 28099. */
const PORT_OFFSET = 26100;
const SYSTEM = "e2e-loadtest";
const engine = new DockerEngine();
const docker = engine.api;
const root = mkdtempSync(join(tmpdir(), "slipway-loadtest-e2e-"));
let digest = "";

const serverPy = pythonServer("", `status, body = 200, b"ok"`);

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);

interface Run {
  scenario: string;
  status: string;
  deployed: Record<string, string>;
  measurement: { requests: number; errors: number; p99Ms: number };
  verdicts: { threshold: string; passed: boolean }[];
  baseline?: { runId: string };
  report: string;
}

describe("slipway loadtest --env", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    writeFileSync(
      join(root, "slipway.yaml"),
      `${systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [`{ name: test, registry: dev, portOffset: ${PORT_OFFSET} }`])}loadTests:
  - name: steady
    target: { service: api, path: /hello }
    connections: 2
    rate: 50
    durationSeconds: 2
    thresholds: { p99Ms: 2000, maxErrorRate: 0, minRps: 10 }
    regression: { p95Percent: 100000 }
  - name: ramped
    target: { service: api, path: /hello }
    connections: 2
    rate: 50
    durationSeconds: 1
    ramp: { seconds: 2, from: 10 }
    thresholds: { p99Ms: 2000, maxErrorRate: 0 }
  - name: impossible
    target: { service: api, path: /hello }
    connections: 2
    durationSeconds: 2
    thresholds: { p99Ms: 0.001 }
`,
    );
    mkdirSync(join(root, "services", "api"), { recursive: true });
    writeFileSync(
      join(root, "services", "api", "slipway.service.yaml"),
      `name: api
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: 1910 }
readiness: { http: { path: /healthz }, periodSeconds: 0.2 }
terminationGracePeriodSeconds: 2
`,
    );
    // validate requires the Dockerfile a service is built from.
    writeFileSync(join(root, "services", "api", "Dockerfile"), "FROM scratch\n");
    ok(await cli("up"), "slipway up");
    digest = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/api:e2e`, serverPy, { APP_NAME: "api" });
    ok(await cli("deploy", "api", "--env", "test", "--digest", digest), "deploy api");
  });

  after(async () => {
    await cli("down");
    for (const c of await docker.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    await docker.getImage(`127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/api:e2e`).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("a scenario within its thresholds passes, records the digest and writes an SVG; the next run compares with it", async () => {
    const first = await cli("--json", "loadtest", "--env", "test", "--scenario", "steady");
    ok(first, "loadtest steady");
    const [run] = JSON.parse(first.stdout) as Run[];
    assert.equal(run?.status, "passed");
    assert.deepEqual(run.deployed, { api: digest });
    assert.ok(run.measurement.requests > 20, `requests: ${run.measurement.requests}`);
    assert.equal(run.measurement.errors, 0);
    assert.equal(run.baseline, undefined);
    assert.match(readFileSync(run.report, "utf8"), /<polyline data-series="p99"/);
    const second = await cli("--json", "loadtest", "--env", "test", "--scenario", "steady");
    ok(second, "loadtest steady again");
    const [again] = JSON.parse(second.stdout) as Run[];
    assert.ok(again?.verdicts.some((v) => v.threshold === "regression.p95Percent" && v.passed));
  });

  it("a ramped scenario climbs before its steady phase, and the report marks where that starts", async () => {
    const ramped = await cli("loadtest", "--env", "test", "--scenario", "ramped");
    ok(ramped, "loadtest ramped");
    assert.match(ramped.stdout, /load test ramped \(\S+\) in test: \S+ for a 2 s ramp, then 1 s/);
    const report = /report (\S+\.svg)/.exec(ramped.stdout)?.[1] ?? "";
    assert.match(readFileSync(report, "utf8"), /<line data-mark="steady"/);
    const json = JSON.parse(readFileSync(report.replace(/\.svg$/, ".json"), "utf8")) as Run;
    // About 10 + 30 req/s over the ramp's two steps and 50 over the steady second, all counted.
    assert.ok(json.measurement.requests >= 50, `requests: ${json.measurement.requests}`);
    assert.equal(json.measurement.errors, 0);
  });

  it("a scenario over its threshold fails, naming the threshold, exit 1", async () => {
    const failed = await cli("loadtest", "--env", "test", "--scenario", "impossible");
    assert.equal(failed.code, 1, failed.stderr);
    assert.match(failed.stdout, /impossible: failed: p99Ms [\d.]+ > 0\.001/);
    assert.match(failed.stdout, /SCENARIO\s+REQUESTS/);
    const report = /report (\S+\.svg)/.exec(failed.stdout)?.[1];
    assert.ok(report !== undefined && existsSync(report), failed.stdout);
  });

  it("an unknown scenario is refused with a suggestion", async () => {
    const refused = await cli("loadtest", "--env", "test", "--scenario", "stedy");
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /no load test scenario named "stedy"[\s\S]*did you mean "steady"/);
  });
});
