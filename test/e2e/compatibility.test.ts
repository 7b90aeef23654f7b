// `slipway test --env prod --mixed back` end to end, on real Docker, the two
// Distribution registries, HAProxy and SQLite: front (which calls back) and
// back are built by CI, released and deployed to prod. A new back that breaks
// front at prod's digests fails the check naming the pair front (old) → back
// (new) and its release, which requires `compatibility`, is blocked; a
// compatible back passes and is released. The mix runs in prod's scratch copy:
// prod keeps serving its own digests throughout, and the copy is taken down.
// Loopback ports 18100-18199, 18300-18499 only.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { runCli, type CliResult } from "./helpers.js";
import { pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 18401;
const PROD_REGISTRY = 18402;
/** prod: endpoints 10 → 18110 (front), 20 → 18120 (back), router 18198; its scratch copy: 18310, 18320, router 18398. */
const PROD = "{ name: prod, registry: prod, portOffset: 18100, routerPort: 18198, scratch: { portOffset: 18300, routerPort: 18398 } }";
const SYSTEM = "e2e-compat";
const docker = new DockerEngine().api;
const root = mkdtempSync(join(tmpdir(), "slipway-compat-e2e-"));
const git = (...args: string[]): string => execFileSync("git", ["-C", root, "-c", "user.email=dev@shop.example", "-c", "user.name=dev", ...args], { encoding: "utf8" });
const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args], { CI: "true", SLIPWAY_IDENTITY: "dev@shop.example" });

function assertExit(result: CliResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

// front answers "front+" and what back says, 502 unless back's answer starts with "back".
const frontPy = pythonServer(
  "",
  `if self.path == "/healthz": status, body = 200, b"ok"
else:
    with urllib.request.urlopen(os.environ["BACK_URL"] + "/", timeout=5) as r: said = r.read()
    status, body = (200, b"front+" + said) if said.startswith(b"back") else (502, b"front cannot read: " + said)`,
);
const backPy = (answer: string): string => pythonServer("", `body = b"ok" if self.path == "/healthz" else b"${answer}"\nstatus = 200`);

function writeService(name: string, endpoint: number, dependsOn: string[], serverPy: string, extra = ""): void {
  const dir = join(root, "services", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "slipway.service.yaml"),
    `name: ${name}
owners: [dev@shop.example, ann@shop.example]
version: ${name === "back" && extra !== "" ? "1.0.1" : "1.0.0"}
build: { image: python:3.11-slim-bookworm }
port: 8080
endpoint: { port: ${endpoint} }
readiness: { http: { path: /healthz }, periodSeconds: 0.2 }
terminationGracePeriodSeconds: 2
dependsOn: [${dependsOn.join(", ")}]
${extra}`,
  );
  writeFileSync(join(dir, "server.py"), serverPy);
  writeFileSync(join(dir, "Dockerfile"), 'FROM python:3.11-slim-bookworm\nCOPY server.py /app/server.py\nUSER 65534\nCMD ["python", "-u", "/app/server.py"]\n');
}

/** A new back, committed and built by CI; its release requires compatibility. */
async function newBack(answer: string): Promise<void> {
  writeService("back", 20, [], backPy(answer), "releasePolicy: { requireStages: [image, push, compatibility] }\n");
  git("commit", "-qam", `fix: back answers ${answer}`);
  assertExit(await cli("ci"), 0, `ci of back answering ${answer}`);
}

async function prodAnswers(): Promise<string> {
  const res = await fetch("http://127.0.0.1:18110/");
  return `${res.status} ${await res.text()}`;
}

async function scratchContainers(): Promise<number> {
  return (await docker.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`, "org.slipway.environment=prod-scratch"] } })).length;
}

describe("slipway test --mixed (compatibility with what the target runs)", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    writeFileSync(
      join(root, "slipway.yaml"),
      `${systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [PROD])}integrationTests:
  - name: front-reads-back
    http: { service: front, path: /, expect: { status: 200, bodyContains: "front+back" } }
`,
    );
    writeService("front", 10, ["back"], frontPy);
    writeService("back", 20, [], backPy("back-v1"));
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "feat: front and back");
    assertExit(await cli("up"), 0, "up");
    assertExit(await cli("ci"), 0, "ci");
    for (const service of ["back", "front"]) {
      assertExit(await cli("release", service), 0, `release ${service}`);
      assertExit(await cli("deploy", service, "--env", "prod"), 0, `deploy ${service}`);
    }
    assert.equal(await prodAnswers(), "200 front+back-v1");
  });

  after(async () => {
    await cli("down");
    for (const c of await docker.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } })) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    rmSync(root, { recursive: true, force: true });
  });

  it("a back that breaks front at prod's digests fails naming the pair, and its release is blocked", async () => {
    await newBack("BROKEN");
    const failed = await cli("test", "--env", "prod", "--mixed", "back");
    assertExit(failed, 1, "test --mixed back");
    assert.match(failed.stdout, /incompatible: back at sha256:\S+ beside what prod runs: 1 of 1 tests failed/);
    assert.match(failed.stdout, /broke: front \(old\) → back \(new\), test front-reads-back/);
    assert.match(failed.stdout, /✗ front-reads-back .*expected 200, got 502/);
    assert.equal(await prodAnswers(), "200 front+back-v1", "prod was touched");
    assert.equal(await scratchContainers(), 0, "the scratch copy was left running");

    const blocked = await cli("release", "back");
    assertExit(blocked, 6, "release back");
    assert.match(blocked.stdout + blocked.stderr, /integration tests have not passed with this build beside the digests a target environment runs/);
  });

  it("a compatible back passes, is recorded with both locks, and is released", async () => {
    await newBack("back-v2");
    const passed = await cli("--json", "test", "--env", "prod", "--mixed", "back");
    assertExit(passed, 0, "test --mixed back");
    const run = JSON.parse(passed.stdout.trim().split("\n").at(-1) ?? "") as { status: string; environment: string; digest: string; targetLock: Record<string, string>; mixedLock: Record<string, string>; pairs: unknown[] };
    assert.equal(run.status, "passed");
    assert.equal(run.environment, "prod");
    assert.deepEqual(run.mixedLock, { ...run.targetLock, back: run.digest });
    assert.notEqual(run.targetLock["back"], run.digest);
    assert.deepEqual(run.pairs, []);
    assert.equal(await prodAnswers(), "200 front+back-v1", "prod was touched");
    assert.equal(await scratchContainers(), 0, "the scratch copy was left running");

    const released = await cli("release", "back");
    assertExit(released, 0, "release back");
    assert.match(released.stdout, /released back@1\.0\.1/);
  });

  it("an environment without scratch ports is refused, saying what to add", async () => {
    writeFileSync(join(root, "slipway.yaml"), `${systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, ["{ name: prod, registry: prod, portOffset: 18100, routerPort: 18198 }"])}integrationTests:
  - name: front-reads-back
    http: { service: front, path: /, expect: { status: 200, bodyContains: "front+back" } }
`);
    const refused = await cli("test", "--env", "prod", "--mixed", "back");
    assertExit(refused, 2, "test --mixed without scratch");
    assert.match(refused.stderr, /environment prod has no scratch ports[\s\S]*scratch: \{ portOffset/);
  });
});
