import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { didYouMean, editDistance } from "./did-you-mean.js";

describe("didYouMean", () => {
  it("computes edit distances", () => {
    assert.equal(editDistance("kitten", "sitting"), 3);
    assert.equal(editDistance("", "abc"), 3);
    assert.equal(editDistance("same", "same"), 0);
    assert.equal(editDistance("prot", "port"), 1);
  });
  const keys = ["replicas", "readiness", "resources", "dependsOn", "port"];
  const rows: [string, string | undefined][] = [
    ["replica", "replicas"],
    ["dependson", "dependsOn"],
    ["readyness", "readiness"],
    ["prot", "port"],
    ["strategy", undefined],
  ];
  for (const [word, expected] of rows) {
    it(`"${word}" → ${String(expected)}`, () => assert.equal(didYouMean(word, keys), expected));
  }
});
