// The Docker Engine restarted under a deployed environment, against the real
// parts: a second, private Docker Engine (scripts/private-engine.sh — the
// machine's engine is shared with every other test, so restarting it is not
// an option), HAProxy, SQLite and the CLI, with `slipway controller`
// running. Restarted while settled and in the middle of a canary's timed
// pause: the instances come back by their `unless-stopped` policy as the
// same containers on the same addresses, the rollout goes on from the store
// to the end, no instance is duplicated or orphaned, and every address the
// router routes answers afterwards. Prints the engine's restart time, the
// time the router pointed at a dead address and the requests lost
// (docs/reliability.md). Needs root (it starts a dockerd). Loopback ports
// 19500-19599 only.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DockerEngine, engineAddress } from "../../src/docker/engine.js";
import { haproxyBinary, haproxyPaths } from "../../src/router/haproxy/haproxy-daemon.js";
import { SqliteRolloutStore } from "../../src/store/sqlite/rollout-store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { repoRoot, runCli, startControllerProcess, stopControllerProcess, until, writeScratchService, type CliResult, type ControllerProcess } from "./helpers.js";
import { describeLoad, startLoad, stopAllLoads } from "./keepalive-load.js";
import { deployVersionedHello } from "./python-service.js";
import { routedServers } from "./router-faults.js";

/** Registries 19590/19591; portOffset 17600, so endpoint 1910 → 19510 and the router's control port 17600 + 1999 = 19599. */
const PORTS = { registries: { dev: 19590, prod: 19591 }, offset: 17600, endpoint: 19510 } as const;
const SYSTEM = "e2e-engine-restart";
const BASE_IMAGE = "python:3.11-slim-bookworm";
const script = join(repoRoot, "scripts", "private-engine.sh");
const binary = haproxyBinary() ?? "";
const root = mkdtempSync(join(tmpdir(), "slipway-engine-restart-e2e-"));
const paths = haproxyPaths(join(root, ".slipway"), "test");
const tagOf = (version: string): string => `127.0.0.1:${PORTS.registries.dev}/${SYSTEM}/hello:${version}`;
const digests = new Map<string, string>();
const LOAD_RPS = 200;
const skip = process.getuid?.() !== 0 ? "starting a private dockerd needs root" : binary === "" ? "haproxy is not installed" : !existsSync("/usr/sbin/dockerd") && !existsSync("/usr/bin/dockerd") ? "dockerd is not installed" : false;

function privateEngine(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("bash", [script, ...args], { timeout: 180_000 }, (err, stdout, stderr) => (err ? reject(new Error(`private-engine.sh ${args.join(" ")}: ${err.message}\n${stderr}`)) : resolve(stdout))),
  );
}

// Every slipway process this test starts (CLI, controller) and its own engine client talk to the private engine.
const dockerHost = "unix:///run/slipway-private-engine/docker.sock";
const engine = new DockerEngine(engineAddress({ DOCKER_HOST: dockerHost }));
const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args], { DOCKER_HOST: dockerHost });

function ok(result: CliResult, what: string): void {
  assert.equal(result.code, 0, `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

function writeService(strategy: object): void {
  writeScratchService(root, { endpoint: { port: 1910 }, readiness: { http: { path: "/healthz" }, periodSeconds: 0.2 }, replicas: 2, terminationGracePeriodSeconds: 2, strategy });
}

interface InstanceView {
  id: string;
  revision: string;
  hostPort: string;
  state: string;
}

async function instances(): Promise<InstanceView[]> {
  const list = await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`, "org.slipway.service=hello"] } });
  return list.map((c) => ({ id: c.Id, revision: c.Labels["org.slipway.revision"] ?? "", hostPort: c.Labels["org.slipway.host-port"] ?? "", state: c.State })).sort((a, b) => a.id.localeCompare(b.id));
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.setTimeout(500);
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

/**
 * Watches, every 50 ms, whether each address the router sends traffic to (in
 * the route, not taken out by its health check) answers a TCP connect;
 * returns the longest time one such address stayed dead.
 */
