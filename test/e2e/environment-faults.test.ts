// Faults of a deployed environment on real Docker and HAProxy, through the
// real CLI: the router (HAProxy master and worker) killed with -9 under a
// keep-alive load with `slipway controller` running and without it, and the
// instances removed by hand — `slipway status` must then say degraded, not
// healthy, with or without a controller; and a canary whose metrics source
// is unreachable or answers garbage: the analysis errors (Argo Rollouts'
// consecutiveErrorLimit), the rollout is aborted back to stable and never
// promoted, and `rollout status` says why. Prints outage and requests lost
// (docs/reliability.md). Loopback ports 26100-26199 only.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary, haproxyPaths } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, runCli, startControllerProcess, stopControllerProcess, until, writeScratchService, type CliResult, type ControllerProcess } from "./helpers.js";
import { describeLoad, sample, startLoad, stopAllLoads } from "./keepalive-load.js";
import { deployVersionedHello } from "./python-service.js";
import { haproxyMasters, killHaproxy, routedServers, untilServing } from "./router-faults.js";

/** Registries 26190/26191; portOffset 24200, so endpoint 1910 → 26110 and the router's control port 24200 + 1999 = 26199. */
const PORTS = { registries: { dev: 26190, prod: 26191 }, offset: 24200, endpoint: 26110 } as const;
const SYSTEM = "e2e-faults";
const binary = haproxyBinary() ?? "";
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-faults-e2e-"));
const paths = haproxyPaths(join(root, ".slipway"), "test");
const tagOf = (version: string): string => `127.0.0.1:${PORTS.registries.dev}/${SYSTEM}/hello:${version}`;
const digests = new Map<string, string>();
/** Nothing listens here: an unreachable Prometheus. */
const CLOSED_PORT = 26150;
/** Answers every request with an HTML page: a metrics source answering garbage. */
const GARBAGE_PORT = 26151;
const garbage = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { "content-type": "text/html" }).end("<html><body>502 Bad Gateway (nginx)</body></html>");
});
const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);
const LOAD_RPS = 200;

/** The service with the given strategy and analysis metrics. */
function writeService(strategy: object, metrics: object[] = []): void {
  writeScratchService(root, { endpoint: { port: 1910 }, readiness: { http: { path: "/healthz" }, periodSeconds: 0.2 }, replicas: 2, terminationGracePeriodSeconds: 2, strategy, ...(metrics.length === 0 ? {} : { analysis: { metrics } }) });
}


async function statusRow(): Promise<Record<string, string>> {
  const result = await cli("--json", "status", "--env", "test");
  ok(result, "status");
  const row = (JSON.parse(result.stdout) as { services: Record<string, string>[] }).services.find((r) => r["service"] === "hello");
  assert.ok(row !== undefined, result.stdout);
  return row;
}

