// Replica repair by `slipway controller --env` on real Docker and HAProxy:
// an instance of a settled revision that is removed is replaced and routed
// (no request fails meanwhile); one whose process Docker restarts is left to
// Docker; a service with a rollout paused for a person is not touched.
// Loopback ports 16601-16699 only.
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, runCli, startControllerProcess, until, writeScratchService, type CliResult, type ControllerProcess } from "./helpers.js";
import { deployVersionedHello } from "./python-service.js";

/** Registries 16690/16691; portOffset 14700, so endpoint 1910 → 16610 and the router's control port 14700 + 1999 = 16699. */
const PORTS = { registries: { dev: 16690, prod: 16691 }, offset: 14700, endpoint: 16610 } as const;
const SYSTEM = "e2e-repair";
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-repair-e2e-"));
const tagOf = (version: string): string => `127.0.0.1:${PORTS.registries.dev}/${SYSTEM}/hello:${version}`;
/** Version → pushed digest. */
const digests = new Map<string, string>();
const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);

/** The service; strategy as the service config has it. */
function writeService(strategy: object): void {
  writeScratchService(root, { endpoint: { port: 1910 }, readiness: { http: { path: "/healthz" }, periodSeconds: 0.2 }, replicas: 2, terminationGracePeriodSeconds: 2, strategy });
}

type Container = { id: string; revision: string; state: string };

/** The service's containers, whatever their state. */
async function containers(): Promise<Container[]> {
  const filters = { label: [`org.slipway.system=${SYSTEM}`, "org.slipway.service=hello"] };
  return (await engine.api.listContainers({ all: true, filters })).map(({ Id, Labels, State }) => ({ id: Id, revision: Labels["org.slipway.revision"] ?? "", state: State }));
}

/** The router's backends of the service, from the route table the controller persists. */
function backends(): { name: string; revision: string; state: string }[] {
  const table = JSON.parse(readFileSync(join(root, ".slipway", "routers", "test", "routes.json"), "utf8")) as { services: Record<string, { backends: Record<string, { name: string; revision: string; state: string }> }> };
  return Object.values(table.services["hello"]?.backends ?? {});
}

async function rollout(): Promise<{ finished: boolean; outcome?: string; state: { stepIndex: number; targetRevision: string; stableRevision?: string } }> {
  const status = await cli("--json", "rollout", "status", "hello", "--env", "test");
  ok(status, "rollout status");
  return (JSON.parse(status.stdout) as { rollout: Awaited<ReturnType<typeof rollout>> }).rollout;
}


/** Keep-alive GETs through the endpoint from `workers` loops, each one request per `everyMs`, until stopped. */
function steadyLoad(workers = 4, everyMs = 40): { stop: () => Promise<{ sent: number; failures: string[]; seconds: number }> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  const failures: string[] = [];
  let sent = 0;
  let running = true;
  const started = Date.now();
  const once = (): Promise<void> =>
    new Promise((resolve) => {
      sent++;
      const req = http.get({ host: "127.0.0.1", port: PORTS.endpoint, path: "/", agent, timeout: 5000 }, (res) => {
        res.resume();
        res.on("end", () => {
          if ((res.statusCode ?? 0) < 200 || (res.statusCode ?? 0) >= 300) failures.push(`HTTP ${res.statusCode}`);
          resolve();
        });
      });
      req.on("timeout", () => req.destroy(new Error("client timeout")));
      req.on("error", (err) => {
        failures.push(err.message);
        resolve();
      });
    });
  const loops = Array.from({ length: workers }, async () => {
    while (running) await Promise.all([once(), sleep(everyMs)]);
  });
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return { sent, failures, seconds: (Date.now() - started) / 1000 };
    },
  };
}

