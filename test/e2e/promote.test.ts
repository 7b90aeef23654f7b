// Whole-system promotion end to end: `slipway promote`, `slipway history`
// and `slipway rollback --to-lock` with the real CLI against real Docker,
// HAProxy, registries and SQLite. Two services, front → back (front answers
// by calling BACK_URL), promoted from `test` into `prod` as one group while a
// keep-alive load runs against both of prod's endpoints; every non-2xx answer
// or connection error counts as a failure. Front's canary is judged by a web
// analysis metric this test serves, so it passes in test and fails during
// the promotion that must roll the group back.
// Loopback ports 17500-17599: registries 17590/17591; verdict server 17580;
// `test` (portOffset 15500): back 17500, front 17501, router control 17509;
// `prod` (portOffset 15520): back 17520, front 17521, router control 17529.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { repoRoot, runCli, type CliResult } from "./helpers.js";
import { assertNoFailures, describeLoad, startLoad, stopAllLoads, type LoadResult } from "./keepalive-load.js";
import { buildAndPushPython, pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 17590;
const PROD_REGISTRY = 17591;
const VERDICT_PORT = 17580;
const SYSTEM = "e2e-promote";
const PROD = { back: 17520, front: 17521 } as const;
const engine = new DockerEngine();
const docker = engine.api;
const root = mkdtempSync(join(tmpdir(), "slipway-promote-e2e-"));
/** "back:v1" → sha256:… */
const digests: Record<string, string> = {};
/** What the analysis metric answers: 1 passes, 0 fails. */
let verdict = 1;
let verdictServer: Server | undefined;

const serverPy = pythonServer(
  'ROLE = os.environ["APP_ROLE"]; VERSION = os.environ["APP_VERSION"]',
  `
if self.path == "/healthz": status, body = 200, b"ok"
elif self.path != "/": status, body = 404, b"no"
elif ROLE == "back": status, body = 200, ("back(" + VERSION + ")").encode()
else:
    try:
        with urllib.request.urlopen(os.environ["BACK_URL"] + "/", timeout=5) as r: status, body = 200, ("front(" + VERSION + ")+").encode() + r.read()
    except Exception as e: status, body = 502, str(e).encode()
`,
);

function writeService(name: string, endpointPort: number, extra: string): void {
  mkdirSync(join(root, "services", name), { recursive: true });
  writeFileSync(
    join(root, "services", name, "slipway.service.yaml"),
    `name: ${name}
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
endpoint: { port: ${endpointPort} }
readiness: { http: { path: /healthz }, periodSeconds: 0.2, failureThreshold: 2 }
replicas: 2
terminationGracePeriodSeconds: 2
${extra}`,
  );
  writeFileSync(join(root, "services", name, "Dockerfile"), "FROM scratch\n");
}

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args], { SLIPWAY_IDENTITY: "release-manager@e2e" });

function assertExit(result: CliResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what} exited ${result.code}, expected ${code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

/** `slipway --json status --env E`: service → digest prefix (sha256: and 12 hex digits). */
async function statusDigests(env: string): Promise<Record<string, string>> {
  const result = await cli("--json", "status", "--env", env);
  assertExit(result, 0, "status");
  const rows = (JSON.parse(result.stdout) as { services: Record<string, string>[] }).services;
  return Object.fromEntries(rows.map((r) => [r["service"] as string, r["digest"] as string]));
}

const short = (key: string): string => (digests[key] ?? "?").slice(0, 19);

interface HistoryEntry {
  number: number;
  actor: string;
  action: string;
  result: string;
  detail: string;
  changes: { service: string; from?: string; to?: string }[];
  lock: Record<string, { image: string }>;
}

async function history(env: string): Promise<HistoryEntry[]> {
  const result = await cli("--json", "history", "--env", env);
  assertExit(result, 0, "history");
  return (JSON.parse(result.stdout) as { locks: HistoryEntry[] }).locks;
}

/** A load on each of prod's endpoints; stop() returns both results. */
function loadOnProd(): { stop: () => Promise<LoadResult[]> } {
  const loads = [startLoad(PROD.back, 100), startLoad(PROD.front, 100)];
  return { stop: async () => Promise.all(loads.map((l) => l.stop())) };
}

function assertNoFailuresOnProd(what: string, results: readonly LoadResult[]): void {
  results.forEach((r, i) => console.log(describeLoad(`${what}, ${i === 0 ? "back" : "front"}`, r)));
  for (const r of results) assertNoFailures(r, 100);
}

async function removeContainers(): Promise<void> {
  const list = await docker.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } });
  for (const c of list) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
}

