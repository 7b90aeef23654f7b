import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, formatElapsed, shortCommit, shortReference } from "./format.js";

describe("formatDuration", () => {
  const rows: [number, string][] = [
    [0, "0.0s"],
    [420, "0.4s"],
    [12_340, "12.3s"],
    [59_940, "59.9s"],
    [59_960, "1m 00s"],
    [65_000, "1m 05s"],
    [3_599_400, "59m 59s"],
    [3_725_000, "1h 02m"],
  ];
  for (const [ms, text] of rows) it(`${ms} ms → ${text}`, () => assert.equal(formatDuration(ms), text));
});

describe("formatElapsed", () => {
  const rows: [number, string][] = [
    [-5, "0s"],
    [999, "0s"],
    [7_000, "7s"],
    [65_900, "1m 05s"],
  ];
  for (const [ms, text] of rows) it(`${ms} ms → ${text}`, () => assert.equal(formatElapsed(ms), text));
});

describe("short names", () => {
  it("keeps the last path segment of a reference and cuts digests", () => {
    assert.equal(shortReference("127.0.0.1:5101/drone-delivery/workflow:h-3f9c2a1b7d4e"), "workflow:h-3f9c2a1b7d4e");
    assert.equal(shortReference(`registry.example/shop/api@sha256:${"ab".repeat(32)}`), "api@sha256:abababababab");
    assert.equal(shortReference("api:1.2.3"), "api:1.2.3");
  });

  it("cuts full git SHAs only", () => {
    assert.equal(shortCommit("3f9c2a1b7d4e8a6f0c5b2d9e1a7f3c8b4d6e0a2f"), "3f9c2a1b7d4e");
    assert.equal(shortCommit("3f9c2a1-dirty"), "3f9c2a1-dirty");
  });
});
