import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRequestLog, summarizeLatency } from "./request-log.js";

describe("request log", () => {
  it("reads slipway's lines and skips everything else in the ring", () => {
    const ring = [
      "slw 1795873637148 web.weighted web-a-1 200 3",
      "Server web.weighted/web-b-1 is UP/READY (leaving forced maintenance).",
      "slw 1795873637161 web.tester web-b-1 503 -1",
      "slw 17958736 truncated",
      "",
    ].join("\n");
    assert.deepEqual(parseRequestLog(ring), [
      { atMs: 1795873637148, proxy: "web.weighted", server: "web-a-1", status: 200, responseMs: 3 },
      { atMs: 1795873637161, proxy: "web.tester", server: "web-b-1", status: 503, responseMs: -1 },
    ]);
  });

  it("takes nearest-rank percentiles", () => {
    const ms = Array.from({ length: 100 }, (_, i) => 100 - i); // 1..100, unsorted
    assert.deepEqual(summarizeLatency(ms, 60_000), { samples: 100, windowMs: 60_000, p50Ms: 50, p90Ms: 90, p95Ms: 95, p99Ms: 99, maxMs: 100 });
    assert.deepEqual(summarizeLatency([7], 1_000), { samples: 1, windowMs: 1_000, p50Ms: 7, p90Ms: 7, p95Ms: 7, p99Ms: 7, maxMs: 7 });
    assert.equal(summarizeLatency([], 1_000), undefined);
  });
});
