import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { acquireGroupLock } from "./group-lock.js";

test("one process (slipway serve) cannot take an environment's group lock twice; released, it can again", () => {
  const stateDir = mkdtempSync(join(tmpdir(), "slipway-group-lock-"));
  try {
    const first = acquireGroupLock(stateDir, "prod", { actor: "dan", what: "a promotion staging → prod" });
    assert.throws(
      () => acquireGroupLock(stateDir, "prod", { actor: "erin", what: "a rollback to lock 3" }),
      (err: Error & { code?: string }) => err.code === "ROLLOUT_IN_PROGRESS" && /a promotion staging → prod by dan/.test(err.message),
    );
    const other = acquireGroupLock(stateDir, "staging", { actor: "erin", what: "a rollback to lock 2" });
    first.release();
    acquireGroupLock(stateDir, "prod", { actor: "erin", what: "a rollback to lock 3" }).release();
    other.release();
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
});
