// `slipway ci` on the example system against the real parts: build containers,
// image builds and container tests on Docker Engine, pushes to a real
// Distribution registry, runs recorded in SQLite.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Docker from "dockerode";
import { repoRoot, runCli } from "./helpers.js";

const DEV = 15501;
const FIRST_BUILD_TIMEOUT_MS = 360_000;
const PROD = 15502;
const root = mkdtempSync(join(tmpdir(), "slipway-ci-"));
const git = (...args: string[]): string => execFileSync("git", ["-C", root, ...args], { encoding: "utf8" });

/** Build and container-test containers of this system (deployed instances, purpose=instance, are not CI's). */
function ciContainers(): string {
  return ["build", "container-test"]
    .map((purpose) => execFileSync("docker", ["ps", "-aq", "--filter", "label=org.slipway.system=drone-delivery", "--filter", `label=org.slipway.purpose=${purpose}`], { encoding: "utf8" }).trim())
    .filter((ids) => ids !== "")
    .join("\n");
}

/** The last lines of every stage log of every run, for a failure message: what a stuck build was doing. */
function stageLogTails(): string {
  const runs = join(root, ".slipway", "logs", "runs");
  if (!existsSync(runs)) return "";
  const logs = readdirSync(runs, { recursive: true, encoding: "utf8" }).filter((p) => p.endsWith(".log"));
  return logs.map((p) => `\n--- ${p} (last lines)\n${readFileSync(join(runs, p), "utf8").split("\n").slice(-15).join("\n")}`).join("");
}

