import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { canaryReplicas, type IntOrPercent, proportionalWeights, resolveRollingBounds, scaledValue } from "./resolve.js";

describe("resolveRollingBounds (Kubernetes' ResolveFenceposts and MaxUnavailable)", () => {
  const rows: [IntOrPercent, IntOrPercent, number, { maxSurge: number; maxUnavailable: number }][] = [
    ["25%", "25%", 10, { maxSurge: 3, maxUnavailable: 2 }], // 2.5 → surge up, unavailable down
    ["25%", "25%", 4, { maxSurge: 1, maxUnavailable: 1 }],
    ["25%", "25%", 1, { maxSurge: 1, maxUnavailable: 0 }], // the 0 → 1 rule needs both at 0, and surge is 1
    ["25%", 0, 4, { maxSurge: 1, maxUnavailable: 0 }],
    [1, 1, 4, { maxSurge: 1, maxUnavailable: 1 }],
    ["10%", "10%", 4, { maxSurge: 1, maxUnavailable: 0 }],
    [0, "25%", 3, { maxSurge: 0, maxUnavailable: 1 }], // floor(0.75) = 0 and surge 0 → unavailable 1
    ["0%", "0%", 5, { maxSurge: 0, maxUnavailable: 1 }],
    [0, 0, 1, { maxSurge: 0, maxUnavailable: 1 }],
    ["50%", "50%", 5, { maxSurge: 3, maxUnavailable: 2 }],
    ["100%", "100%", 3, { maxSurge: 3, maxUnavailable: 3 }],
    [2, 7, 3, { maxSurge: 2, maxUnavailable: 3 }], // unavailable capped at replicas
    ["25%", "25%", 0, { maxSurge: 0, maxUnavailable: 0 }], // nothing to keep available
    ["33%", "33%", 3, { maxSurge: 1, maxUnavailable: 0 }], // 0.99
    ["34%", "34%", 3, { maxSurge: 2, maxUnavailable: 1 }], // 1.02
  ];
  for (const [surge, unavailable, replicas, expected] of rows) {
    it(`${replicas} replicas, maxSurge ${surge}, maxUnavailable ${unavailable} → surge ${expected.maxSurge}, unavailable ${expected.maxUnavailable}`, () => {
      assert.deepEqual(resolveRollingBounds(surge, unavailable, replicas), expected);
    });
  }

  it("rejects what is neither a count nor a percentage", () => {
    assert.throws(() => scaledValue("25", 4, true), /neither a count nor a percentage/);
  });
});

describe("canaryReplicas (Argo: ceil(replicas × weight / 100), at least 1 above 0%)", () => {
  const rows: [number, number, number][] = [
    [10, 0, 0],
    [10, 1, 1],
    [10, 5, 1],
    [10, 10, 1],
    [10, 11, 2],
    [10, 20, 2],
    [10, 50, 5],
    [10, 100, 10],
    [4, 20, 1],
    [4, 25, 1],
    [4, 26, 2],
    [3, 50, 2],
    [1, 1, 1],
    [0, 20, 1], // a weight needs somewhere to go
  ];
  for (const [replicas, weight, expected] of rows) {
    it(`${replicas} replicas at ${weight}% → ${expected}`, () => assert.equal(canaryReplicas(replicas, weight), expected));
  }
});

describe("proportionalWeights (a Service's even spread, in whole percent)", () => {
  const rows: [[string, number][], Record<string, number> | undefined][] = [
    [[["a", 4]], { a: 100 }],
    [[["a", 3], ["b", 1]], { a: 75, b: 25 }],
    [[["a", 2], ["b", 1]], { a: 67, b: 33 }],
    [[["a", 1], ["b", 1], ["c", 1]], { a: 34, b: 33, c: 33 }],
    [[["a", 0], ["b", 3]], { b: 100 }],
    [[["a", 1], ["b", 299]], { b: 100 }], // 0.33% rounds away rather than breaking the sum
    [[["a", 0], ["b", 0]], undefined],
  ];
  for (const [counts, expected] of rows) {
    it(`${JSON.stringify(counts)} → ${JSON.stringify(expected)}`, () => assert.deepEqual(proportionalWeights(counts), expected));
  }

  it("always adds up to 100 and gives nothing to a revision without instances", () => {
    for (let a = 0; a <= 12; a++) {
      for (let b = 0; b <= 12; b++) {
        for (let c = 0; c <= 5; c++) {
          const w = proportionalWeights([["a", a], ["b", b], ["c", c]]);
          if (a + b + c === 0) continue;
          assert.equal(Object.values(w ?? {}).reduce((s, x) => s + x, 0), 100, `${a}/${b}/${c}`);
          if (c === 0) assert.equal(w?.["c"], undefined);
        }
      }
    }
  });
});
