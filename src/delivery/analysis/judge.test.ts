import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatPercent, judgeErrorRate, judgeLatency, normalCdf } from "./judge.js";

describe("judgeErrorRate: canary against stable over the same window", () => {
  it("fails a canary far worse than stable, and says by how much over how many requests", () => {
    const verdict = judgeErrorRate({ requests: 500, errors: 60 }, { requests: 4800, errors: 5 });
    assert.equal(verdict.phase, "failed");
    assert.equal(verdict.reason, "canary 12.0% errors vs stable 0.1% over 500/4800 requests: worse by more than 0.5 points (z = 22.0, p < 0.001)");
  });

  const cases: [string, [number, number], [number, number], Record<string, number>, string][] = [
    ["same rate", [1000, 10], [9000, 90], {}, "successful"],
    ["no errors anywhere", [500, 0], [5000, 0], {}, "successful"],
    ["better than stable", [1000, 0], [9000, 90], {}, "successful"],
    ["1.2% vs 0.1%: few errors, but significantly more", [500, 6], [4800, 5], {}, "failed"],
    ["1.2% vs 1.0%: within the half-point tolerance", [2000, 24], [20000, 200], {}, "successful"],
    ["worse, but not significantly so on this sample", [200, 4], [2000, 20], {}, "successful"],
    ["the same, held to zero tolerance on a large sample", [100000, 1300], [100000, 1000], { tolerance: 0 }, "failed"],
    ["a stable that always errors is no reason to fail the canary", [200, 200], [2000, 2000], {}, "successful"],
    ["too few canary requests", [99, 50], [5000, 0], {}, "inconclusive"],
    ["too few stable requests", [5000, 0], [10, 0], {}, "inconclusive"],
    ["no requests at all", [0, 0], [0, 0], {}, "inconclusive"],
    ["a lower minimum lets a small sample decide", [50, 25], [50, 0], { minRequests: 50 }, "failed"],
  ];
  for (const [name, [cRequests, cErrors], [sRequests, sErrors], options, phase] of cases) {
    it(`${name}: ${phase}`, () => {
      const verdict = judgeErrorRate({ requests: cRequests, errors: cErrors }, { requests: sRequests, errors: sErrors }, options);
      assert.equal(verdict.phase, phase, verdict.reason);
    });
  }

  it("says which side has too few requests", () => {
    assert.equal(
      judgeErrorRate({ requests: 12, errors: 0 }, { requests: 4800, errors: 5 }).reason,
      "canary 0.0% errors vs stable 0.1% over 12/4800 requests: too few requests to judge (canary 12; each side needs 100)",
    );
  });
});

describe("judgeLatency", () => {
  it("allows the canary up to maxRatio × stable", () => {
    assert.equal(judgeLatency("latencyP95", { latencyMs: 119, requests: 500 }, { latencyMs: 100, requests: 500 }).phase, "successful");
    const slow = judgeLatency("latencyP95", { latencyMs: 150, requests: 500 }, { latencyMs: 100, requests: 500 });
    assert.deepEqual(slow, { phase: "failed", reason: "canary latencyP95 150 ms vs stable 100 ms over 500/500 requests: slower than 1.2 × stable (120 ms)" });
  });

  it("passes a canary within minDifferenceMs of a fast stable whatever the ratio, and fails it beyond", () => {
    const fastStable = { latencyMs: 1.92, requests: 80 };
    assert.equal(judgeLatency("latencyP95", { latencyMs: 41.7, requests: 80 }, fastStable, { minRequests: 20, maxRatio: 2 }).phase, "failed");
    assert.deepEqual(judgeLatency("latencyP95", { latencyMs: 41.7, requests: 80 }, fastStable, { minRequests: 20, maxRatio: 2, minDifferenceMs: 50 }), {
      phase: "successful",
      reason: "canary latencyP95 41.7 ms vs stable 1.92 ms over 80/80 requests: within 2 × stable or 50 ms more (51.9 ms)",
    });
    assert.equal(judgeLatency("latencyP95", { latencyMs: 402, requests: 80 }, fastStable, { minRequests: 20, maxRatio: 2, minDifferenceMs: 50 }).phase, "failed");
    // Against a slow stable the ratio is the larger allowance.
    assert.equal(judgeLatency("latencyP95", { latencyMs: 390, requests: 80 }, { latencyMs: 200, requests: 80 }, { minRequests: 20, maxRatio: 2, minDifferenceMs: 50 }).phase, "successful");
  });

  it("is inconclusive on too few requests without reading the latencies", () => {
    assert.equal(
      judgeLatency("latencyP99", { latencyMs: NaN, requests: 3 }, { latencyMs: NaN, requests: 900 }).reason,
      "latencyP99: too few requests to judge: canary 3, stable 900 (each side needs 100)",
    );
  });
});

describe("judge arithmetic", () => {
  const cdf: [number, number][] = [
    [0, 0.5],
    [1.959964, 0.975],
    [-1.959964, 0.025],
    [2.326348, 0.99],
    [-3.090232, 0.001],
  ];
  for (const [z, p] of cdf) it(`Φ(${z}) ≈ ${p}`, () => assert.ok(Math.abs(normalCdf(z) - p) < 1e-6, String(normalCdf(z))));

  const percents: [number, string][] = [
    [0.12, "12.0%"],
    [0.001, "0.1%"],
    [0.00004, "0.004%"],
    [0, "0.0%"],
    [1, "100.0%"],
  ];
  for (const [fraction, text] of percents) it(`${fraction} is ${text}`, () => assert.equal(formatPercent(fraction), text));
});
