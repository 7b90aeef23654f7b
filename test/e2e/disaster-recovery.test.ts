// Disaster recovery end to end: `slipway snapshot` and `slipway restore`
// with the real CLI against real Docker, HAProxy, registries and SQLite. Two
// services, front → back, from a tiny Python image whose front answers by
// calling BACK_URL, so an answer through the router proves that restore gave
// front the target environment's URL of back. Loopback ports 16301-16399:
// registries 16390/16391; `test` (portOffset 14310): back 16310, front
// 16311, router control 16309; `dr` (portOffset 14330): back 16330, front
// 16331, router control 16329.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { runCli, type CliResult } from "./helpers.js";
import { buildAndPushPython, pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 16390;
const PROD_REGISTRY = 16391;
const SYSTEM = "e2e-recovery";
const PORTS = { test: { back: 16310, front: 16311 }, dr: { back: 16330, front: 16331 } } as const;
const SECRET = "s3cret-do-not-write";
const engine = new DockerEngine();
const docker = engine.api;
const root = mkdtempSync(join(tmpdir(), "slipway-recovery-e2e-"));
const lockFile = join(root, "test.lock.json");
/** Service → its image's digest in the dev registry. */
const digests: Record<string, string> = {};
/** The pinned reference restore pulls: registry/repo@sha256:… */
const image = (role: string): string => `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/${role}@${digests[role] ?? "?"}`;

const serverPy = pythonServer(
  'ROLE = os.environ["APP_ROLE"]',
  `
if self.path == "/healthz": status, body = 200, b"ok"
elif self.path != "/": status, body = 404, b"no"
elif ROLE == "back": status, body = 200, b"back(v1)"
else:
    try:
        with urllib.request.urlopen(os.environ["BACK_URL"] + "/", timeout=5) as r: status, body = 200, b"front(v1)+" + r.read()
    except Exception as e: status, body = 502, str(e).encode()
`,
);

const buildAndPush = (role: string): Promise<string> => buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/${role}:v1`, serverPy, { APP_ROLE: role });

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
terminationGracePeriodSeconds: 2
strategy: { rolling: { maxSurge: 1, maxUnavailable: 0, progressDeadlineSeconds: 6, scaleDownDelaySeconds: 0 } }
${extra}`,
  );
  // validate requires the Dockerfile a service is built from.
  writeFileSync(join(root, "services", name, "Dockerfile"), "FROM scratch\n");
}

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args], { E2E_RECOVERY_TOKEN: SECRET });

function assertExit(result: CliResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what} exited ${result.code}, expected ${code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

function get(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
  });
}

interface ContainerView {
  id: string;
  environment: string;
  service: string;
  image: string;
  state: string;
}

