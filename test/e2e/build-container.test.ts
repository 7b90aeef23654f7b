// The containerized build environment on the real engine: files belong to the
// invoking user, caches survive between builds, nothing is left behind.
import assert from "node:assert/strict";
import { chownSync, mkdtempSync, rmSync, statSync, readFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runBuildContainer, type BuildContainerSpec } from "../../src/docker/build-container.js";
import { DockerEngine } from "../../src/docker/engine.js";

const engine = new DockerEngine();
const dir = mkdtempSync(join(tmpdir(), "slipway-build-"));
const UID = 4321;
chownSync(dir, UID, UID);
chmodSync(dir, 0o755);
after(() => rmSync(dir, { recursive: true, force: true }));

const spec = (commands: string[], extra: Partial<BuildContainerSpec> = {}): BuildContainerSpec => ({
  name: `slipway-e2e-build-${Math.random().toString(16).slice(2, 8)}`,
  image: "debian:bookworm-slim",
  commands,
  workdir: "/workspace/svc",
  binds: [{ source: dir, target: "/workspace/svc" }],
  env: {},
  labels: { "org.slipway.system": "e2e-build", "org.slipway.purpose": "build", "org.slipway.pid": String(process.pid) },
  user: `${UID}:${UID}`,
  ...extra,
});

async function leftovers(): Promise<number> {
  return (await engine.api.listContainers({ all: true, filters: JSON.stringify({ label: ["org.slipway.system=e2e-build"] }) })).length;
}

describe("runBuildContainer", () => {
  it("waits through a build command that prints nothing for longer than a short call may stay silent", async () => {
    // A 1 s call timeout stands for the 30 s one a quiet `go build` outlasted.
    // Its own label: the impatient engine's own clean-up may time out under load,
    // and what it leaves must not count against the other tests' leftovers.
    const impatient = new DockerEngine(undefined, { callTimeoutMs: 1_000 });
    const labels = { "org.slipway.system": "e2e-build-quiet", "org.slipway.purpose": "build", "org.slipway.pid": String(process.pid) };
    let output = "";
    try {
      const result = await runBuildContainer(impatient, spec(["sleep 3", "echo done"], { labels }), (t) => (output += t), new AbortController().signal);
      assert.equal(result.exitCode, 0, output);
      assert.match(output, /\ndone\n/);
    } finally {
      const left = await engine.api.listContainers({ all: true, filters: JSON.stringify({ label: ["org.slipway.system=e2e-build-quiet"] }) });
      await Promise.all(left.map((c) => engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
    }
  });

  it("runs each command, echoing it, as the invoking user", async () => {
    let output = "";
    const result = await runBuildContainer(engine, spec(["echo built > out.txt", "mkdir -p dist && touch dist/app.js", "id -u"]), (t) => (output += t), new AbortController().signal);
    assert.equal(result.exitCode, 0, output);
    assert.match(output, /\$ echo built > out.txt\n\$ mkdir -p dist && touch dist\/app.js\n\$ id -u\n4321/);
    assert.equal(readFileSync(join(dir, "out.txt"), "utf8"), "built\n");
    assert.equal(statSync(join(dir, "out.txt")).uid, UID);
    assert.equal(statSync(join(dir, "dist", "app.js")).uid, UID);
    assert.equal(await leftovers(), 0);
  });

  it("stops at the first failing command and reports its exit code", async () => {
    let output = "";
    const result = await runBuildContainer(engine, spec(["echo one", "exit 3", "echo never"]), (t) => (output += t), new AbortController().signal);
    assert.equal(result.exitCode, 3);
    assert.doesNotMatch(output, /never\n/);
  });

  it("keeps package-manager caches between builds in named volumes", async () => {
    const signal = new AbortController().signal;
    assert.equal((await runBuildContainer(engine, spec(['echo cached > "$npm_config_cache/marker"']), () => undefined, signal)).exitCode, 0);
    let output = "";
    assert.equal((await runBuildContainer(engine, spec(['cat "$npm_config_cache/marker"']), (t) => (output += t), signal)).exitCode, 0);
    assert.match(output, /cached/);
  });

  it("removes the container when aborted mid-build", async () => {
    const controller = new AbortController();
    const running = runBuildContainer(engine, spec(["sleep 30"]), () => undefined, controller.signal);
    setTimeout(() => controller.abort(new Error("test abort")), 1000);
    await assert.rejects(running);
    for (let i = 0; i < 20 && (await leftovers()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await leftovers(), 0);
  });
});
