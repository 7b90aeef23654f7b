// The local platform against the real parts: Docker Engine, two CNCF
// Distribution registries, SQLite. Each test uses its own loopback ports.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Docker from "dockerode";
import { findPortOwner } from "../../src/platform/port-probe.js";
import { runCli, scratchSystem } from "./helpers.js";

const DEV = 15301;
const PROD = 15302;
const root = scratchSystem(DEV, PROD);
const pidFile = (role: string): string => join(root, ".slipway", "run", `registry-${role}.pid`);
const pidOf = (role: string): number => (JSON.parse(readFileSync(pidFile(role), "utf8")) as { pid: number }).pid;

async function v2(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v2/`);
  await res.body?.cancel();
  return res.status;
}

after(async () => {
  await runCli(["-c", root, "down"]);
  rmSync(root, { recursive: true, force: true });
});

describe("slipway up / down", () => {
  it("up starts both registries, and a second up is the same platform", async () => {
    const first = await runCli(["-c", root, "up"]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /dev registry\s+started/);
    assert.match(first.stdout, /prod registry\s+started/);
    assert.match(first.stdout, /state store\s+ready/);
    assert.equal(await v2(DEV), 200);
    assert.equal(await v2(PROD), 200);
    const pids = [pidOf("dev"), pidOf("prod")];

    const second = await runCli(["-c", root, "up"]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /dev registry\s+already-running/);
    assert.match(second.stdout, /prod registry\s+already-running/);
    assert.deepEqual([pidOf("dev"), pidOf("prod")], pids);
    // Exactly one process on each port, and it is the one in the pid file.
    assert.equal(findPortOwner(DEV)?.pid, pids[0]);
    assert.equal(findPortOwner(PROD)?.pid, pids[1]);
  });

  it("down then up keeps what was pushed: the image comes back by digest", async () => {
    const docker = new Docker({ socketPath: "/var/run/docker.sock" });
    const repo = `127.0.0.1:${DEV}/e2e/keep`;
    await docker.getImage("debian:bookworm-slim").tag({ repo, tag: "1" });
    const pushed = await follow(docker, await docker.getImage(`${repo}:1`).push({ authconfig: { serveraddress: `127.0.0.1:${DEV}` } }));
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1];
    assert.ok(digest, `push reported no digest: ${pushed}`);

    assert.equal((await runCli(["-c", root, "down"])).code, 0);
    await assert.rejects(v2(DEV), "the dev registry still answers after down");
    assert.equal((await runCli(["-c", root, "up"])).code, 0);

    await docker.getImage(`${repo}:1`).remove();
    await follow(docker, await docker.pull(`${repo}@${digest}`));
    const pulled = await docker.getImage(`${repo}@${digest}`).inspect();
    assert.ok(pulled.RepoDigests.includes(`${repo}@${digest}`));
    await docker.getImage(`${repo}@${digest}`).remove();
  });

  it("a port held by another process is a clear error and nothing starts", async () => {
    assert.equal((await runCli(["-c", root, "down"])).code, 0);
    const squatter = createServer().listen(DEV, "127.0.0.1");
    await new Promise((r) => squatter.once("listening", r));
    try {
      const result = await runCli(["-c", root, "up"]);
      assert.equal(result.code, 3);
      assert.match(result.stderr, new RegExp(`the dev registry needs port ${DEV}, held by pid ${process.pid} \\(`));
      assert.match(result.stderr, /PORT_IN_USE/);
      await assert.rejects(v2(PROD), "prod was started although dev could not be");
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it("a stale pid file is recovered from, and a recycled pid is never killed", async () => {
    // A live process that is not ours, recorded as if it were (a pid reused after a reboot).
    const bystander = spawn("sleep", ["60"], { stdio: "ignore" });
    mkdirSync(join(root, ".slipway", "run"), { recursive: true });
    writeFileSync(pidFile("dev"), JSON.stringify({ pid: bystander.pid, startTicks: "1", command: "x", port: DEV, startedAt: "" }));
    try {
      const up = await runCli(["-c", root, "up"]);
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stdout, /dev registry\s+started/);
      assert.notEqual(pidOf("dev"), bystander.pid);

      assert.equal((await runCli(["-c", root, "down"])).code, 0);
      writeFileSync(pidFile("prod"), JSON.stringify({ pid: bystander.pid, startTicks: "1", command: "x", port: PROD, startedAt: "" }));
      const down = await runCli(["-c", root, "down"]);
      assert.equal(down.code, 0, down.stderr);
      assert.equal(bystander.exitCode, null, "down killed a process slipway did not start");
      assert.equal(bystander.killed, false);
    } finally {
      bystander.kill();
    }
  });

  it("adopts its own registry whose pid file was lost, instead of starting a second one", async () => {
    assert.equal((await runCli(["-c", root, "up"])).code, 0);
    const pid = pidOf("dev");
    rmSync(pidFile("dev"));
    const up = await runCli(["-c", root, "up"]);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /dev registry\s+already-running/);
    assert.equal(pidOf("dev"), pid);
    assert.equal((await runCli(["-c", root, "down"])).code, 0);
    assert.equal(findPortOwner(DEV), undefined, "down left the adopted registry running");
  });
});

describe("slipway doctor", () => {
  it("reports a stopped engine and the command that fixes it", async () => {
    const result = await runCli(["-c", root, "doctor"], { DOCKER_HOST: "unix:///tmp/slipway-no-engine.sock" });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /✗ docker engine\s+Docker Engine is not reachable at \/tmp\/slipway-no-engine.sock \(no socket there\); dockerd is installed but not running/);
    assert.match(result.stdout, /fix: start it with `sudo bash scripts\/setup-host.sh`/);
  });

  it("passes on a healthy host and names each part", async () => {
    const up = await runCli(["-c", root, "up"]);
    assert.equal(up.code, 0, up.stderr);
    const result = await runCli(["-c", root, "--json", "doctor"]);
    const report = JSON.parse(result.stdout) as { ok: boolean; checks: { name: string; level: string }[] };
    assert.equal(report.ok, true, result.stdout);
    const names = report.checks.map((c) => c.name);
    for (const expected of ["docker engine", "docker-registry", "image debian:bookworm-slim", "dev registry", "prod registry"]) assert.ok(names.includes(expected), `${expected} missing from ${names.join(", ")}`);
  });
});

/** Waits for a Docker progress stream to end; returns its text; throws on an error event. */
function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { status?: string; error?: string; aux?: unknown }[]) => {
      if (err) return reject(err);
      const failed = events.find((e) => e.error !== undefined);
      if (failed) return reject(new Error(failed.error));
      resolve(events.map((e) => e.status ?? "").join("\n"));
    });
  });
}