async function containers(environment?: string): Promise<ContainerView[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`, ...(environment ? [`org.slipway.environment=${environment}`] : [])] } });
  return list.map((c) => ({ id: c.Id, environment: c.Labels["org.slipway.environment"] ?? "?", service: c.Labels["org.slipway.service"] ?? "?", image: c.Image, state: c.State }));
}

async function envOf(containerId: string): Promise<string[]> {
  return (await docker.getContainer(containerId).inspect()).Config.Env;
}

/** `slipway --json status --env E`: service → digest prefix (sha256: and 12 hex digits, as status prints it). */
async function statusDigests(env: string): Promise<Record<string, string>> {
  const result = await cli("--json", "status", "--env", env);
  assertExit(result, 0, "status");
  const rows = (JSON.parse(result.stdout) as { services: Record<string, string>[] }).services;
  return Object.fromEntries(rows.map((r) => [r["service"] as string, r["digest"] as string]));
}

const digestPrefix = (reference: string): string => (reference.split("@")[1] ?? "").slice(0, 19);

async function removeImages(): Promise<void> {
  for (const role of ["back", "front"]) {
    for (const ref of [image(role), `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/${role}:v1`]) {
      const id = await docker.getImage(ref).inspect().then((i) => i.Id, () => undefined);
      if (id !== undefined) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
    }
  }
}

async function removeContainers(): Promise<void> {
  for (const c of await containers()) await docker.getContainer(c.id).remove({ force: true }).catch(() => undefined);
}

/** The lock of `test` with one change, written next to it. */
function editedLock(name: string, edit: (lock: { services: { service: string; image: string; template: { readiness: { http?: { path: string } } } }[] }) => void): string {
  const lock = JSON.parse(readFileSync(lockFile, "utf8")) as Parameters<typeof edit>[0];
  edit(lock);
  const file = join(root, name);
  writeFileSync(file, JSON.stringify(lock));
  return file;
}

describe("disaster recovery", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    writeFileSync(join(root, "slipway.yaml"), systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, ["{ name: test, registry: dev, portOffset: 14310 }", "{ name: dr, registry: dev, portOffset: 14330 }"]));
    writeService("back", 2000, "env: { GREETING: hello }\n");
    writeService("front", 2001, "replicas: 2\ndependsOn: [back]\nenv: { MODE: e2e, TOKEN: { fromEnv: E2E_RECOVERY_TOKEN } }\n");
    assertExit(await cli("up"), 0, "slipway up");
    digests["back"] = await buildAndPush("back");
    digests["front"] = await buildAndPush("front");
    assertExit(await cli("deploy", "back", "--env", "test", "--digest", digests["back"]), 0, "deploy back to test");
    assertExit(await cli("deploy", "front", "--env", "test", "--digest", digests["front"]), 0, "deploy front to test");
    assert.deepEqual(await get(PORTS.test.front), { status: 200, body: "front(v1)+back(v1)" });
  });

  after(async () => {
    await cli("down");
    await removeContainers();
    await removeImages();
    rmSync(root, { recursive: true, force: true });
  });

  it("snapshot of test, restored into dr: same digests, front reaches back through dr's router", async () => {
    const snapshot = await cli("snapshot", "--env", "test", "-o", lockFile);
    assertExit(snapshot, 0, "snapshot");
    const text = readFileSync(lockFile, "utf8");
    assert.ok(!text.includes(SECRET), "the lock holds a secret's value");
    const lock = JSON.parse(text) as { formatVersion: number; system: string; environment: string; takenAt: string; services: { service: string; image: string; replicas: number; strategy: string; template: { env: Record<string, string>; secretEnv: Record<string, string> } }[] };
    assert.equal(lock.formatVersion, 1);
    assert.equal(lock.system, SYSTEM);
    assert.equal(lock.environment, "test");
    assert.ok(Date.now() - Date.parse(lock.takenAt) < 60_000);
    assert.deepEqual(
      lock.services.map((s) => [s.service, s.image, s.replicas, s.strategy]),
      [
        ["back", image("back"), 1, "rolling"],
        ["front", image("front"), 2, "rolling"],
      ],
    );
    const front = lock.services[1];
    assert.deepEqual(front?.template.env, { MODE: "e2e" }, "front's env keeps its literals and drops the injected BACK_URL");
    assert.deepEqual(front?.template.secretEnv, { TOKEN: "E2E_RECOVERY_TOKEN" });
    const stdout = await cli("snapshot", "--env", "test");
    assertExit(stdout, 0, "snapshot to stdout");
    assert.deepEqual((JSON.parse(stdout.stdout) as { services: unknown[] }).services, lock.services);

    const restore = await cli("restore", lockFile, "--env", "dr");
    assertExit(restore, 0, "restore into dr");
    assert.match(restore.stdout, /restored back, front in dr/);
    assert.ok(restore.stdout.indexOf("back →") < restore.stdout.indexOf("front →"), "back is restored before front");
    assert.deepEqual(await statusDigests("dr"), { back: digestPrefix(image("back")), front: digestPrefix(image("front")) });
    const dr = await containers("dr");
    assert.deepEqual(dr.map((c) => `${c.service} ${c.image} ${c.state}`).sort(), [`back ${image("back")} running`, `front ${image("front")} running`, `front ${image("front")} running`]);
    for (const c of dr.filter((x) => x.service === "front")) {
      const env = await envOf(c.id);
      assert.ok(env.includes(`BACK_URL=http://127.0.0.1:${PORTS.dr.back}`), env.join(" "));
      assert.ok(env.includes(`TOKEN=${SECRET}`));
    }
    assert.deepEqual(await get(PORTS.dr.front), { status: 200, body: "front(v1)+back(v1)" });
  });

  it("the machine is lost: up and restore bring test back at the exact digests; a second restore is a no-op", async () => {
    assertExit(await cli("down"), 0, "slipway down");
    await removeContainers();
    await removeImages();
    const stateDir = join(root, ".slipway");
    for (const f of readdirSync(stateDir).filter((n) => n.startsWith("state.db"))) rmSync(join(stateDir, f));
    rmSync(join(stateDir, "routers"), { recursive: true, force: true });
    assert.deepEqual(await containers(), []);
    assert.equal(await engine.imageExists(image("back")), false);

    assertExit(await cli("up"), 0, "slipway up on the fresh machine");
    const restore = await cli("restore", lockFile, "--env", "test");
    assertExit(restore, 0, "restore into test");
    assert.match(restore.stderr, new RegExp(`pulled ${image("back").replace(/[.]/g, "\\.")}`));
    assert.deepEqual(await statusDigests("test"), { back: digestPrefix(image("back")), front: digestPrefix(image("front")) });
    assert.deepEqual(await get(PORTS.test.front), { status: 200, body: "front(v1)+back(v1)" });
    assert.deepEqual(await get(PORTS.test.back), { status: 200, body: "back(v1)" });
    const before = (await containers()).map((c) => c.id).sort();

    const again = await cli("restore", lockFile, "--env", "test");
    assertExit(again, 0, "second restore");
    assert.match(again.stdout, /back: already runs .* in test; skipped/);
    assert.match(again.stdout, /front: already runs .* in test; skipped/);
    assert.match(again.stdout, /nothing to restore/);
    assert.deepEqual((await containers()).map((c) => c.id).sort(), before, "the second restore changed containers");
  });

  it("a malformed lock and a lock naming an unknown service are refused; nothing starts", async () => {
    const malformed = editedLock("malformed.json", (lock) => {
      (lock.services[1] as { image: string }).image = "127.0.0.1:16390/e2e-recovery/front:v1";
    });
    const bad = await cli("restore", malformed, "--env", "dr");
    assertExit(bad, 2, "restore of a malformed lock");
    assert.match(bad.stderr, /malformed\.json is not a valid system lock:\s+\$\.services\[1\]\.image: must be an image pinned by digest/);
    const unknown = editedLock("unknown.json", (lock) => {
      (lock.services[0] as { service: string }).service = "ghost";
    });
    const refused = await cli("restore", unknown, "--env", "dr");
    assertExit(refused, 2, "restore of a lock naming an unknown service");
    assert.match(refused.stderr, /the lock names service ghost, which the configuration of e2e-recovery does not have/);
    assert.deepEqual(await containers("dr"), []);
  });

  it("a digest the registry does not hold fails naming the service; no container is left", async () => {
    const missing = `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/back@sha256:${"0".repeat(64)}`;
    const file = editedLock("missing.json", (lock) => {
      (lock.services[0] as { image: string }).image = missing;
    });
    const result = await cli("restore", file, "--env", "dr");
    assert.notEqual(result.code, 0, result.stdout);
    assert.ok(result.stderr.includes(`cannot pull back's image ${missing}; nothing was restored`), result.stderr);
    assert.deepEqual(await containers("dr"), []);
  });

  it("a service that never becomes ready stops the restore: what was restored is said, its instances are removed", async () => {
    const file = editedLock("never-ready.json", (lock) => {
      (lock.services[1] as { template: { readiness: { http?: { path: string } } } }).template.readiness.http = { path: "/never" };
    });
    const result = await cli("restore", file, "--env", "dr");
    assertExit(result, 1, "restore with a never-ready front");
    assert.match(result.stderr, /front was not restored: its rollout ended degraded \(progress deadline exceeded/);
    assert.match(result.stderr, /restored: back; skipped \(already running\): none; not restored: front/);
    assert.deepEqual((await containers("dr")).map((c) => `${c.service} ${c.state}`), ["back running"]);
    const status = await cli("--json", "status", "--env", "dr");
    const front = (JSON.parse(status.stdout) as { services: Record<string, string>[] }).services.find((r) => r["service"] === "front");
    assert.equal(front?.["rollout"], "degraded");
    assert.match(front?.["ready"] ?? "", /^0\/[1-9]/);
    assert.match(front?.["health"] ?? "", /^degraded: its last rollout ended degraded/);
  });
});
