// undeploy against a controller of the environment held by another process
// (a real child process holding the real lock file): refused naming what
// holds it while it runs; waited for while it is stopping (`slipway serve`
// after Ctrl-C saves its rollouts, then lets go).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { environmentLockPath } from "../delivery/controller/controller-lock.js";
import { SlipwayError } from "../domain/errors.js";
import type { EnvironmentSession } from "./environment.js";
import { undeploy } from "./undeploy.js";

const stateDir = mkdtempSync(join(tmpdir(), "slipway-undeploy-lock-"));
const lockFile = environmentLockPath(stateDir, "k8s");
const lockModule = new URL("../delivery/controller/controller-lock.js", import.meta.url).href;

/** An environment with no services deployed: all undeploy does past the controller check is find nothing to take out. */
const session = { system: { stateDir, services: [], config: { system: "s" } }, environment: { name: "k8s" } } as unknown as EnvironmentSession;
const options = { reporter: { emit: () => undefined }, identity: { name: "tester" } } as unknown as Parameters<typeof undeploy>[2];

/** A process holding the environment's controller lock as `slipway serve` does; `stopping` as after its Ctrl-C; lets go after `releaseAfterMs`. */
async function holder(stopping: boolean, releaseAfterMs: number): Promise<ChildProcess> {
  const script = `const { acquireControllerLock } = await import(${JSON.stringify(lockModule)});
const lock = acquireControllerLock(${JSON.stringify(lockFile)}, "slipway serve");
if ("heldBy" in lock) process.exit(3);
${stopping ? "lock.markStopping?.();" : ""}
console.log("held");
setTimeout(() => lock.release(), ${releaseAfterMs});`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => (d.toString().includes("held") ? resolve() : undefined));
    child.once("exit", (code) => reject(new Error(`the lock holder exited ${code}`)));
  });
  return child;
}

function exited(child: ChildProcess): Promise<unknown> {
  return child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", resolve));
}

describe("undeploy while another process holds the environment's controller lock", () => {
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  it("refuses while it runs, naming the process and what it is, and says how to stop it", async () => {
    const child = await holder(false, 30_000);
    try {
      await assert.rejects(undeploy(session, { services: [], all: true }, options), (err: unknown) => {
        assert.ok(err instanceof SlipwayError && err.code === "ROLLOUT_IN_PROGRESS", String(err));
        assert.match(err.message, new RegExp(`slipway serve \\(process ${child.pid}\\) runs the controller of k8s`));
        assert.match(err.hint ?? "", new RegExp(`kill -TERM ${child.pid}`));
        return true;
      });
    } finally {
      child.kill();
      await exited(child);
    }
  });

  it("waits for one that is stopping, and goes on once it let go", async () => {
    const child = await holder(true, 800);
    try {
      assert.deepEqual(await undeploy(session, { services: [], all: true }, options), []);
    } finally {
      child.kill();
      await exited(child);
    }
  });
});