async function tags(repository: string): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${DEV}/v2/${repository}/tags/list`);
  return ((await res.json()) as { tags: string[] | null }).tags ?? [];
}

interface RunJson {
  run: { id: string; status: string; services: { service: string; outcome: string; digest?: string; references: string[]; stages: { stage: string; status: string }[] }[] };
}

async function lastRun(): Promise<RunJson["run"]> {
  const list = JSON.parse((await runCli(["-c", root, "--json", "runs"])).stdout) as { runs: { id: string }[] };
  const id = list.runs[0]?.id ?? "";
  return (JSON.parse((await runCli(["-c", root, "--json", "runs", "show", id])).stdout) as RunJson).run;
}

before(async () => {
  cpSync(join(repoRoot, "examples", "drone-delivery"), root, { recursive: true, filter: (src) => !/node_modules|\/dist(\/|$)|__pycache__|\.slipway/.test(src) });
  const config = join(root, "slipway.yaml");
  writeFileSync(config, execFileSync("sed", ["-e", `s/127.0.0.1:5101/127.0.0.1:${DEV}/`, "-e", `s/127.0.0.1:5102/127.0.0.1:${PROD}/`, config], { encoding: "utf8" }));
  git("init", "-q");
  git("add", "-A");
  git("-c", "user.email=e2e@slipway", "-c", "user.name=e2e", "commit", "-qm", "example");
  const up = await runCli(["-c", root, "up"]);
  assert.equal(up.code, 0, up.stderr);
});

after(async () => {
  await runCli(["-c", root, "down"]);
  rmSync(root, { recursive: true, force: true });
});

describe("slipway ci on the example system", () => {
  it("builds, tests, images, container-tests and pushes every service", async () => {
    // On a fresh machine the package caches are empty: the builds download every dependency.
    const result = await runCli(["-c", root, "ci"], { CI: "true" }, FIRST_BUILD_TIMEOUT_MS);
    assert.equal(result.code, 0, result.stdout + result.stderr + stageLogTails());
    const run = await lastRun();
    assert.equal(run.status, "passed");
    assert.deepEqual(run.services.map((s) => `${s.service}:${s.outcome}`), ["delivery:built", "ingestion:built", "package:built", "workflow:built"]);
    for (const service of run.services) {
      assert.deepEqual(service.stages.map((s) => `${s.stage}:${s.status}`), ["build:passed", "unit-test:passed", "image:passed", "container-test:passed", "push:passed"]);
      assert.match(service.digest ?? "", /^sha256:[0-9a-f]{64}$/);
      const published = await tags(`drone-delivery/${service.service}`);
      assert.ok(published.some((t) => /^h-[0-9a-f]{12}$/.test(t)), `${service.service}: ${published.join(",")}`);
      assert.ok(published.some((t) => /^\d+\.\d+\.\d+-dev\.1$/.test(t)), `${service.service}: ${published.join(",")}`);
    }
  });

  it("skips every service on a second run", async () => {
    const result = await runCli(["-c", root, "ci"], { CI: "true" });
    assert.equal(result.code, 0, result.stderr);
    const run = await lastRun();
    assert.deepEqual(run.services.map((s) => s.outcome), ["up-to-date", "up-to-date", "up-to-date", "up-to-date"]);
    assert.match(result.stdout, /up to date/);
  });

  it("rebuilds only the service whose file changed, and says why", async () => {
    appendFileSync(join(root, "services", "workflow", "workflow_service", "validation.py"), "\n# changed by the e2e test\n");
    const affected = JSON.parse((await runCli(["-c", root, "--json", "affected"])).stdout) as { services: { service: string; affected: boolean; reasons: string[] }[] };
    assert.deepEqual(affected.services.filter((s) => s.affected).map((s) => s.service), ["workflow"]);
    assert.deepEqual(affected.services.find((s) => s.service === "workflow")?.reasons, ["file changed: workflow_service/validation.py"]);

    const result = await runCli(["-c", root, "ci"], { CI: "true" });
    assert.equal(result.code, 0, result.stderr);
    const run = await lastRun();
    assert.deepEqual(run.services.map((s) => `${s.service}:${s.outcome}`), ["delivery:up-to-date", "ingestion:up-to-date", "package:up-to-date", "workflow:built"]);
    assert.ok((await tags("drone-delivery/workflow")).some((t) => t.endsWith("-dev.2")), "the second build of the same version is dev.2");
  });

  it("lists changes since a git ref", async () => {
    const result = JSON.parse((await runCli(["-c", root, "--json", "affected", "--since", "HEAD"])).stdout) as { services: { service: string; affected: boolean; reasons: string[] }[] };
    assert.deepEqual(result.services.filter((s) => s.affected).map((s) => `${s.service}: ${s.reasons.join("; ")}`), ["workflow: file changed: workflow_service/validation.py"]);
  });

  it("removes containers a killed run left behind, and only those", async () => {
    const docker = new Docker({ socketPath: "/var/run/docker.sock" });
    const labels = (pid: number): Record<string, string> => ({ "org.slipway.system": "drone-delivery", "org.slipway.purpose": "build", "org.slipway.pid": String(pid) });
    const orphan = await docker.createContainer({ Image: "debian:bookworm-slim", Cmd: ["sleep", "60"], Labels: labels(2_000_000_000) });
    const live = await docker.createContainer({ Image: "debian:bookworm-slim", Cmd: ["sleep", "60"], Labels: labels(process.pid) });
    try {
      const result = await runCli(["-c", root, "ci"], { CI: "true" });
      assert.equal(result.code, 0, result.stderr);
      await assert.rejects(orphan.inspect(), "the orphan of a dead process is still there");
      assert.ok(await live.inspect(), "a container of a live process was removed");
    } finally {
      await orphan.remove({ force: true }).catch(() => undefined);
      await live.remove({ force: true });
    }
  });

  it("on Ctrl-C stops, removes the run's containers and exits 130", async () => {
    appendFileSync(join(root, "services", "delivery", "geo.go"), "\n// changed by the e2e test\n");
    const child = spawn(process.execPath, [join(repoRoot, "bin", "slipway.js"), "-c", root, "ci"], { env: { ...process.env, CI: "true", NO_COLOR: "1" } });
    let stdout = "";
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no build started: ${stdout}`)), 60_000);
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes("[delivery] build started")) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 500));
    child.kill("SIGINT");
    assert.equal(await exited, 130, stdout);
    const leftovers = ciContainers();
    assert.equal(leftovers, "", "containers left after Ctrl-C");
    const run = await lastRun();
    assert.equal(run.status, "cancelled");
  });

  it("leaves no build or test container behind", () => {
    const leftovers = ciContainers();
    assert.equal(leftovers, "");
  });

  it("fails the broken entry point at the container-test stage and shows its log", async () => {
    const fixtureRoot = mkdtempSync(join(tmpdir(), "slipway-broken-"));
    try {
      cpSync(join(repoRoot, "test", "fixtures", "broken-entrypoint"), join(fixtureRoot, "services", "broken-entrypoint"), { recursive: true });
      writeFileSync(
        join(fixtureRoot, "slipway.yaml"),
        `system: broken\nstateDir: ${join(root, ".slipway")}\nregistries:\n  dev: { url: 127.0.0.1:${DEV} }\n  prod: { url: 127.0.0.1:${PROD} }\nenvironments: [{ name: test, registry: dev }]\n`,
      );
      const result = await runCli(["-c", fixtureRoot, "ci"], { CI: "true" });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stdout, /\[broken-entrypoint\] container-test failed/);
      assert.match(result.stdout, /can't open file '\/app\/server.py'/);
      assert.match(result.stdout, /container-test\.log/);
      assert.deepEqual(await tags("broken/broken-entrypoint").catch(() => []), []);
    } finally {
      rmSync(fixtureRoot, { recursive: true, force: true });
    }
  });

  it("says clearly when the dev registry is down, and builds nothing", async () => {
    assert.equal((await runCli(["-c", root, "down"])).code, 0);
    try {
      const result = await runCli(["-c", root, "ci"], { CI: "true" });
      assert.equal(result.code, 5, result.stderr);
      assert.match(result.stderr, new RegExp(`the dev registry 127.0.0.1:${DEV} is not answering`));
      assert.match(result.stderr, /slipway up/);
    } finally {
      assert.equal((await runCli(["-c", root, "up"])).code, 0);
    }
  });
});
