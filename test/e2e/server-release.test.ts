// `slipway release`, `runs` and `snapshot` through `slipway serve` (the CLI's
// remote mode), end to end: the real serve process, real Docker (CI builds
// a tiny Python service on this machine), Distribution registries, HAProxy
// and SQLite. The server releases as the logged-in user (the release and
// the audit log name them, never this machine's identity), a blocked
// release waits for another owner's approval, CI runs read the server's
// store, and a snapshot the server takes is written here. A viewer may read
// but not release (403); bad input answers with the local command's codes
// and hints.
// Loopback ports 13600-13899 only: `test` (portOffset 11700) endpoint 13710,
// router control 13699; `prod` (portOffset 11800) endpoint 13810, router
// control 13799; API 13820; registries 13890/13891.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, runCli, type CliResult } from "./helpers.js";
import { sample } from "./keepalive-load.js";
import { pythonServer, removeScratchSystem, systemYaml } from "./python-service.js";
import { apiCall, startServe, type ServeProcess } from "./serve-process.js";

const DEV_REGISTRY = 13890;
const PROD_REGISTRY = 13891;
const PROD_ENDPOINT = 13810;
const API_PORT = 13820;
const API = `http://127.0.0.1:${API_PORT}`;
const SYSTEM = "e2e-serve-release";
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-serve-release-e2e-"));
const serviceDir = join(root, "services", "api");
const tokens: Record<string, string> = {};
let serve: ServeProcess | undefined;

const git = (...args: string[]): string => execFileSync("git", ["-C", root, "-c", "user.email=dev@shop.example", "-c", "user.name=dev", ...args], { encoding: "utf8" });
/** This machine's CLI on the system's folder: CI runs here, as it would on a build agent. */
const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args], { CI: "true", SLIPWAY_IDENTITY: "someone-else@shop.example" });
/** The CLI in remote mode, from no system's folder: all it knows is the server and the token. */
const remote = (user: string, ...args: string[]): Promise<CliResult> => runCli(["--server", API, ...args], { SLIPWAY_TOKEN: tokens[user] as string, SLIPWAY_IDENTITY: "someone-else@shop.example" });
const withLog = (what: string, r: CliResult): string => `${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nserve log:\n${serve?.log() ?? ""}`;

function writeServer(version: string): void {
  writeFileSync(join(serviceDir, "server.py"), pythonServer(`VERSION = b"${version}"`, 'body = b"ok" if self.path == "/healthz" else VERSION\nstatus = 200'));
}

interface AuditRow {
  actor: string;
  action: string;
  subject: string;
}

async function auditActions(subject: string): Promise<string[]> {
  const r = await apiCall(API, tokens["val"] as string, "GET", "/api/audit?limit=200");
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return (r.body["entries"] as AuditRow[]).filter((e) => e.subject === subject).map((e) => `${e.actor} ${e.action}`);
}

