// The router's own health check (issue 14: "the router never points at a
// dead address for longer than the probe period"): with no slipway process
// running, an instance killed with -9 under load is taken out of rotation by
// HAProxy after one failed check (the service's readiness period), and taken
// back when its address answers again — the way an engine restart stops and
// restarts the instances on the same addresses. Real HAProxy (the
// HaproxyRouter: config, reload, slots claimed at run time), backends in
// child processes. Prints how long the router pointed at the dead address
// and the requests lost (docs/reliability.md). Loopback ports 19600-19619 only.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { HaproxyRouter } from "../../src/router/haproxy/haproxy-router.js";
import { describeLoad, sample, startLoad, stopAllLoads, type LoadResult } from "./keepalive-load.js";
import { routedServers } from "./router-faults.js";
import { until } from "./helpers.js";

const CONTROL = 19600;
const WEB = 19601;
const BACKEND_PORTS = [19611, 19612] as const;
const SERVICE = "web";
/** The service's readiness period, as `slipway deploy` declares it (periodSeconds: 0.5). */
const PERIOD_MS = 500;
const LOAD_RPS = 200;

const binary = haproxyBinary();
const stateDir = mkdtempSync(join(tmpdir(), "slipway-router-dead-backend-"));
let router: HaproxyRouter;
const backends = new Map<number, ChildProcess>();

/** A backend in its own process, answering its name, so it can be killed as an instance dies. */
async function startBackend(port: number): Promise<void> {
  const source = `require("node:http").createServer((q, s) => { q.resume(); s.end("b${port}"); }).listen(${port}, "127.0.0.1", () => process.stdout.write("up\\n"));`;
  const child = spawn(process.execPath, ["-e", source], { stdio: ["ignore", "pipe", "inherit"] });
  backends.set(port, child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`backend ${port} exited ${code}`)));
  });
}

async function killBackend(port: number): Promise<number> {
  const child = backends.get(port);
  assert.ok(child !== undefined && child.exitCode === null);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const at = Date.now();
  child.kill("SIGKILL");
  await exited;
  backends.delete(port);
  return at;
}

/** HAProxy's verdict on each server of the weighted route, by port: UP, DOWN, … */
async function statusByPort(): Promise<Map<number, string>> {
  const lines = (await routedServers(router.paths.adminSocket, SERVICE)).filter((l) => l.startsWith(`${SERVICE}.weighted/`));
  return new Map(lines.map((l) => [Number(l.split(" ")[1]?.split(":")[1]), l.split(" ").slice(4).join(" ")]));
}

/** Polls every 10 ms until every port in `ports` has a status starting with `want`: ms since `since`. */
async function untilStatus(ports: readonly number[], want: string, since: number): Promise<number> {
  await until(`${ports.join(", ")} ${want}`, async () => {
    const status = await statusByPort();
    return ports.every((p) => (status.get(p) ?? "").startsWith(want));
  }, 10_000, 10);
  return Date.now() - since;
}

function report(what: string, outMs: number, backMs: number, load: LoadResult): void {
  console.log(`# ${what}: out of rotation ${outMs} ms after the kill (period ${PERIOD_MS} ms); back in rotation ${backMs} ms after it answered again; ${load.failures.length} of ${load.sent} requests failed`);
  console.log(describeLoad(what, load));
}

describe("router health checks: a dead address out of rotation within one period, without slipway running", { skip: binary === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    router = new HaproxyRouter({ environment: "dead-backend", stateDir, controlPort: CONTROL, slotsPerBackend: 4 });
    await router.ensureService(SERVICE, { endpointPort: WEB, healthCheckIntervalMs: PERIOD_MS });
    assert.equal(await router.start(), "started");
    for (const [i, port] of BACKEND_PORTS.entries()) {
      await startBackend(port);
      // Claimed at run time (set server addr, state ready): the slot's check starts with it.
      await router.addBackend(SERVICE, { name: `web-r1-${i}`, revision: "r1", role: "stable", address: "127.0.0.1", port, weight: 1 });
    }
    await untilStatus(BACKEND_PORTS, "UP", Date.now());
  });

  after(async () => {
    await stopAllLoads();
    await router?.stop();
    for (const child of backends.values()) child.kill("SIGKILL");
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("one of two instances killed under load: out after one failed check, no request lost to it, back on its address when it answers", async () => {
    const [dead, alive] = BACKEND_PORTS;
    const load = startLoad(WEB, LOAD_RPS);
    await sleep(1_000);
    const killedAt = await killBackend(dead);
    const outMs = await untilStatus([dead], "DOWN", killedAt);
    assert.equal((await statusByPort()).get(alive)?.startsWith("UP"), true);
    // Out of rotation: every request goes to the live instance.
    assert.deepEqual(await sample(WEB, 20), { [`b${alive}`]: 20 });
    await startBackend(dead);
    const answeringAt = Date.now();
    const backMs = await untilStatus([dead], "UP", answeringAt);
    await sleep(500);
    const served = await load.stop();
    report("one instance killed", outMs, backMs, served);
    // The router retries a refused connection on the other instance: the dead one costs no request.
    assert.deepEqual(served.failures, []);
    assert.deepEqual(Object.keys(await sample(WEB, 20)).sort(), BACKEND_PORTS.map((p) => `b${p}`).sort(), "both instances take traffic again");
  });

  it("every instance killed (an engine restart): both out after one failed check, the router answers 503 at once, both back when they answer", async () => {
    const load = startLoad(WEB, LOAD_RPS);
    await sleep(1_000);
    const killedAt = Date.now();
    for (const port of BACKEND_PORTS) await killBackend(port);
    const outMs = await untilStatus(BACKEND_PORTS, "DOWN", killedAt);
    const during = await sample(WEB, 5);
    assert.deepEqual(during, { "HTTP 503": 5 }, "no server left: the router says so at once");
    for (const port of BACKEND_PORTS) await startBackend(port);
    const answeringAt = Date.now();
    const backMs = await untilStatus(BACKEND_PORTS, "UP", answeringAt);
    const served = await load.stop();
    report("every instance killed", outMs, backMs, served);
    // Requests fail while nothing runs (the router's 503, or a reset of one in flight on a killed instance), and only then.
    const afterwards = startLoad(WEB, LOAD_RPS);
    await sleep(1_000);
    const steady = await afterwards.stop();
    assert.deepEqual(steady.failures, [], describeLoad("after both came back", steady));
    assert.deepEqual(Object.keys(steady.byBody).sort(), BACKEND_PORTS.map((p) => `b${p}`).sort(), "both instances take traffic again");
  });
});