describe("slipway controller --env: replica repair of settled services", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  let controller: ControllerProcess | undefined;

  before(async () => {
    writeService({ rolling: { scaleDownDelaySeconds: 0 } });
    for (const [version, digest] of await deployVersionedHello({ root, system: SYSTEM, registries: PORTS.registries, portOffset: PORTS.offset, engine, cli, tagOf })) digests.set(version, digest);
    controller = await startControllerProcess(root, "test");
  });

  after(async () => {
    console.log((controller?.output() ?? "").trimEnd().replace(/^/gm, "controller: "));
    if (controller !== undefined && controller.child.exitCode === null && controller.child.signalCode === null) {
      const exited = new Promise((resolve) => controller?.child.once("exit", resolve));
      controller.child.kill("SIGKILL");
      await exited;
    }
    await cli("down");
    for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } })) await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const version of digests.keys()) await engine.api.getImage(tagOf(version)).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("replaces a removed instance of the settled revision and routes it; no request fails meanwhile", async () => {
    const revision = (await rollout()).state.targetRevision;
    const before = await containers();
    assert.deepEqual(before.map((c) => [c.revision, c.state]), [[revision, "running"], [revision, "running"]]);
    const victim = before[0] as Container;
    const load = steadyLoad();
    await sleep(1000);
    await engine.api.getContainer(victim.id).remove({ force: true });
    const tookMs = await until(
      "2 running instances of the revision, both routed, the removed one gone from the router",
      async () => {
        const now = (await containers()).filter((c) => c.state === "running" && c.revision === revision);
        const routed = backends();
        return now.length === 2 && !now.some((c) => c.id === victim.id) && routed.length === 2 && routed.every((b) => b.revision === revision && b.state === "ready");
      },
      15_000,
    );
    await sleep(1000);
    const result = await load.stop();
    console.log(`repaired in ${(tookMs / 1000).toFixed(1)} s; ${result.sent} requests in ${result.seconds.toFixed(1)} s (${Math.round(result.sent / result.seconds)} req/s), ${result.failures.length} failed`);
    assert.deepEqual(result.failures.slice(0, 5), [], `${result.failures.length} of ${result.sent} requests failed`);
    assert.ok(result.sent / result.seconds >= 70, `the load ran at only ${Math.round(result.sent / result.seconds)} req/s`);
    assert.equal((await containers()).length, 2);
    assert.match(controller?.output() ?? "", /\[hello\] took \S+ out of the router \(its container is gone\)/);
    assert.match(controller?.output() ?? "", /\[hello\] created instance \S+ of r-/);
  });

  it("leaves an instance whose process Docker restarts to Docker: no extra instance", async () => {
    const before = await containers();
    assert.equal(before.length, 2);
    const target = before[0] as Container;
    const exec = await engine.api.getContainer(target.id).exec({ Cmd: ["sh", "-c", "kill 1"] });
    await exec.start({});
    await until("Docker restarted the process", async () => (await engine.api.getContainer(target.id).inspect()).RestartCount >= 1, 10_000);
    await sleep(10_000);
    const afterwards = await containers();
    assert.deepEqual(afterwards.map((c) => c.id).sort(), before.map((c) => c.id).sort(), "the same two containers, no replacement");
    assert.ok(afterwards.every((c) => c.state === "running"), JSON.stringify(afterwards));
    await until("both are routed again", () => backends().length === 2 && backends().every((b) => b.state === "ready"), 10_000);
  });

  it("does not repair a service whose rollout is paused for a person; the rollout loop heals it once promoted", async () => {
    writeService({ canary: { steps: [{ setWeight: 50 }, { pause: {} }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } });
    const deployed = await cli("deploy", "hello", "--env", "test", "--digest", digests.get("v2") ?? "");
    ok(deployed, "deploy to the manual pause");
    assert.match(deployed.stderr, /following it/);
    const paused = await rollout();
    assert.equal(paused.finished, false);
    assert.equal(paused.state.stepIndex, 1);
    const canary = (await containers()).filter((c) => c.revision === paused.state.targetRevision);
    assert.ok(canary.length >= 1, "the canary runs");
    const removed = canary[0] as Container;
    const routedBefore = backends().length;
    await engine.api.getContainer(removed.id).remove({ force: true });
    await sleep(8000);
    assert.equal((await containers()).filter((c) => c.revision === paused.state.targetRevision).length, canary.length - 1, "nothing re-created the canary while paused");
    // Nor does anything take its backend out of the router while the rollout waits (HAProxy retries its share elsewhere).
    assert.equal(backends().length, routedBefore, "the paused rollout's routes are left as they are");
    ok(await cli("rollout", "promote", "hello", "--env", "test"), "rollout promote");
    const done = await rollout();
    assert.equal(done.outcome, "healthy");
    await until("two v2 instances, both routed", async () => {
      const now = await containers();
      return now.length === 2 && now.every((c) => c.revision === done.state.targetRevision) && backends().length === 2;
    }, 15_000);
  });
});