async function containerIds(): Promise<string[]> {
  return (await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`, "org.slipway.service=hello"] } })).map((c) => c.Id);
}

function routeTableBackends(): string[] {
  const table = JSON.parse(readFileSync(paths.routesFile, "utf8")) as { services: Record<string, { backends: Record<string, { name: string; address: string; port: number; weight: number }> }> };
  return Object.values(table.services["hello"]?.backends ?? {}).map((b) => `${b.name} ${b.address}:${b.port} ${b.weight}`).sort();
}

/** Kill -9 of HAProxy under load; returns the outage in ms, having checked routes and the single master. */
async function crashRouterUnderLoad(what: string): Promise<void> {
  const servers = await routedServers(paths.adminSocket, "hello");
  const table = routeTableBackends();
  const load = startLoad(PORTS.endpoint, LOAD_RPS);
  await sleep(1_000);
  const killedAt = killHaproxy(binary, paths.configFile);
  const outageMs = await untilServing(PORTS.endpoint, killedAt);
  await sleep(1_000);
  const during = await load.stop();
  console.log(`# ${what}: traffic back ${outageMs} ms after the kill; ${during.failures.length} of ${during.sent} requests failed`);
  console.log(describeLoad(what, during));

  const afterwards = startLoad(PORTS.endpoint, LOAD_RPS);
  await sleep(2_000);
  const steady = await afterwards.stop();
  console.log(describeLoad(`${what}, after the recovery`, steady));
  assert.deepEqual(steady.failures.slice(0, 5), [], "requests fail after the recovery");
  assert.equal(haproxyMasters(binary, paths.configFile).length, 1, "exactly one HAProxy master");
  assert.deepEqual(await routedServers(paths.adminSocket, "hello"), servers, "HAProxy routes the same servers with the same weights");
  assert.deepEqual(routeTableBackends(), table);
}

describe("environment faults: router crash, instances removed (real Docker, HAProxy, CLI)", { skip: binary === "" ? "haproxy is not installed" : false }, () => {
  let controller: ControllerProcess | undefined;

  async function startController(): Promise<void> {
    controller = await startControllerProcess(root, "test");
  }

  async function stopController(): Promise<string> {
    const c = controller;
    controller = undefined;
    return c === undefined ? "" : stopControllerProcess(c);
  }

  before(async () => {
    await new Promise<void>((resolve) => garbage.listen(GARBAGE_PORT, "127.0.0.1", resolve));
    writeService({ rolling: { scaleDownDelaySeconds: 0 } });
    for (const [version, digest] of await deployVersionedHello({ root, system: SYSTEM, registries: PORTS.registries, portOffset: PORTS.offset, engine, cli, tagOf })) digests.set(version, digest);
  });

  after(async () => {
    garbage.close();
    await stopAllLoads();
    const output = await stopController();
    if (output !== "") console.log(output.trimEnd().replace(/^/gm, "controller: "));
    await cli("down");
    assert.deepEqual(haproxyMasters(binary, paths.configFile), [], "HAProxy left after `slipway down`");
    for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } })) await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const version of digests.keys()) await engine.api.getImage(tagOf(version)).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("status after the deploy: healthy, 2 of 2 ready and running", async () => {
    const row = await statusRow();
    assert.equal(row["health"], "healthy", JSON.stringify(row));
    assert.equal(row["ready"], "2/2");
    assert.equal(row["running"], "2");
  });

  it("router killed with -9 while `slipway controller` runs: back by its supervisor, routes and weights as they were; the controller does not race it", async () => {
    await startController();
    await crashRouterUnderLoad("router crash, controller running");
    await sleep(3_000); // A repair pass or two after the restart.
    const output = await stopController();
    assert.doesNotMatch(output, /needs port|held by pid|replica repair failed/, output);
  });

  it("router killed with -9 without a controller: the same", async () => {
    await crashRouterUnderLoad("router crash, no controller");
  });

  it("instances removed by hand, no controller: status says degraded, not healthy", async () => {
    for (const id of await containerIds()) await engine.api.getContainer(id).remove({ force: true });
    const row = await statusRow();
    console.log(`# status with the instances removed: ${JSON.stringify(row)}`);
    assert.equal(row["health"], "degraded: 0 of 2 instances run");
    assert.equal(row["ready"], "0/2");
    assert.equal(row["running"], "0");
    assert.equal(row["rollout"], "healthy", "the last rollout did end healthy");
  });

  it("with a controller repairing: status never says healthy before 2 instances are ready again, then healthy", async () => {
    await startController();
    const seen: string[] = [];
    const tookMs = await until(
      "status says healthy",
      async () => {
        const row = await statusRow();
        seen.push(`${row["health"]} ${row["ready"]} running ${row["running"]}`);
        if (row["health"] === "healthy") assert.equal(row["ready"], "2/2", JSON.stringify(row));
        else assert.match(row["health"] ?? "", /^degraded: /);
        return row["health"] === "healthy";
      },
      30_000,
    );
    console.log(`# status during the repair (${tookMs} ms): ${[...new Set(seen)].join(" → ")}`);
    assert.match(seen[0] ?? "", /^degraded/);
    await stopController();
  });

  for (const [what, address] of [
    ["unreachable", `http://127.0.0.1:${CLOSED_PORT}`],
    ["answering garbage", `http://127.0.0.1:${GARBAGE_PORT}`],
  ] as const) {
    it(`a canary whose Prometheus is ${what}: the analysis errors, the rollout is aborted back to stable, never promoted; rollout status says why`, async () => {
      const metric = { name: "error-rate", provider: { prometheus: { address, query: 'sum(rate(http_errors{revision="{{revision}}"}[1m]))' } }, successCondition: "result[0] < 0.01", interval: 0.3, count: 3, consecutiveErrorLimit: 2 };
      writeService({ canary: { steps: [{ setWeight: 50 }, { analysis: { metrics: ["error-rate"] } }, { setWeight: 100 }], scaleDownDelaySeconds: 1 } }, [metric]);
      const load = startLoad(PORTS.endpoint, LOAD_RPS);
      const deploy = await cli("deploy", "hello", "--env", "test", "--digest", digests.get("v2") ?? "");
      const served = await load.stop();
      console.log(describeLoad(`canary with Prometheus ${what}`, served));
      assert.equal(deploy.code, 1, `the deploy should end aborted\n${deploy.stdout}\n${deploy.stderr}`);
      const status = await cli("rollout", "status", "hello", "--env", "test");
      console.log(status.stdout.trimEnd().replace(/^/gm, "# rollout status: "));
      assert.match(status.stdout, /aborted/);
      assert.match(status.stdout, /kept erroring: consecutive errors \(3\) > consecutiveErrorLimit \(2\)/);
      assert.match(status.stdout, what === "unreachable" ? /connection refused/ : /not Prometheus' JSON/);
      assert.deepEqual(served.failures.slice(0, 5), [], "requests failed during the canary and its abort");
      assert.deepEqual(Object.keys(served.byBody).sort(), ["v1", "v2"], "the canary did serve before the analysis");
      const after = await sample(PORTS.endpoint, 50);
      assert.deepEqual(Object.keys(after), ["v1"], "all traffic back on the stable version");
    });
  }
});