describe("release, runs and snapshot through slipway serve", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    mkdirSync(serviceDir, { recursive: true });
    writeFileSync(
      join(root, "slipway.yaml"),
      systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, ["{ name: test, registry: dev, portOffset: 11700 }", "{ name: prod, registry: prod, portOffset: 11800 }"]) +
        "releasePolicy:\n  default:\n    major: { approvals: 1, approvers: owners }\n",
    );
    writeFileSync(
      join(serviceDir, "slipway.service.yaml"),
      `name: api
owners: [dev@shop.example, ann@shop.example]
version: 1.0.0
build: { image: python:3.11-slim-bookworm }
port: 8080
endpoint: { port: 2010 }
readiness: { http: { path: /healthz }, periodSeconds: 0.2, failureThreshold: 2 }
replicas: 1
terminationGracePeriodSeconds: 1
strategy:
  canary: { steps: [{ setWeight: 50 }], scaleDownDelaySeconds: 0 }
`,
    );
    writeServer("v1");
    writeFileSync(join(serviceDir, "Dockerfile"), 'FROM python:3.11-slim-bookworm\nCOPY server.py /app/server.py\nUSER 65534\nCMD ["python", "-u", "/app/server.py"]\n');
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "feat: the api");
    ok(await cli("up"), "slipway up");
    ok(await cli("ci"), "ci");
    for (const [user, role] of [
      ["dev@shop.example", "deployer"],
      ["ann@shop.example", "approver"],
      ["val", "viewer"],
    ] as const) {
      ok(await cli("users", "add", user, "--role", role), `users add ${user}`);
      tokens[user] = ok(await cli("token", "create", "--user", user, "--role", role), `token create for ${user}`).stdout.trim();
    }
    serve = await startServe(root, API_PORT);
  });

  after(async () => {
    await serve?.stop();
    await cli("down");
    // CI's and the deploy's images of this system, tagged or pulled by digest: by id.
    const built = await engine.api.listImages({ filters: { reference: [DEV_REGISTRY, PROD_REGISTRY].map((port) => `127.0.0.1:${port}/${SYSTEM}/api`) } });
    await removeScratchSystem(engine, SYSTEM, built.map((image) => image.Id), root);
  });

  it("a remote release runs on the server as the caller: copied, signed, recorded by their name", async () => {
    const released = await remote("dev@shop.example", "release", "api");
    assert.equal(released.code, 0, withLog("remote release", released));
    assert.match(released.stdout, /released api@1\.0\.0: 127\.0\.0\.1:13891\/e2e-serve-release\/api:1\.0\.0 = sha256:[0-9a-f]{64}/);
    assert.match(released.stdout, /initial release, \d+ blobs copied .*; signed, provenance attached/);
    const list = await remote("val", "--json", "releases", "api");
    assert.equal(list.code, 0, withLog("remote releases", list));
    const rows = (JSON.parse(list.stdout) as { services: { dev?: { digest: string }; releases: { version: string; digest: string; signature: string }[] }[] }).services;
    assert.deepEqual(
      rows[0]?.releases.map((r) => ({ version: r.version, digest: r.digest, signature: r.signature })),
      [{ version: "1.0.0", digest: rows[0]?.dev?.digest, signature: "verified" }],
      "the tested digest, byte for byte, signed",
    );
    assert.deepEqual(await auditActions("api@1.0.0"), ["dev@shop.example release-requested", "dev@shop.example promoted"], "the server's user, not this machine's identity");
    const again = await remote("dev@shop.example", "release", "api");
    assert.equal(again.code, 0, withLog("release again", again));
    assert.match(again.stdout, /api@1\.0\.0 is already released/);
  });

  it("a blocked release waits (exit 6, its blocker in words) until another owner approves; then it goes", async () => {
    writeServer("v2");
    git("commit", "-qam", "feat!: a new answer");
    ok(await cli("ci"), "ci of v2");
    const blocked = await remote("dev@shop.example", "release", "api");
    assert.equal(blocked.code, 6, withLog("blocked release", blocked));
    assert.match(blocked.stdout, /api@2\.0\.0 \(major, sha256:[0-9a-f]{12}\) is waiting:/);
    assert.match(blocked.stdout, /approval.*\n\s+to go ahead: /);
    ok(await remote("ann@shop.example", "approve", "api@2.0.0", "-m", "fine"), "ann approves");
    const released = await remote("dev@shop.example", "release", "api");
    assert.equal(released.code, 0, withLog("release after the approval", released));
    assert.match(released.stdout, /released api@2\.0\.0/);
    assert.deepEqual(await auditActions("api@2.0.0"), ["dev@shop.example release-requested", "dev@shop.example release-blocked", "ann@shop.example approved", "ann@shop.example api POST ok", "dev@shop.example promoted"]);
  });

  it("a viewer may not release (403); bad input answers with the local command's codes and hints", async () => {
    const viewer = await remote("val", "release", "api");
    assert.equal(viewer.code, 9, viewer.stderr);
    assert.match(viewer.stderr, /answered 403: FORBIDDEN: val is a viewer; POST \/api\/releases needs the deployer role/);
    const unknown = await remote("dev@shop.example", "release", "apii");
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /"apii"/);
    assert.match(unknown.stderr, /did you mean "api"\?/);
    const version = await remote("dev@shop.example", "release", "api", "--version", "v3.0.0");
    assert.equal(version.code, 2, version.stderr);
    assert.match(version.stderr, /--version v3\.0\.0 is not a semantic version/);
    assert.match(version.stderr, /code: USAGE/);
    assert.match(version.stderr, /try: .*leading v/);
    const nothing = await remote("dev@shop.example", "release");
    assert.equal(nothing.code, 2, nothing.stderr);
    assert.match(nothing.stderr, /name a service to release, or pass --all/);
    assert.ok(!(await auditActions("api@3.0.0")).some((a) => a.endsWith("promoted")), "nothing refused was released");
  });

  it("remote runs and runs show read the server's CI runs: what the local commands print", async () => {
    const local = ok(await cli("--json", "runs"), "local runs");
    const listed = await remote("val", "--json", "runs");
    assert.equal(listed.code, 0, withLog("remote runs", listed));
    assert.deepEqual(JSON.parse(listed.stdout), JSON.parse(local.stdout));
    const runs = (JSON.parse(listed.stdout) as { runs: { id: string }[] }).runs;
    assert.equal(runs.length, 2);
    const table = await remote("val", "runs", "-n", "1");
    assert.equal(table.code, 0, withLog("remote runs -n 1", table));
    assert.match(table.stdout, new RegExp(`${runs[0]?.id} .* passed .*1 built`));
    assert.doesNotMatch(table.stdout, new RegExp(runs[1]?.id as string), "the limit reached the server");
    const shown = await remote("val", "runs", "show", runs[1]?.id as string);
    assert.equal(shown.code, 0, withLog("remote runs show", shown));
    assert.equal(shown.stdout, ok(await cli("runs", "show", runs[1]?.id as string), "local runs show").stdout);
    assert.match(shown.stdout, /api: built .*\n\s+digest sha256:/);
    const missing = await remote("val", "runs", "show", "20260101-000000-none");
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /no pipeline run "20260101-000000-none"/);
    assert.match(missing.stderr, /try: `slipway runs` lists them/);
  });

  it("a remote snapshot is the server's system lock of what runs, written here; a partial one is refused by name", async () => {
    const deployed = await remote("dev@shop.example", "deploy", "api", "--env", "prod");
    assert.equal(deployed.code, 0, withLog("remote deploy", deployed));
    assert.deepEqual(await sample(PROD_ENDPOINT, 5), { v2: 5 });
    const file = join(root, "prod.lock.json");
    const written = await remote("val", "snapshot", "--env", "prod", "-o", file);
    assert.equal(written.code, 0, withLog("remote snapshot", written));
    assert.match(written.stdout, new RegExp(`wrote ${file}: 1 service\\(s\\) of ${SYSTEM} in prod\\n  api 2\\.0\\.0 127\\.0\\.0\\.1:${PROD_REGISTRY}/${SYSTEM}/api@sha256:`));
    const lock = JSON.parse(readFileSync(file, "utf8")) as { environment: string; takenAt: string; services: { service: string; image: string }[] };
    const releases = await apiCall(API, tokens["val"] as string, "GET", "/api/releases?service=api");
    const v2 = (releases.body["services"] as { releases: { version: string; digest: string }[] }[])[0]?.releases.find((r) => r.version === "2.0.0");
    assert.deepEqual(
      lock.services.map((s) => [s.service, s.image]),
      [["api", `127.0.0.1:${PROD_REGISTRY}/${SYSTEM}/api@${v2?.digest}`]],
    );
    const stdout = await remote("val", "snapshot", "--env", "prod");
    assert.equal(stdout.code, 0, withLog("remote snapshot to stdout", stdout));
    const fromStdout = JSON.parse(stdout.stdout) as typeof lock;
    assert.deepEqual({ ...fromStdout, takenAt: lock.takenAt }, lock, "the same lock, taken again");

    const partial = await remote("val", "snapshot", "--env", "test");
    assert.equal(partial.code, 2, partial.stderr);
    assert.match(partial.stderr, /cannot take a complete snapshot of e2e-serve-release in test:\n\s+api: /);
    assert.match(partial.stderr, /try: .*--allow-partial/);
    const allowed = await remote("val", "snapshot", "--env", "test", "--allow-partial", "-o", join(root, "test.lock.json"));
    assert.equal(allowed.code, 0, withLog("remote snapshot --allow-partial", allowed));
    assert.match(allowed.stdout, /wrote .*test\.lock\.json: 0 service\(s\)/);
    assert.match(allowed.stderr, /left out api: /);
    const unknown = await remote("val", "snapshot", "--env", "prdo");
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /did you mean "prod"\?/);
    const badQuery = await apiCall(API, tokens["val"] as string, "GET", "/api/environments/prod/snapshot?allowPartial=yes");
    assert.equal(badQuery.status, 400);
    assert.match(JSON.stringify(badQuery.body), /query\.allowPartial/);
  });
});