function watchRoutedAddresses(): { stop: () => Promise<{ longestDeadMs: number; samples: number }> } {
  let stopping = false;
  const deadSince = new Map<string, number>();
  let longestDeadMs = 0;
  let samples = 0;
  const loop = (async () => {
    while (!stopping) {
      const servers = await routedServers(paths.adminSocket, "hello").catch(() => [] as string[]);
      const inRotation = servers.filter((s) => !s.split(" ").slice(4).join(" ").startsWith("DOWN"));
      const addresses = new Set(inRotation.map((s) => s.split(" ")[1] ?? "").filter((a) => a !== ""));
      const now = Date.now();
      for (const address of addresses) {
        const alive = await answers(Number(address.split(":")[1]));
        if (alive) deadSince.delete(address);
        else if (!deadSince.has(address)) deadSince.set(address, now);
      }
      for (const [address, since] of deadSince) {
        if (!addresses.has(address)) deadSince.delete(address);
        longestDeadMs = Math.max(longestDeadMs, now - since);
      }
      samples++;
      await sleep(50);
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await loop;
      return { longestDeadMs, samples };
    },
  };
}

function latestRollout(): { stepIndex: number; paused: boolean; finished: boolean; outcome?: string } | undefined {
  const store = SqliteStore.open(join(root, ".slipway", "state.db"));
  try {
    const r = new SqliteRolloutStore(store.db).latestRollout({ system: SYSTEM, environment: "test", service: "hello" });
    return r === undefined ? undefined : { stepIndex: r.state.stepIndex, paused: r.state.pause !== undefined, finished: r.finished, ...(r.outcome === undefined ? {} : { outcome: r.outcome }) };
  } finally {
    store.close();
  }
}

/** Restarts the private engine under load; logs and returns what it cost. */
async function restartEngineUnderLoad(what: string): Promise<void> {
  const load = startLoad(PORTS.endpoint, LOAD_RPS);
  const watch = watchRoutedAddresses();
  await sleep(1_000);
  const started = Date.now();
  await privateEngine("restart");
  const engineMs = Date.now() - started;
  const before = await instances();
  // Those still there: a rollout going on may scale the old revision down meanwhile.
  const backMs = await until("every instance answers on its address again", async () => {
    const present = new Set((await instances()).map((i) => i.id));
    return (await Promise.all(before.filter((i) => present.has(i.id)).map((i) => answers(Number(i.hostPort))))).every(Boolean);
  }, 60_000, 50);
  await sleep(2_000);
  const served = await load.stop();
  const dead = await watch.stop();
  console.log(`# ${what}: the engine restarted in ${engineMs} ms; instances answering ${backMs} ms after that; the router pointed at a dead address for at most ${dead.longestDeadMs} ms (${dead.samples} samples)`);
  console.log(describeLoad(what, served));
  const span = served.failureSpan === undefined ? "none" : `${served.failureSpan.lastMs - served.failureSpan.firstMs} ms from the first to the last`;
  console.log(`# ${what}: ${served.failures.length} of ${served.sent} requests failed (${span})`);
}

describe("Docker Engine restarted (a private engine; real HAProxy, SQLite, CLI, controller)", { skip }, () => {
  let controller: ControllerProcess | undefined;

  async function stopController(): Promise<string> {
    const c = controller;
    controller = undefined;
    return c === undefined ? "" : stopControllerProcess(c);
  }

  before(async () => {
    await privateEngine("up");
    await privateEngine("load", BASE_IMAGE);
    writeService({ rolling: { scaleDownDelaySeconds: 0 } });
    for (const [version, digest] of await deployVersionedHello({ root, system: SYSTEM, registries: PORTS.registries, portOffset: PORTS.offset, engine, cli, tagOf })) digests.set(version, digest);
    controller = await startControllerProcess(root, "test", { DOCKER_HOST: dockerHost });
  });

  after(async () => {
    await stopAllLoads();
    const output = await stopController();
    if (output !== "") console.log(output.trimEnd().replace(/^/gm, "# controller: "));
    await cli("down");
    for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } }).catch(() => [])) await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const version of digests.keys()) await engine.api.getImage(tagOf(version)).remove({ force: true }).catch(() => undefined);
    // The engine's data root (with the base image) stays as a cache; the engine itself stops.
    await privateEngine("down");
    rmSync(root, { recursive: true, force: true });
  });

  // A clean-clone CI run once saw the controller replace these instances: dockerd shutting down stops
  // them but still answers the API, and "exited" was read as "stopped for good". Now an exited
  // instance under unless-stopped keeps its place for a grace period (replica-repair.ts), and the
  // router's health check keeps traffic off its address meanwhile.
  it("restarted while settled: the same containers come back on the same addresses; nothing duplicated or orphaned; status healthy again", async () => {
    const before = await instances();
    // Addresses and weights per route; which slot each takes is HAProxy's bookkeeping.
    const routes = async (): Promise<string[]> => (await routedServers(paths.adminSocket, "hello")).map((l) => l.replace(/\/s\d+ /, " ")).sort();
    const routed = await routes();
    assert.equal(before.length, 2);
    await restartEngineUnderLoad("engine restart, settled");
    await until("status says healthy", async () => ((await statusRow())["health"] ?? "") === "healthy", 30_000);
    assert.deepEqual(await instances(), before.map((i) => ({ ...i, state: "running" })), "the same containers, on the same host ports, running");
    await until("the router's checks see both up", async () => (await routedServers(paths.adminSocket, "hello")).every((l) => l.endsWith(" UP")), 10_000, 50);
    assert.deepEqual(await routes(), routed, "the router routes the same addresses with the same weights");
    for (const i of before) assert.ok(await answers(Number(i.hostPort)), `instance ${i.id.slice(0, 12)} answers on ${i.hostPort}`);
  });

  it("restarted in the middle of a canary's timed pause: the controller finishes the rollout from the store; only the target's 2 instances are left, all routed addresses answer", async () => {
    writeService({ canary: { steps: [{ setWeight: 50 }, { pause: { duration: 8 } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } });
    const deploy = cli("deploy", "hello", "--env", "test", "--digest", digests.get("v2") ?? "");
    await until("the canary is in its timed pause", () => {
      const r = latestRollout();
      return r !== undefined && !r.finished && r.stepIndex === 1 && r.paused;
    }, 60_000);
    const canary = await instances();
    await restartEngineUnderLoad("engine restart, mid-canary");
    const result = await deploy;
    console.log(result.stdout.trimEnd().replace(/^/gm, "# deploy: "));
    ok(result, "the deploy followed by the controller");
    const rollout = latestRollout();
    assert.equal(rollout?.finished, true);
    assert.equal(rollout?.outcome, "healthy");
    const left = await until("only the target's instances are left", async () => (await instances()).length === 2, 30_000);
    console.log(`# after the rollout: 2 instances left ${left} ms after the deploy returned`);
    const now = await instances();
    assert.equal(new Set(now.map((i) => i.revision)).size, 1, `one revision left: ${JSON.stringify(now)}`);
    assert.ok(now.every((i) => i.state === "running"), JSON.stringify(now));
    // The canary's instances that existed before the restart are the ones serving now: restarted, not recreated.
    const target = now[0]?.revision ?? "";
    assert.deepEqual(now.map((i) => i.id).filter((id) => canary.some((c) => c.id === id && c.revision === target)).length, canary.filter((c) => c.revision === target).length);
    const routed = await routedServers(paths.adminSocket, "hello");
    assert.equal(routed.length, 2, routed.join("\n"));
    for (const line of routed) assert.ok(await answers(Number(line.split(" ")[1]?.split(":")[1])), `routed ${line} answers`);
    assert.deepEqual(routed.map((l) => l.split(" ")[1]?.split(":")[1]).sort(), now.map((i) => i.hostPort).sort(), "the router routes exactly the live instances");
    const row = await statusRow();
    assert.equal(row["health"], "healthy", JSON.stringify(row));
    assert.equal(row["ready"], "2/2");
  });

  async function statusRow(): Promise<Record<string, string>> {
    const result = await cli("--json", "status", "--env", "test");
    ok(result, "status");
    const row = (JSON.parse(result.stdout) as { services: Record<string, string>[] }).services.find((r) => r["service"] === "hello");
    assert.ok(row !== undefined, result.stdout);
    return row;
  }
});
