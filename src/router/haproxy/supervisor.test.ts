import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { processStartTicks } from "../../platform/process-identity.js";
import { haproxyArgs, restartDelayMs, runningHaproxy } from "./supervisor.js";

describe("router supervisor", () => {
  it("restarts at once after a crash, then backs off while HAProxy keeps exiting right after its start", () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 20].map(restartDelayMs), [0, 0, 100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  });

  it("runs HAProxy master-worker in the foreground with the master CLI", () => {
    assert.deepEqual(haproxyArgs("/s/haproxy.cfg", "/s/master.sock"), ["-W", "-f", "/s/haproxy.cfg", "-S", "/s/master.sock,mode,600"]);
  });

  it("names the HAProxy in the pid file only while that very process runs", () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-supervisor-"));
    try {
      const file = join(dir, "router.haproxy.pid");
      assert.equal(runningHaproxy(file), undefined);
      writeFileSync(file, JSON.stringify({ pid: process.pid, startTicks: processStartTicks(process.pid), starts: 3 }));
      assert.deepEqual(runningHaproxy(file), { pid: process.pid, startTicks: processStartTicks(process.pid), starts: 3 });
      // The same pid started at another time is another process.
      writeFileSync(file, JSON.stringify({ pid: process.pid, startTicks: "1", starts: 3 }));
      assert.equal(runningHaproxy(file), undefined);
      writeFileSync(file, "{torn");
      assert.equal(runningHaproxy(file), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
