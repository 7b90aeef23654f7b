// Router crash without a controller: the environment's HAProxy (master and
// worker) killed with -9 under a keep-alive load of 500 requests/s comes back
// by its supervisor with the same servers and weights, exactly once — no
// second HAProxy, no restart storm — and a slipway command starting the
// router meanwhile waits for the supervisor instead of racing it. A killed
// supervisor leaves HAProxy serving; the next start adopts it.
// Prints the outage and the requests lost (docs/reliability.md).
// Loopback ports 26001-26030 only.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { HaproxyRouter } from "../../src/router/haproxy/haproxy-router.js";
import { runningHaproxy } from "../../src/router/haproxy/supervisor.js";
import { describeLoad, sample, startLoad, stopAllLoads, type LoadResult } from "./keepalive-load.js";
import { haproxyMasters, haproxyProcesses, killHaproxy as kill, routedServers as routedOn, untilServing as untilServingOn } from "./router-faults.js";

const CONTROL = 26001;
const WEB = 26002;
const BACKEND_PORTS = [26011, 26012, 26013, 26014];
const SERVICE = "web";

const binary = haproxyBinary();
const stateDir = mkdtempSync(join(tmpdir(), "slipway-router-crash-"));
let router: HaproxyRouter;
const servers: http.Server[] = [];

async function startBackend(port: number, revision: string): Promise<void> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/plain" }).end(revision);
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  servers.push(server);
}

function pidIn(file: string): number {
  return (JSON.parse(readFileSync(file, "utf8")) as { pid: number }).pid;
}

const processes = (): { pid: number; ppid: number }[] => haproxyProcesses(binary ?? "", router.paths.configFile);
const masters = (): number[] => haproxyMasters(binary ?? "", router.paths.configFile);
const killHaproxy = async (): Promise<number> => kill(binary ?? "", router.paths.configFile);
const untilServing = (since: number): Promise<number> => untilServingOn(WEB, since);
const routedServers = (): Promise<string[]> => routedOn(router.paths.adminSocket, SERVICE);

function report(what: string, outageMs: number, load: LoadResult): void {
  console.log(`# ${what}: traffic back ${outageMs} ms after the kill; ${load.failures.length} of ${load.sent} requests failed`);
  console.log(describeLoad(what, load));
}

describe("router crash (no controller): HAProxy supervised", { skip: binary === undefined ? "haproxy is not installed" : false }, () => {
  let before_: string[] = [];

  before(async () => {
    router = new HaproxyRouter({ environment: "crash", stateDir, controlPort: CONTROL, slotsPerBackend: 8 });
    await router.ensureService(SERVICE, { endpointPort: WEB });
    assert.equal(await router.start(), "started");
    for (const [i, port] of BACKEND_PORTS.entries()) {
      const revision = i < 2 ? "r1" : "r2";
      await startBackend(port, revision);
      await router.addBackend(SERVICE, { name: `web-${revision}-${i}`, revision, role: i < 2 ? "stable" : "canary", address: "127.0.0.1", port, weight: 1 });
    }
    await router.setRevisionWeights(SERVICE, { r1: 80, r2: 20 });
    before_ = await routedServers();
  });

  after(async () => {
    await stopAllLoads();
    await router?.stop();
    assert.deepEqual(processes(), [], "HAProxy processes left after stop");
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("kill -9 of master and worker under load: back by the supervisor with the same servers and weights, one HAProxy", async () => {
    const supervisor = pidIn(router.paths.pidFile);
    const oldMaster = pidIn(router.paths.haproxyPidFile);
    const load = startLoad(WEB, 500);
    await sleep(1_000);
    const killedAt = await killHaproxy();
    const outageMs = await untilServing(killedAt);
    await sleep(1_000);
    const during = await load.stop();
    report("router crash, no controller", outageMs, during);

    // After the recovery nothing fails any more.
    const afterwards = startLoad(WEB, 500);
    await sleep(2_000);
    const steady = await afterwards.stop();
    console.log(describeLoad("after the recovery", steady));
    assert.deepEqual(steady.failures.slice(0, 5), []);

    assert.equal(pidIn(router.paths.pidFile), supervisor, "the supervisor is the same process");
    assert.notEqual(pidIn(router.paths.haproxyPidFile), oldMaster, "a new HAProxy master runs");
    assert.deepEqual(masters(), [pidIn(router.paths.haproxyPidFile)], "exactly one HAProxy master");
    assert.deepEqual(await routedServers(), before_, "the same servers and weights as before the kill");
    const split = await sample(WEB, 500);
    assert.ok((split["r2"] ?? 0) > 50 && (split["r2"] ?? 0) < 150, `about 20% to r2: ${JSON.stringify(split)}`);
    // A slipway command starting the router now finds it running.
    assert.equal(await router.start(), "already-running");
    assert.equal(masters().length, 1);
  });

  it("a slipway command starting the router while the supervisor restarts it waits, not races: no second HAProxy, no replaced supervisor", async () => {
    const supervisor = pidIn(router.paths.pidFile);
    const killedAt = await killHaproxy();
    assert.equal(await router.start(), "already-running");
    console.log(`# start() during the restart returned after ${Date.now() - killedAt} ms`);
    assert.equal(pidIn(router.paths.pidFile), supervisor);
    assert.equal(masters().length, 1);
    assert.deepEqual(await routedServers(), before_);
  });

  it("HAProxy killed again and again: restarted each time, backing off while it keeps dying young — no storm", async () => {
    const { starts } = runningHaproxy(router.paths.haproxyPidFile) ?? { starts: 0 };
    for (let i = 0; i < 3; i++) {
      await untilServing(Date.now());
      await killHaproxy();
    }
    const outageMs = await untilServing(Date.now());
    assert.equal(runningHaproxy(router.paths.haproxyPidFile)?.starts, starts + 3, "one start per kill");
    assert.equal(masters().length, 1);
    const log = readFileSync(router.paths.logFile, "utf8");
    assert.match(log, /next start in \d+ ms/);
    console.log(`# third kill in a row within 2 s of each start: back ${outageMs} ms later (backed off)`);
    assert.deepEqual(await routedServers(), before_);
  });

  it("kill -9 of the supervisor: HAProxy goes on serving, the next start adopts it, and its crash is then recovered", async () => {
    await sleep(2_500); // Out of the back-off of the test before.
    const master = pidIn(router.paths.haproxyPidFile);
    const load = startLoad(WEB, 500);
    process.kill(pidIn(router.paths.pidFile), "SIGKILL");
    await sleep(1_000);
    assert.equal(await router.start(), "started", "a new supervisor");
    assert.equal(pidIn(router.paths.haproxyPidFile), master, "HAProxy was adopted, not restarted");
    const served = await load.stop();
    console.log(describeLoad("supervisor killed", served));
    assert.deepEqual(served.failures.slice(0, 5), []);

    const killedAt = await killHaproxy();
    const outageMs = await untilServing(killedAt);
    console.log(`# adopted HAProxy killed: back ${outageMs} ms later`);
    assert.notEqual(pidIn(router.paths.haproxyPidFile), master);
    assert.equal(masters().length, 1);
    assert.deepEqual(await routedServers(), before_);
  });
});
