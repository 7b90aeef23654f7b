import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SlipwayError } from "../domain/errors.js";
import { StageLog } from "./stage-log.js";

describe("StageLog", () => {
  it("writes the log with secrets masked and keeps its last lines", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-stage-log-"));
    try {
      const log = new StageLog(join(dir, "runs", "build.log"), ["hunter2"]);
      log.write("one\npassword hunter2\nthree");
      await log.close();
      assert.equal(readFileSync(log.path, "utf8"), "one\npassword ****\nthree");
      assert.deepEqual(log.tail(2), ["password ****", "three"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a full disk (/dev/full answers every write with ENOSPC) fails the close with WRITE_FAILED naming the file; nothing crashes", async () => {
    const log = new StageLog("/dev/full");
    log.write("building…\n".repeat(2000));
    log.write("still building\n");
    await new Promise((resolve) => setTimeout(resolve, 50));
    await assert.rejects(log.close(), (err: unknown) => {
      assert.ok(err instanceof SlipwayError);
      assert.equal(err.code, "WRITE_FAILED");
      assert.match(err.message, /^cannot write \/dev\/full: no space left on the device \(ENOSPC\)$/);
      assert.match(err.hint ?? "", /free space/);
      return true;
    });
    // The lines are still there for the failure report.
    assert.equal(log.tail(1)[0], "still building");
  });
});
