// The HAProxy router against the real HAProxy: tiny HTTP backends in this
// process answer with their revision, a load generator keeps keep-alive
// traffic flowing at ~500 req/s while servers and weights change through
// the Runtime API, and every non-2xx answer or connection error counts as a
// failure. Loopback ports 15801-15830 only. Instances take pre-declared
// server slots (s1..sN), so stats rows are named by slot, not instance.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { SlipwayError } from "../../src/domain/errors.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { HaproxyRouter } from "../../src/router/haproxy/haproxy-router.js";
import { HaproxySocketClient } from "../../src/router/haproxy/runtime-api.js";
import { showProc } from "../../src/router/haproxy/master-cli.js";
import type { BackendRole } from "../../src/router/types.js";

const CONTROL = 15801;
const WEB = 15802;
const WEB_PREVIEW = 15803;
const API = 15804;
const SERVICE = "web";

// --- backends ----------------------------------------------------------

interface TestBackend {
  revision: string;
  port: number;
  /** Requests this backend answered. */
  served: number;
  close(): Promise<void>;
  /** Dies mid-flight: stops listening and cuts every connection. */
  crash(): void;
}

const backends: TestBackend[] = [];

async function startBackend(port: number, revision: string, status = 200): Promise<TestBackend> {
  const server = http.createServer((req, res) => {
    backend.served++;
    req.resume();
    res.writeHead(status, { "content-type": "text/plain" }).end(revision);
  });
  const backend: TestBackend = {
    revision,
    port,
    served: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
    crash: () => {
      server.close();
      server.closeAllConnections();
    },
  };
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  backends.push(backend);
  return backend;
}

// --- load --------------------------------------------------------------

interface LoadResult {
  sent: number;
  ok: number;
  failures: string[];
  byRevision: Record<string, number>;
  seconds: number;
}

/**
 * Keep-alive GETs at `rps` until stopped, at least `minMs` and at most 30 s
 * or 15 000 requests, whichever comes first.
 */
function startLoad(port: number, rps = 500, minMs = 5_000): { stop: () => Promise<LoadResult> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const result: LoadResult = { sent: 0, ok: 0, failures: [], byRevision: {}, seconds: 0 };
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  // Each tick sends what the schedule asks for by now, so late timers do not lower the rate.
  const tick = setInterval(() => {
    const elapsed = Date.now() - started;
    if (stopping || result.sent >= 15_000 || elapsed > 30_000) return;
    const due = Math.min(Math.floor((elapsed * rps) / 1000), 15_000) - result.sent;
    for (let i = 0; i < due; i++) {
      result.sent++;
      const p = get(port, agent).then(
        ({ status, body }) => {
          if (status >= 200 && status < 300) {
            result.ok++;
            result.byRevision[body] = (result.byRevision[body] ?? 0) + 1;
          } else result.failures.push(`HTTP ${status} ${body.slice(0, 60)}`);
        },
        (err: Error) => void result.failures.push(err.message),
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  }, 10);
  return {
    stop: async () => {
      const wait = minMs - (Date.now() - started);
      if (wait > 0) await sleep(wait);
      stopping = true;
      clearInterval(tick);
      await Promise.all(inFlight);
      agent.destroy();
      result.seconds = (Date.now() - started) / 1000;
      return result;
    },
  };
}

function get(port: number, agent: http.Agent, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent, headers, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
  });
}

/** `n` sequential-ish requests (10 at a time), counted by answer. */
async function sample(port: number, n: number, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
  const counts: Record<string, number> = {};
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next++ < n) {
        const { status, body } = await get(port, agent, headers);
        const key = status === 200 ? body : `HTTP ${status}`;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    }),
  );
  agent.destroy();
  return counts;
}

function report(name: string, r: LoadResult): void {
  const failures = r.failures.length === 0 ? "" : ` (${[...new Set(r.failures)].slice(0, 3).join("; ")})`;
  console.log(`# ${name}: ${r.sent} requests in ${r.seconds.toFixed(1)} s (${Math.round(r.sent / r.seconds)} req/s), ${r.failures.length} failed${failures}, by revision ${JSON.stringify(r.byRevision)}`);
}

function assertNoFailures(r: LoadResult): void {
  assert.ok(r.sent / r.seconds >= 450, `load ran at only ${Math.round(r.sent / r.seconds)} req/s`);
  assert.deepEqual(r.failures.slice(0, 10), [], `${r.failures.length} of ${r.sent} requests failed`);
  assert.equal(r.ok, r.sent);
}

