import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { asSlipwayError } from "./errors.js";

function coded(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe("asSlipwayError", () => {
  it("says what a storage fault is instead of calling it a bug", () => {
    const table: [Error, string, RegExp][] = [
      [coded("SQLITE_FULL", "database or disk is full"), "WRITE_FAILED", /no space left on the device: database or disk is full/],
      [coded("ENOSPC", "ENOSPC: no space left on device, write"), "WRITE_FAILED", /no space left/],
      [coded("SQLITE_BUSY", "database is locked"), "STATE_STORE", /stayed locked by another slipway process for longer than its 5 s busy timeout/],
      [coded("SQLITE_BUSY_SNAPSHOT", "database is locked"), "STATE_STORE", /stayed locked/],
      [coded("SQLITE_CORRUPT", "database disk image is malformed"), "STATE_STORE", /damaged/],
      [coded("SQLITE_READONLY", "attempt to write a readonly database"), "WRITE_FAILED", /cannot write the state directory/],
    ];
    for (const [err, code, message] of table) {
      const wrapped = asSlipwayError(err);
      assert.equal(wrapped.code, code, err.message);
      assert.match(wrapped.message, message);
      assert.ok(wrapped.hint !== undefined);
    }
  });

  it("anything else unexpected is still INTERNAL", () => {
    assert.equal(asSlipwayError(new TypeError("x is undefined")).code, "INTERNAL");
    assert.equal(asSlipwayError(coded("ERR_SOMETHING", "odd")).code, "INTERNAL");
  });
});
