import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { acquireControllerLock } from "../delivery/controller/controller-lock.js";
import { ownProcessIdentity, processStartTicks, processStillRuns } from "./process-identity.js";

describe("process identity", () => {
  it("recognises this process, and not a reused pid or a dead one", () => {
    assert.equal(processStillRuns(ownProcessIdentity()), true);
    assert.equal(processStillRuns(`${process.pid}`), true, "a bare pid from an older file");
    assert.equal(processStillRuns(`${process.pid}:1`), false, "same pid, another start time: the pid was reused");
    assert.equal(processStillRuns("2000000000:1"), false);
    assert.equal(processStillRuns("garbage"), false);
    assert.match(processStartTicks(process.pid) ?? "", /^\d+$/);
  });

  it("lets a controller take over a lock whose holder's pid was reused", () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-lock-"));
    try {
      const path = join(dir, "svc.lock");
      // A parent process's pid is alive, but this start time was never its.
      writeFileSync(path, `${process.ppid}:1`);
      const lock = acquireControllerLock(path);
      assert.ok("release" in lock, "the stale lock was not taken over");
      lock.release();
      // A live holder keeps it.
      const holder = spawn("sleep", ["30"], { stdio: "ignore" });
      try {
        writeFileSync(path, `${holder.pid}:${processStartTicks(holder.pid ?? 0) ?? ""}`);
        const held = acquireControllerLock(path);
        assert.ok("heldBy" in held && held.heldBy === holder.pid, "the lock of a live controller was taken");
      } finally {
        holder.kill();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
