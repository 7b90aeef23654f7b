import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LockHistoryEntry } from "../domain/lock-history.js";
import { lockNumberOf } from "./main.js";
import { groupEndOfEvent, groupEndOfHistory, groupSucceeded } from "./remote-group.js";

const entry = (number: number, result: string, detail: string): LockHistoryEntry => ({ system: "s", environment: "prod", number, at: "2026-12-06T10:00:00Z", actor: "dan", action: "promote", result, detail, changes: [], lock: {} }) as unknown as LockHistoryEntry;

describe("a group change followed from the server", () => {
  it("ends at its own group.finished or group.error, not another group's nor a step", () => {
    assert.deepEqual(groupEndOfEvent("group.finished", { groupId: "g1", result: "promoted", detail: "d", lockNumber: 7 }, "g1"), { result: "promoted", detail: "d", lockNumber: 7 });
    assert.equal(groupEndOfEvent("group.finished", { groupId: "g2", result: "promoted", detail: "d", lockNumber: 7 }, "g1"), undefined);
    assert.equal(groupEndOfEvent("group.step", { groupId: "g1", message: "m" }, "g1"), undefined);
    assert.deepEqual(groupEndOfEvent("group.error", { groupId: "g1", code: "ENGINE_UNAVAILABLE", message: "gone", hint: "start it" }, "g1"), { error: { code: "ENGINE_UNAVAILABLE", message: "gone", hint: "start it" } });
    assert.equal(groupEndOfEvent("hello", "plain", "g1"), undefined);
  });

  it("finds its end in the lock history by the group id its entry's detail names", () => {
    const locks = [entry(9, "healthy", "rolled back to lock 3 (lock-3-abc123): back"), entry(8, "promoted", "promoted from staging (promote-1): back")];
    assert.deepEqual(groupEndOfHistory(locks, "promote-1"), { result: "promoted", detail: "promoted from staging (promote-1): back", lockNumber: 8 });
    assert.equal(groupEndOfHistory(locks, "promote-2"), undefined);
  });

  it("succeeds as the local command does: promoted; back on the lock", () => {
    assert.equal(groupSucceeded("promote", "promoted"), true);
    assert.equal(groupSucceeded("promote", "rolled-back"), false);
    assert.equal(groupSucceeded("promote", "failed"), false);
    assert.equal(groupSucceeded("rollback-to-lock", "rolled back"), true);
    assert.equal(groupSucceeded("rollback-to-lock", "healthy"), true);
    assert.equal(groupSucceeded("rollback-to-lock", "failed"), false);
  });

  it("takes --to-lock as a lock number, else says how to find one", () => {
    assert.equal(lockNumberOf("12", "prod"), 12);
    for (const bad of ["abc", "0", "-1", "1.5", ""]) {
      assert.throws(() => lockNumberOf(bad, "prod"), (err: Error & { code?: string; hint?: string }) => err.code === "USAGE" && err.message.includes(`--to-lock ${bad} is not a lock number`) && /slipway history --env prod/.test(err.hint ?? ""), bad);
    }
  });
});