describe("slipway promote, history and rollback --to-lock", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    verdictServer = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ score: verdict })));
    await new Promise<void>((resolve) => verdictServer?.listen(VERDICT_PORT, "127.0.0.1", resolve));
    writeFileSync(
      join(root, "slipway.yaml"),
      systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, ["{ name: test, registry: dev, portOffset: 15500, routerPort: 17509 }", "{ name: prod, registry: dev, portOffset: 15520, routerPort: 17529 }"]),
    );
    writeService("back", 2000, "strategy: { rolling: { maxSurge: 1, maxUnavailable: 0 } }\n");
    writeService(
      "front",
      2001,
      `dependsOn: [back]
strategy: { canary: { steps: [{ setWeight: 50 }, { analysis: { metrics: [verdict] } }, { setWeight: 100 }] } }
analysis:
  metrics:
    - name: verdict
      provider: { web: { url: "http://127.0.0.1:${VERDICT_PORT}/verdict", jsonPath: "$.score" } }
      failureCondition: "result < 1"
      interval: 1
      count: 2
`,
    );
    assertExit(await cli("up"), 0, "slipway up");
    for (const role of ["back", "front"]) {
      for (const version of ["v1", "v2", "v3"]) {
        digests[`${role}:${version}`] = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/${role}:${version}`, serverPy, { APP_ROLE: role, APP_VERSION: version });
      }
    }
    for (const env of ["test", "prod"]) {
      for (const role of ["back", "front"]) assertExit(await cli("deploy", role, "--env", env, "--digest", digests[`${role}:v1`] ?? ""), 0, `first deploy of ${role} to ${env}`);
    }
  });

  after(async () => {
    await stopAllLoads();
    await cli("down");
    await removeContainers();
    await new Promise((resolve) => verdictServer?.close(resolve));
    for (const key of Object.keys(digests)) await docker.getImage(`127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/${key}`).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("records every change of prod's digests: the first deploys are locks 1 and 2, by the acting identity", async () => {
    const locks = await history("prod");
    assert.deepEqual(locks.map((l) => [l.number, l.action, l.result, l.actor]), [
      [2, "deploy", "healthy", "release-manager@e2e"],
      [1, "deploy", "healthy", "release-manager@e2e"],
    ]);
    assert.deepEqual(Object.keys(locks[0]?.lock ?? {}), ["back", "front"]);
  });

  it("promote test → prod rolls out the changed services in dependency order under load: no failed request, one lock", async () => {
    for (const role of ["back", "front"]) assertExit(await cli("deploy", role, "--env", "test", "--digest", digests[`${role}:v2`] ?? ""), 0, `${role} v2 to test`);
    const load = loadOnProd();
    const promoted = await cli("promote", "--from", "test", "--to", "prod");
    await sleep(500);
    assertNoFailuresOnProd("promotion", await load.stop());
    assertExit(promoted, 0, "promote");
    assert.match(promoted.stdout, /back → front/);
    assert.deepEqual(await statusDigests("prod"), { back: short("back:v2"), front: short("front:v2") });
    const [last] = await history("prod");
    assert.deepEqual([last?.number, last?.action, last?.result], [3, "promote", "promoted"]);
    assert.deepEqual(last?.changes.map((c) => [c.service, c.from, c.to]), [
      ["back", digests["back:v1"], digests["back:v2"]],
      ["front", digests["front:v1"], digests["front:v2"]],
    ]);
    const again = await cli("promote", "--from", "test", "--to", "prod");
    assertExit(again, 0, "a second promote");
    assert.match(again.stdout, /nothing to promote/);
  });

  it("front's canary fails its analysis: back rolls back too and prod ends exactly on its previous lock, with no failed request", async () => {
    for (const role of ["back", "front"]) assertExit(await cli("deploy", role, "--env", "test", "--digest", digests[`${role}:v3`] ?? ""), 0, `${role} v3 to test`);
    verdict = 0;
    const load = loadOnProd();
    const promoted = await cli("promote", "--from", "test", "--to", "prod");
    await sleep(500);
    const results = await load.stop();
    verdict = 1;
    assertNoFailuresOnProd("failed promotion", results);
    assertExit(promoted, 1, "the failing promotion");
    assert.match(promoted.stdout, /front failed \(its rollout .* ended aborted/);
    assert.match(promoted.stdout, /back is back on its previous lock|prod is back on its previous lock/);
    // Both services answered with v3 during the promotion (back was promoted, front's canary had traffic) and all went back to v2.
    const answers = Object.keys(results[1]?.byBody ?? {});
    assert.ok(answers.some((a) => a.startsWith("front(v3)")), JSON.stringify(answers));
    assert.deepEqual(await statusDigests("prod"), { back: short("back:v2"), front: short("front:v2") });
    const [last, before] = await history("prod");
    assert.deepEqual([last?.number, last?.action, last?.result], [4, "promote", "rolled-back"]);
    assert.deepEqual(
      Object.fromEntries(Object.entries(last?.lock ?? {}).map(([s, e]) => [s, e.image.split("@")[1]])),
      Object.fromEntries(Object.entries(before?.lock ?? {}).map(([s, e]) => [s, e.image.split("@")[1]])),
    );
    assert.match(last?.detail ?? "", /rolled back back/);
  });

  it("rollback --to-lock 2 returns the whole system to v1, dependencies first, under load; a second promotion at once is refused naming the holder", async () => {
    const load = loadOnProd();
    const rolledBack = await cli("rollback", "--env", "prod", "--to-lock", "2");
    await sleep(500);
    assertNoFailuresOnProd("rollback to lock 2", await load.stop());
    assertExit(rolledBack, 0, "rollback --to-lock 2");
    assert.match(rolledBack.stdout, /back → front/);
    assert.deepEqual(await statusDigests("prod"), { back: short("back:v1"), front: short("front:v1") });
    const [last] = await history("prod");
    assert.deepEqual([last?.number, last?.action, last?.result], [5, "rollback-to-lock", "healthy"]);

    const table = await cli("history", "--env", "prod");
    assertExit(table, 0, "history");
    assert.match(table.stdout, /LOCK\s+WHEN \(UTC\)\s+WHO\s+ACTION\s+RESULT\s+CHANGED/);
    assert.match(table.stdout, /4 .*promote\s+rolled-back/);

    // Test runs v3 (front's analysis passes again): a promotion that takes a few seconds, and a second one beside it.
    const first = spawn(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, "promote", "--from", "test", "--to", "prod"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", SLIPWAY_IDENTITY: "first@e2e" } });
    let firstOut = "";
    first.stdout.on("data", (d: Buffer) => (firstOut += d.toString()));
    first.stderr.on("data", (d: Buffer) => (firstOut += d.toString()));
    const firstExit = new Promise<number>((resolve) => first.on("exit", (code) => resolve(code ?? 1)));
    const deadline = Date.now() + 30_000;
    while (!firstOut.includes("as one group") && Date.now() < deadline) await sleep(100);
    const second = await cli("promote", "--from", "test", "--to", "prod");
    assertExit(second, 8, "a second promotion at once");
    assert.match(second.stderr, /prod is already being changed as a group: a promotion test → prod by first@e2e \(process \d+/);
    assert.equal(await firstExit, 0, firstOut);
    assert.deepEqual(await statusDigests("prod"), { back: short("back:v3"), front: short("front:v3") });
  });
});
