import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../domain/errors.js";
import { checkPercentages, effectivePercentages, instanceWeights, type WeightedInstance } from "./revision-weights.js";

const instances = (revision: string, n: number): WeightedInstance[] => Array.from({ length: n }, (_, i) => ({ name: `${revision}-${i}`, revision }));
const sumOf = (weights: Map<string, number>, revision: string): number => [...weights].filter(([name]) => name.startsWith(`${revision}-`)).reduce((s, [, w]) => s + w, 0);

describe("instanceWeights", () => {
  it("gives one instance per revision weights in the exact ratio of the percentages", () => {
    const weights = instanceWeights("web", { a: 90, b: 10 }, [...instances("a", 1), ...instances("b", 1)], 256);
    assert.deepEqual(Object.fromEntries(weights), { "a-0": 180, "b-0": 20 });
  });

  it("splits every percentage from 0 to 100 exactly, across 3 stable and 2 canary instances, within HAProxy's 0–256", () => {
    for (let p = 0; p <= 100; p++) {
      const weights = instanceWeights("web", { stable: 100 - p, canary: p }, [...instances("stable", 3), ...instances("canary", 2)], 256);
      const stable = sumOf(weights, "stable");
      const canary = sumOf(weights, "canary");
      assert.equal(canary * 100, p * (stable + canary), `canary at ${p}%: ${canary} of ${stable + canary}`);
      for (const [name, w] of weights) assert.ok(Number.isInteger(w) && w >= 0 && w <= 256, `${name} at ${p}%: weight ${w}`);
    }
  });

  it("keeps a revision's instances within 1 of each other", () => {
    const weights = instanceWeights("web", { a: 99, b: 1 }, [...instances("a", 7), ...instances("b", 3)], 256);
    for (const revision of ["a", "b"]) {
      const ws = [...weights].filter(([n]) => n.startsWith(`${revision}-`)).map(([, w]) => w);
      assert.ok(Math.max(...ws) - Math.min(...ws) <= 1, `${revision}: ${ws.join(",")}`);
    }
    assert.equal(sumOf(weights, "b") * 100, sumOf(weights, "a") + sumOf(weights, "b"));
  });

  it("gives 0 to instances of revisions not named", () => {
    const weights = instanceWeights("web", { b: 100 }, [...instances("a", 2), ...instances("b", 1)], 256);
    assert.equal(weights.get("a-0"), 0);
    assert.equal(weights.get("a-1"), 0);
    assert.ok((weights.get("b-0") ?? 0) > 0);
  });

  const invalid: [string, Record<string, number>, RegExp][] = [
    ["shares that add up to 90", { a: 80, b: 10 }, /add up to 90/],
    ["a fraction", { a: 99.5, b: 0.5 }, /whole numbers/],
    ["a negative share", { a: 101, b: -1 }, /whole numbers/],
    ["a revision without instances", { a: 50, ghost: 50 }, /ghost has a share but no ready backend/],
  ];
  for (const [what, percentages, message] of invalid) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => instanceWeights("web", percentages, instances("a", 1), 256),
        (err: unknown) => err instanceof SlipwayError && err.code === "ROUTER_INVALID_WEIGHTS" && message.test(err.message),
      );
    });
  }

  it("accepts a revision at 0% that has no instances", () => {
    assert.doesNotThrow(() => checkPercentages("web", { a: 100, gone: 0 }));
    assert.doesNotThrow(() => instanceWeights("web", { a: 100, gone: 0 }, instances("a", 1), 256));
  });

  it("tolerates a revision whose instances went away, keeping the others' ratio", () => {
    const weights = instanceWeights("web", { a: 60, b: 30, c: 10 }, [...instances("a", 2), ...instances("c", 1)], 256, "tolerate");
    assert.equal(sumOf(weights, "a"), 6 * sumOf(weights, "c"));
    assert.deepEqual(Object.fromEntries(instanceWeights("web", { b: 100 }, instances("a", 1), 256, "tolerate")), { "a-0": 0 });
  });
});

describe("effectivePercentages", () => {
  it("reads the split back from instance weights", () => {
    const weights = instanceWeights("web", { a: 75, b: 25 }, [...instances("a", 3), ...instances("b", 1)], 256);
    const withWeights = [...instances("a", 3), ...instances("b", 1)].map((i) => ({ ...i, weight: weights.get(i.name) ?? 0 }));
    assert.deepEqual(effectivePercentages(withWeights), { a: 75, b: 25 });
    assert.equal(effectivePercentages(withWeights.map((i) => ({ ...i, weight: 0 }))), undefined);
  });
});
