// A new user's path through CI, release and deploy to prod with a service
// that has no build commands (the documented default), against the real
// parts: two Distribution registries, Docker Engine, the environment's
// HAProxy and SQLite. It checks what issue 9 found on that path: such a
// service can be released; the first canary deploy says "first deploy"; an
// aborted canary's release is marked and a plain deploy passes it over;
// `runs` columns stay apart; service names get a did-you-mean; and build
// outputs left in the service folder do not make a no-op CI rebuild.
// Loopback ports 20001-20299 only.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { runCli, type CliResult } from "./helpers.js";
import { pythonServer, systemYaml } from "./python-service.js";

const DEV_REGISTRY = 20001;
const PROD_REGISTRY = 20002;
/** portOffset 18200: endpoint 2010 → 20210; the router's control port 18200 + 1999 = 20199. */
const PROD_OFFSET = 18200;
const SYSTEM = "e2e-release-lifecycle";
const docker = new DockerEngine().api;
const root = mkdtempSync(join(tmpdir(), "slipway-release-lifecycle-e2e-"));
const serviceDir = join(root, "services", "api");
const git = (...args: string[]): string => execFileSync("git", ["-C", root, "-c", "user.email=dev@shop.example", "-c", "user.name=dev", ...args], { encoding: "utf8" });
const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args], { CI: "true", SLIPWAY_IDENTITY: "dev@shop.example" });

function assertExit(result: CliResult, code: number, what: string): void {
  assert.equal(result.code, code, `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

function writeService(build: string): void {
  writeFileSync(
    join(serviceDir, "slipway.service.yaml"),
    `name: api
owners: [dev@shop.example, ann@shop.example]
version: 1.0.0
build: ${build}
port: 8080
endpoint: { port: 2010 }
readiness: { http: { path: /healthz }, periodSeconds: 0.2, failureThreshold: 2 }
replicas: 1
terminationGracePeriodSeconds: 2
containerTests:
  - name: health
    http: { path: /healthz, expect: { status: 200 } }
strategy:
  canary: { steps: [{ setWeight: 50 }, { pause: {} }], scaleDownDelaySeconds: 0 }
`,
  );
}

function writeServer(version: string): void {
  writeFileSync(join(serviceDir, "server.py"), pythonServer(`VERSION = b"${version}"`, 'body = b"ok" if self.path == "/healthz" else VERSION\nstatus = 200'));
}

before(async () => {
  mkdirSync(serviceDir, { recursive: true });
  writeFileSync(join(root, "slipway.yaml"), systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [`{ name: prod, registry: prod, portOffset: ${PROD_OFFSET} }`]));
  // build.commands left at its default, []: nothing to build before the image.
  writeService("{ image: python:3.11-slim-bookworm }");
  writeServer("v1");
  writeFileSync(join(serviceDir, "Dockerfile"), 'FROM python:3.11-slim-bookworm\nCOPY server.py /app/server.py\nUSER 65534\nCMD ["python", "-u", "/app/server.py"]\n');
  writeFileSync(join(serviceDir, ".dockerignore"), "*.bin\n__pycache__\n");
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "feat: the api");
  assertExit(await cli("up"), 0, "up");
});

after(async () => {
  await cli("down");
  const list = await docker.listContainers({ all: true, filters: { label: [`org.slipway.system=${SYSTEM}`] } });
  for (const c of list) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe("release lifecycle of a service without build commands", () => {
  it("CI records build as nothing to do; `runs` keeps its columns apart", async () => {
    assertExit(await cli("ci"), 0, "ci");
    const runs = await cli("runs");
    assertExit(runs, 0, "runs");
    const commit = git("rev-parse", "--short=7", "HEAD").trim();
    assert.match(runs.stdout, new RegExp(`${commit} +passed`), runs.stdout);
    assert.doesNotMatch(runs.stdout, new RegExp(`${commit}passed`));
  });

  it("is released: a build stage with nothing to do satisfies the default requireStages", async () => {
    const released = await cli("release", "api");
    assertExit(released, 0, "release");
    assert.match(released.stdout, /released api@1\.0\.0/);
    assert.match(released.stdout, /build, unit-test: nothing to do/);
  });

  it("names services and environments it does not know with a did-you-mean", async () => {
    const service = await cli("deploy", "apii", "--env", "prod");
    assertExit(service, 2, "deploy apii");
    assert.match(service.stderr, /there is no service "apii".*\n(.*\n)*.*did you mean "api"\?/);
    const environment = await cli("deploy", "api", "--env", "prdo");
    assertExit(environment, 2, "deploy --env prdo");
    assert.match(environment.stderr, /did you mean "prod"\?/);
  });

  it("says first deploy, not a canary step, when there is no stable revision", async () => {
    const deployed = await cli("deploy", "api", "--env", "prod");
    assertExit(deployed, 0, "first deploy");
    assert.match(deployed.stdout, /first deploy/);
    assert.doesNotMatch(deployed.stdout, /step 1\/2/);
  });

  it("marks a release whose canary was aborted, and a plain deploy passes it over", async () => {
    writeServer("v2");
    git("commit", "-qam", "fix: answer v2");
    assertExit(await cli("ci"), 0, "ci of v2");
    assertExit(await cli("release", "api"), 0, "release of 1.0.1");
    const canary = await cli("deploy", "api", "--env", "prod");
    assertExit(canary, 0, "canary of 1.0.1 up to its pause");
    assert.match(canary.stdout, /step 2\/2/);
    assertExit(await cli("rollout", "abort", "api", "--env", "prod", "--reason", "bad answers"), 0, "rollout abort");

    const releases = await cli("releases", "api");
    assertExit(releases, 0, "releases");
    assert.match(releases.stdout, /1\.0\.1 .*ABORTED in prod/);
    assert.match(releases.stdout, /aborted in prod by rollout \S+: bad answers/);

    const again = await cli("deploy", "api", "--env", "prod");
    assertExit(again, 0, "plain deploy after the abort");
    assert.match(again.stdout, /skipping 1\.0\.1: aborted in prod \(rollout \S+: bad answers\); `--version 1\.0\.1` deploys it anyway/);
    assert.match(again.stdout, /already runs/);
    assert.doesNotMatch(again.stdout, /^rollout /m, "no new rollout of the aborted release");
  });

  it("a CI after a build that wrote untracked files into the service folder is up to date, and says what to ignore", async () => {
    writeService('{ image: python:3.11-slim-bookworm, commands: ["mkdir -p __pycache__ && date +%s%N > __pycache__/server.cpython-311.pyc", "date +%s%N > server.bin"] }');
    git("commit", "-qam", "build: compile before the image");
    const built = await cli("ci");
    assertExit(built, 0, "ci that writes build outputs");
    assert.match(built.stdout, /\[api\] built/);
    assert.match(built.stdout, /warning: the build wrote 2 files into services\/api that git neither tracks nor ignores \(__pycache__\/server\.cpython-311\.pyc, server\.bin\)/);
    assert.match(built.stdout, /Add to services\/api\/\.gitignore: \/server\.bin __pycache__\//);

    const again = await cli("ci");
    assertExit(again, 0, "the next ci");
    assert.match(again.stdout, /\[api\] up to date/, again.stdout);
    assert.doesNotMatch(again.stdout, /\[api\] built/);
  });
});