// --- the router --------------------------------------------------------

const binary = haproxyBinary();
const stateDir = mkdtempSync(join(tmpdir(), "slipway-router-"));
let router: HaproxyRouter;
let masterPid = 0;
let workerAtStart = { pid: 0, uptimeSec: 0 };
let startedAt = 0;

const add = (name: string, b: TestBackend, role: BackendRole, weight: number) =>
  router.addBackend(SERVICE, { name, revision: b.revision, role, address: "127.0.0.1", port: b.port, weight });

/** Graceful removal as the runtime does it: out of the router first, then the instance stops. */
async function retire(name: string, b: TestBackend): Promise<void> {
  await router.removeBackend(SERVICE, name);
  await b.close();
}

describe("HAProxy router", { skip: binary === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    router = new HaproxyRouter({ environment: "e2e", stateDir, controlPort: CONTROL, drainTimeoutMs: 10_000 });
    await router.ensureService(SERVICE, { endpointPort: WEB, previewPort: WEB_PREVIEW });
    assert.equal(await router.start(), "started");
    masterPid = (JSON.parse(readFileSync(router.paths.haproxyPidFile, "utf8")) as { pid: number }).pid;
    workerAtStart = await router.showInfo();
    startedAt = Date.now();
  });

  after(async () => {
    await router?.close();
    await router?.stop();
    await Promise.all(backends.map((b) => b.close()));
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("splits traffic by revision percentages: 90/10 over 2000 requests", async () => {
    const r1a = await startBackend(15811, "r1");
    const r1b = await startBackend(15812, "r1");
    const r2 = await startBackend(15813, "r2");
    await add("web-r1-a", r1a, "stable", 100);
    await add("web-r1-b", r1b, "stable", 100);
    await add("web-r2-a", r2, "canary", 0);
    await router.setRevisionWeights(SERVICE, { r1: 90, r2: 10 });

    const counts = await sample(WEB, 2000);
    const share = (counts["r2"] ?? 0) / 2000;
    console.log(`# 90/10 split over 2000 requests: ${JSON.stringify(counts)} → r2 at ${(share * 100).toFixed(2)}%`);
    assert.equal((counts["r1"] ?? 0) + (counts["r2"] ?? 0), 2000);
    assert.ok(Math.abs(share - 0.1) <= 0.05, `r2 took ${share * 100}% instead of 10%`);
    // Within r1, the two instances share evenly.
    assert.ok(Math.abs(r1a.served - r1b.served) <= 0.1 * (r1a.served + r1b.served), `r1 instances served ${r1a.served} and ${r1b.served}`);

    // 90% over two instances and 10% over one, scaled as far as 256 allows: 450 : 50.
    const listed = await router.listBackends(SERVICE);
    assert.deepEqual(
      listed.map((b) => [b.name, b.weight, b.state]),
      [
        ["web-r1-a", 225, "ready"],
        ["web-r1-b", 225, "ready"],
        ["web-r2-a", 50, "ready"],
      ],
    );

    // 1% granularity: one request in a hundred.
    await router.setRevisionWeights(SERVICE, { r1: 99, r2: 1 });
    const onePercent = await sample(WEB, 2000);
    console.log(`# 99/1 split over 2000 requests: ${JSON.stringify(onePercent)}`);
    assert.ok(Math.abs((onePercent["r2"] ?? 0) - 20) <= 10, `r2 took ${onePercent["r2"]} of 2000 at 1%`);
    await router.setRevisionWeights(SERVICE, { r1: 90, r2: 10 });

    // The split holds while instances come and go: a third r1 instance takes a third of r1's 90%.
    const r1c = await startBackend(15822, "r1");
    await add("web-r1-c", r1c, "stable", 7);
    const weights = async (): Promise<[string, number][]> => (await router.listBackends(SERVICE)).map((b) => [b.name, b.weight]);
    assert.deepEqual(await weights(), [["web-r1-a", 240], ["web-r1-b", 240], ["web-r1-c", 240], ["web-r2-a", 80]]);
    await retire("web-r1-c", r1c);
    assert.deepEqual(await weights(), [["web-r1-a", 225], ["web-r1-b", 225], ["web-r2-a", 50]]);
  });

  it("sends X-Slipway-Canary: always to the canary, whatever the weights, and the preview port to the preview", async () => {
    await router.setRevisionWeights(SERVICE, { r1: 100 });
    assert.deepEqual(await sample(WEB, 100, { "X-Slipway-Canary": "always" }), { r2: 100 });
    assert.deepEqual(await sample(WEB, 100), { r1: 100 });

    const r9 = await startBackend(15814, "r9");
    await add("web-r9-a", r9, "preview", 0);
    assert.deepEqual(await sample(WEB_PREVIEW, 50), { r9: 50 });
    assert.deepEqual(await sample(WEB, 100), { r1: 100 }, "a preview at weight 0 takes no client traffic");
    await retire("web-r9-a", r9);
    assert.deepEqual(await sample(WEB_PREVIEW, 5), { "HTTP 503": 5 }, "no preview: the preview port answers 503");
  });

  it("counts 5xx per revision exactly as the failing revision served them", async () => {
    const bad = await startBackend(15815, "r3", 500);
    await add("web-r3-a", bad, "canary", 0);
    await router.setRevisionWeights(SERVICE, { r1: 80, r3: 20 });
    const before = await router.revisionStats(SERVICE);
    const counts = await sample(WEB, 1000);
    const afterStats = await router.revisionStats(SERVICE);
    console.log(`# 80/20 with a failing r3: ${JSON.stringify(counts)}; r3 served ${bad.served}, router counted ${JSON.stringify(afterStats.revisions["r3"])}`);

    assert.equal(counts["HTTP 500"], bad.served);
    assert.equal(afterStats.revisions["r3"]?.responses5xx, bad.served);
    assert.equal(afterStats.revisions["r3"]?.requests, bad.served);
    assert.equal((afterStats.revisions["r1"]?.responses5xx ?? -1) - (before.revisions["r1"]?.responses5xx ?? 0), 0);
    assert.equal((afterStats.revisions["r1"]?.requests ?? 0) - (before.revisions["r1"]?.requests ?? 0), counts["r1"]);
    assert.equal(afterStats.endpoint.responses5xx - before.endpoint.responses5xx, bad.served);
    assert.equal(afterStats.endpoint.requests - before.endpoint.requests, 1000);
    assert.ok((afterStats.revisions["r1"]?.latency?.samples ?? 0) >= (counts["r1"] ?? 0), "the request log has r1's requests");
    assert.ok(afterStats.revisions["r1"]?.latency !== undefined && afterStats.revisions["r1"].latency.p99Ms >= afterStats.revisions["r1"].latency.p50Ms);

    // Removing the instance keeps its counts in the revision's totals.
    await router.setRevisionWeights(SERVICE, { r1: 100 });
    await retire("web-r3-a", bad);
    const retired = await router.revisionStats(SERVICE);
    assert.equal(retired.revisions["r3"]?.responses5xx, bad.served);
  });

  it("drains and removes a server under keep-alive load without a failed request", async () => {
    const load = startLoad(WEB);
    await sleep(1_500);
    const drainStarted = Date.now();
    await retire("web-r1-b", backends.find((b) => b.port === 15812) as TestBackend);
    console.log(`# drain + remove of web-r1-b took ${Date.now() - drainStarted} ms`);
    const r = await load.stop();
    report("drain and remove", r);
    assertNoFailures(r);
  });

  it("rolls r1 → r2 instance by instance (rolling update) under load without a failed request", async () => {
    const r1a = backends.find((b) => b.port === 15811) as TestBackend;
    const r2a = backends.find((b) => b.port === 15813) as TestBackend;
    const r2b = await startBackend(15816, "r2");
    const load = startLoad(WEB);
    await sleep(500);
    // The canary-role r2 instance joins the stable set, a second one is added, r1 goes.
    await router.setBackendRole(SERVICE, "web-r2-a", "stable");
    await router.setBackendWeight(SERVICE, "web-r2-a", 100);
    await sleep(500);
    await add("web-r2-b", r2b, "stable", 100);
    await sleep(500);
    await retire("web-r1-a", r1a);
    const r = await load.stop();
    report("rolling update", r);
    assertNoFailures(r);
    assert.deepEqual(await sample(WEB, 50), { r2: 50 });
    assert.ok(r2a.served > 0);
  });

  it("takes a canary from 0 to 100% in steps under load without a failed request", async () => {
    const canary = await startBackend(15817, "r4");
    await add("web-r4-a", canary, "canary", 0);
    const load = startLoad(WEB);
    for (const p of [0, 1, 5, 10, 25, 50, 75, 100]) {
      await router.setRevisionWeights(SERVICE, { r2: 100 - p, r4: p });
      await sleep(500);
    }
    await router.setBackendRole(SERVICE, "web-r4-a", "stable");
    for (const [name, port] of [["web-r2-a", 15813], ["web-r2-b", 15816]] as const) await retire(name, backends.find((b) => b.port === port) as TestBackend);
    const r = await load.stop();
    report("canary 0 → 100%", r);
    assertNoFailures(r);
    assert.deepEqual(await sample(WEB, 50), { r4: 50 });
  });

  it("aborts a canary under load without a failed request", async () => {
    const canary = await startBackend(15818, "r5");
    await add("web-r5-a", canary, "canary", 0);
    const load = startLoad(WEB);
    for (const p of [10, 30]) {
      await router.setRevisionWeights(SERVICE, { r4: 100 - p, r5: p });
      await sleep(1_000);
    }
    await router.setRevisionWeights(SERVICE, { r4: 100 });
    await retire("web-r5-a", canary);
    const r = await load.stop();
    report("canary abort at 30%", r);
    assertNoFailures(r);
    assert.ok((r.byRevision["r5"] ?? 0) > 0, "the canary took some traffic before the abort");
    assert.deepEqual(await sample(WEB, 50), { r4: 50 });
  });

  it("switches blue to green under load without a failed request", async () => {
    const green = await startBackend(15819, "r6");
    await add("web-r6-a", green, "preview", 0);
    const load = startLoad(WEB);
    await sleep(1_000);
    assert.deepEqual(await sample(WEB_PREVIEW, 20), { r6: 20 }, "testers reach green on the preview port before the switch");
    await router.setRevisionWeights(SERVICE, { r6: 100 });
    await router.setBackendRole(SERVICE, "web-r6-a", "stable");
    await sleep(1_000);
    // Blue stays routable at weight 0 for an instant rollback, then goes.
    await retire("web-r4-a", backends.find((b) => b.port === 15817) as TestBackend);
    const r = await load.stop();
    report("blue-green switch", r);
    assertNoFailures(r);
    assert.deepEqual(await sample(WEB, 50), { r6: 50 });
  });

  it("reuses server connections to an instance added at run time (a pre-declared slot, not `add server`)", async () => {
    const extra = await startBackend(15823, "r6");
    await add("web-r6-c", extra, "stable", 100);
    const table = JSON.parse(readFileSync(router.paths.routesFile, "utf8")) as { services: Record<string, { backends: Record<string, { slot: number }> }> };
    const slot = `s${table.services[SERVICE]?.backends["web-r6-c"]?.slot ?? 0}`;
    // The slot may have served earlier instances: measure this instance's requests only.
    const slotCounters = async (): Promise<Record<"req_tot" | "connect" | "reuse", number>> => {
      const csv = await new HaproxySocketClient(router.paths.adminSocket, { label: "admin" }).send("show stat");
      const [header = "", ...lines] = csv.split("\n").filter((l) => l.trim() !== "");
      const col = new Map(header.slice(2).split(",").map((name, i) => [name, i]));
      const row = lines.map((l) => l.split(",")).find((c) => c[col.get("pxname") ?? -1] === `${SERVICE}.weighted` && c[col.get("svname") ?? -1] === slot);
      assert.ok(row !== undefined, `no show stat row for ${SERVICE}.weighted/${slot}`);
      const num = (name: string): number => Number(row[col.get(name) ?? -1] ?? Number.NaN);
      return { req_tot: num("req_tot"), connect: num("connect"), reuse: num("reuse") };
    };
    const before = await slotCounters();
    assert.deepEqual(await sample(WEB, 600), { r6: 600 });
    const after = await slotCounters();
    const requests = after.req_tot - before.req_tot;
    const connects = after.connect - before.connect;
    console.log(`# runtime-claimed slot ${slot}: ${requests} requests over ${connects} new server connections (${after.reuse - before.reuse} reused)`);
    assert.ok(requests >= 200, `the new instance took only ${requests} of 600 requests`);
    assert.ok(connects <= 20 && connects * 10 <= requests, `${connects} server connections for ${requests} requests: no reuse`);
    // A freed slot taken by the next instance must not hand it the old instance's idle connections.
    await router.removeBackend(SERVICE, "web-r6-c");
    const servedAfterRemoval = extra.served;
    const next = await startBackend(15824, "r6");
    await add("web-r6-d", next, "stable", 100);
    const again = JSON.parse(readFileSync(router.paths.routesFile, "utf8")) as typeof table;
    assert.equal(`s${again.services[SERVICE]?.backends["web-r6-d"]?.slot ?? 0}`, slot, "the next instance takes the freed slot");
    assert.deepEqual(await sample(WEB, 300), { r6: 300 });
    assert.equal(extra.served, servedAfterRemoval, "the removed instance (still listening) got requests through its old slot");
    assert.ok(next.served > 0);
    await extra.close();
    await retire("web-r6-d", next);
    assert.deepEqual(await sample(WEB, 20), { r6: 20 });
  });

  it("did not reload HAProxy on the rollout path", async () => {
    const now = await router.showInfo();
    const procs = await showProc(new HaproxySocketClient(router.paths.masterSocket, { label: "master" }));
    const elapsed = Math.floor((Date.now() - startedAt) / 1000);
    console.log(`# after ${elapsed} s of rollouts: master ${procs.masterPid} (${procs.reloads} reloads), worker ${now.pid} up ${now.uptimeSec} s (was ${workerAtStart.pid} at ${workerAtStart.uptimeSec} s)`);
    assert.equal(procs.masterPid, masterPid);
    assert.equal(procs.reloads, 0);
    assert.deepEqual(procs.workerPids, [workerAtStart.pid]);
    assert.equal(now.pid, workerAtStart.pid);
    assert.ok(now.uptimeSec >= workerAtStart.uptimeSec + elapsed - 1, `uptime ${now.uptimeSec} s after ${elapsed} s`);
  });

  it("survives an instance dying without draining: retries on another server hide it from GETs", async () => {
    const spare = await startBackend(15820, "r6");
    await add("web-r6-b", spare, "stable", 100);
    await router.setRevisionWeights(SERVICE, { r6: 100 });
    const load = startLoad(WEB, 500, 3_000);
    await sleep(1_000);
    spare.crash();
    await sleep(1_000);
    await router.removeBackend(SERVICE, "web-r6-b", { timeoutMs: 2_000 });
    const r = await load.stop();
    report("instance crash (no drain)", r);
    const stats = await router.revisionStats(SERVICE);
    console.log(`# r6 after the crash: ${JSON.stringify(stats.revisions["r6"])}`);
    assertNoFailures(r);
    // No client saw it, but the revision's counters do: analysis can fail a dead canary.
    assert.ok((stats.revisions["r6"]?.connectionErrors ?? 0) > 0);
  });

  it("adds a service with one reload that keeps every server, weight and listener", async () => {
    const load = startLoad(WEB, 500, 3_000);
    await sleep(1_000);
    await router.ensureService("api", { endpointPort: API });
    const r = await load.stop();
    report("reload for a new service (not a rollout step)", r);
    const procs = await showProc(new HaproxySocketClient(router.paths.masterSocket, { label: "master" }));
    assert.equal(procs.reloads, 1);
    assert.equal(procs.masterPid, masterPid);
    assert.deepEqual(await sample(WEB, 50), { r6: 50 });
    assert.deepEqual(
      (await router.listBackends(SERVICE)).map((b) => [b.name, b.role, b.state]),
      [["web-r6-a", "stable", "ready"]],
    );
    const api = await startBackend(15821, "a1");
    await router.addBackend("api", { name: "api-a1-a", revision: "a1", role: "stable", address: "127.0.0.1", port: api.port, weight: 10 });
    assert.deepEqual(await sample(API, 20), { a1: 20 });
    // Listeners pass to the new worker; the old one closes keep-alive clients after their next answer.
    assertNoFailures(r);
  });

  it("explains wrong calls with stable error codes", async () => {
    const code = async (p: Promise<unknown>): Promise<string> => {
      try {
        await p;
        return "no error";
      } catch (err) {
        return err instanceof SlipwayError ? err.code : String(err);
      }
    };
    assert.equal(await code(router.addBackend(SERVICE, { name: "web-r6-a", revision: "r6", role: "stable", address: "127.0.0.1", port: 15899, weight: 1 })), "ROUTER_CONFLICT");
    assert.equal(await code(router.setRevisionWeights(SERVICE, { r6: 60, r7: 40 })), "ROUTER_INVALID_WEIGHTS");
    assert.equal(await code(router.setRevisionWeights(SERVICE, { r6: 90 })), "ROUTER_INVALID_WEIGHTS");
    assert.equal(await code(router.listBackends("nope")), "ROUTER_NOT_FOUND");
    assert.equal(await code(router.removeBackend(SERVICE, "never-added")), "no error");
    assert.equal(await code(router.ensureService("other", { endpointPort: CONTROL })), "PORT_IN_USE");
  });
});
