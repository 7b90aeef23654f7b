import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { backoffDelayMs, isRetryableNetworkError, isRetryableStatus, parseRetryAfterMs, retryDelayMs, type RetryPolicy } from "./backoff.js";

const policy: RetryPolicy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 5_000 };

describe("isRetryableStatus", () => {
  it("retries 429 and gateway errors only", () => {
    for (const status of [429, 502, 503, 504]) assert.equal(isRetryableStatus(status), true, String(status));
    for (const status of [400, 401, 403, 404, 405, 409, 416, 500, 501]) assert.equal(isRetryableStatus(status), false, String(status));
  });
});

describe("isRetryableNetworkError", () => {
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });
  it("retries dropped and refused connections, also when wrapped", () => {
    assert.equal(isRetryableNetworkError(withCode("ECONNREFUSED")), true);
    assert.equal(isRetryableNetworkError(new TypeError("fetch failed", { cause: withCode("ECONNRESET") })), true);
  });
  it("does not retry other errors", () => {
    assert.equal(isRetryableNetworkError(withCode("ENOTFOUND")), false);
    assert.equal(isRetryableNetworkError(new Error("boom")), false);
    assert.equal(isRetryableNetworkError("ECONNRESET"), false);
  });
});

describe("backoffDelayMs", () => {
  it("doubles per retry between half and all of the cap", () => {
    assert.deepEqual([0, 1, 2].map((r) => backoffDelayMs(policy, r, () => 0)), [50, 100, 200]);
    assert.deepEqual([0, 1, 2].map((r) => backoffDelayMs(policy, r, () => 1)), [100, 200, 400]);
  });
  it("never exceeds the maximum", () => assert.equal(backoffDelayMs(policy, 30, () => 1), 1_000));
});

describe("parseRetryAfterMs", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it("reads seconds and HTTP dates", () => {
    assert.equal(parseRetryAfterMs("3", now), 3_000);
    assert.equal(parseRetryAfterMs("Wed, 01 Jan 2025 00:00:02 GMT", now), 2_000);
    assert.equal(parseRetryAfterMs("Tue, 31 Dec 2024 00:00:00 GMT", now), 0);
  });
  it("ignores what it cannot read", () => {
    for (const header of [undefined, "", "soon", "-1"]) assert.equal(parseRetryAfterMs(header, now), undefined, String(header));
  });
});

describe("retryDelayMs", () => {
  it("gives up when the attempts are spent", () => {
    assert.notEqual(retryDelayMs(policy, 2, undefined, () => 0), undefined);
    assert.equal(retryDelayMs(policy, 3, undefined, () => 0), undefined);
  });
  it("honours Retry-After, but not beyond the policy's patience", () => {
    assert.equal(retryDelayMs(policy, 0, 2_000, () => 0), 2_000);
    assert.equal(retryDelayMs(policy, 0, 0, () => 0), 0);
    assert.equal(retryDelayMs(policy, 0, 60_000, () => 0), undefined);
  });
});
