import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../../domain/errors.js";
import type { MeasureContext } from "./metric-provider.js";
import { quantile, type RevisionCounters, RouterMetricProvider, type RouterMetricSpec } from "./router-provider.js";

/** The router's counters as a script per revision; each read takes the next entry (the last repeats). */
function fakeRouter(script: Record<string, RevisionCounters[]>) {
  const reads: Record<string, number> = {};
  const read = async (revision: string): Promise<RevisionCounters> => {
    const entries = script[revision];
    if (entries === undefined) throw new Error(`no such revision ${revision}`);
    const n = (reads[revision] = (reads[revision] ?? 0) + 1);
    return entries[Math.min(n, entries.length) - 1] as RevisionCounters;
  };
  return read;
}

const counters = (requests: number, responses5xx = 0, connectionErrors = 0, extra: Partial<RevisionCounters> = {}): RevisionCounters => ({ requests, responses5xx, connectionErrors, ...extra });
const signal = new AbortController().signal;
const canaryOnly: MeasureContext = { revision: "r2", signal };
const withStable: MeasureContext = { revision: "r2", stableRevision: "r1", signal };

/** A provider on a fake clock that advances 10 s per reading pair. */
function provider(spec: RouterMetricSpec, script: Record<string, RevisionCounters[]>) {
  let now = 0;
  const p = new RouterMetricProvider(spec, fakeRouter(script), () => now);
  return { p, tick: (seconds = 10) => (now += seconds * 1000) };
}

describe("RouterMetricProvider: errorRate over the delta", () => {
  it("counts only what happened since the previous reading, not since the router started", async () => {
    // 5000 errors in the router's history, then 1 in the last 100 requests.
    const { p, tick } = provider({ metric: "errorRate" }, { r2: [counters(10_000, 4_000, 1_000), counters(10_100, 4_001, 1_000), counters(10_300, 4_001, 1_003)] });
    await p.begin(canaryOnly);
    tick();
    const first = await p.measure(canaryOnly);
    assert.equal(first.value, 0.01);
    assert.deepEqual(first.detail, { windowSeconds: 10, requests: 100, errors: 1 });
    tick();
    assert.equal((await p.measure(canaryOnly)).value, 3 / 200);
  });

  it("reports no requests in the window as an inconclusive 'no data' verdict", async () => {
    const { p, tick } = provider({ metric: "errorRate" }, { r2: [counters(50, 1), counters(50, 1)] });
    await p.begin(canaryOnly);
    tick();
    const result = await p.measure(canaryOnly);
    assert.deepEqual(result.verdict, { phase: "inconclusive", reason: "no data: no requests reached r2 in the last 10 s" });
    assert.equal(result.value, null);
  });

  it("gives the stable revision's rate over the same window as the baseline", async () => {
    const { p, tick } = provider({ metric: "errorRate" }, { r2: [counters(0), counters(100, 2)], r1: [counters(5000, 50), counters(5900, 59)] });
    await p.begin(withStable);
    tick();
    const result = await p.measure(withStable);
    assert.equal(result.value, 0.02);
    assert.equal(result.baseline, 0.01);
    assert.equal(result.verdict, undefined);
  });

  it("says why there is no baseline when the stable revision had no requests", async () => {
    const { p, tick } = provider({ metric: "errorRate" }, { r2: [counters(0), counters(100, 2)], r1: [counters(10), counters(10)] });
    await p.begin(withStable);
    tick();
    const result = await p.measure(withStable);
    assert.equal(result.baseline, undefined);
    assert.equal(result.baselineUnavailable, "no requests reached the stable revision r1 in the last 10 s");
  });

  it("treats counters that went down as a router restart: the window starts at zero", async () => {
    const { p, tick } = provider({ metric: "errorRate" }, { r2: [counters(10_000, 10), counters(40, 4)] });
    await p.begin(canaryOnly);
    tick();
    const result = await p.measure(canaryOnly);
    assert.equal(result.value, 0.1);
    assert.equal(result.detail?.["counterReset"], true);
  });

  it("treats a new countersSince as a restart even when the counters have already grown past the old ones", async () => {
    const since = (at: string) => ({ countersSince: at });
    const { p, tick } = provider({ metric: "errorRate" }, { r2: [counters(100, 0, 0, since("t1")), counters(200, 20, 0, since("t2"))] });
    await p.begin(canaryOnly);
    tick();
    assert.equal((await p.measure(canaryOnly)).value, 0.1);
  });

  it("is an error, not a verdict, when there was no first reading", async () => {
    const { p } = provider({ metric: "errorRate" }, { r2: [counters(10)] });
    await assert.rejects(p.measure(canaryOnly), (err: SlipwayError) => err.code === "MEASUREMENT_FAILED" && err.retryable);
  });

  it("turns a failed read into a retryable MEASUREMENT_FAILED", async () => {
    const p = new RouterMetricProvider({ metric: "errorRate" }, async () => {
      throw new Error("connect ENOENT /run/haproxy.sock");
    });
    await assert.rejects(p.measure(canaryOnly), (err: SlipwayError) => {
      assert.equal(err.code, "MEASUREMENT_FAILED");
      assert.equal(err.retryable, true);
      assert.match(err.message, /could not read the router's counters for r2: connect ENOENT/);
      return true;
    });
  });
});

describe("RouterMetricProvider: requestRate and latency", () => {
  it("measures requests per second over the window", async () => {
    const { p, tick } = provider({ metric: "requestRate" }, { r2: [counters(100), counters(400)] });
    await p.begin(canaryOnly);
    tick(20);
    assert.equal((await p.measure(canaryOnly)).value, 15);
  });

  it("computes percentiles of the window from a cumulative histogram", async () => {
    const bounds = [10, 50, 100, 500, Infinity];
    const before = counters(1000, 0, 0, { latencyHistogram: { upperBoundsMs: bounds, counts: [900, 1000, 1000, 1000, 1000] } });
    // The window's 100 requests: 50 at ≤ 50 ms, 40 at ≤ 100 ms, 10 at ≤ 500 ms; history was all fast.
    const after = counters(1100, 0, 0, { latencyHistogram: { upperBoundsMs: bounds, counts: [900, 1050, 1090, 1100, 1100] } });
    const { p, tick } = provider({ metric: "latencyP95" }, { r2: [before, after] });
    await p.begin(canaryOnly);
    tick();
    assert.equal((await p.measure(canaryOnly)).value, 300);
  });

  it("takes the router's own percentiles when it has no histogram", async () => {
    const { p, tick } = provider({ metric: "latencyP99" }, { r2: [counters(0), counters(10, 0, 0, { latencyMs: { p99: 87 } })] });
    await p.begin(canaryOnly);
    tick();
    assert.equal((await p.measure(canaryOnly)).value, 87);
  });

  it("refuses a percentile from a router that reports only an average", async () => {
    const { p, tick } = provider({ metric: "latencyP50" }, { r2: [counters(0), counters(10, 0, 0, { latencyMs: { average: 12 } })] });
    await p.begin(canaryOnly);
    tick();
    await assert.rejects(p.measure(canaryOnly), /reports only an average latency for r2, so latencyP50 cannot be measured/);
  });

  const quantiles: [number, number | undefined][] = [
    [0.5, 50],
    [0.9, 90],
    [0.99, 99],
  ];
  for (const [q, expected] of quantiles) {
    it(`histogram quantile ${q}`, () => assert.equal(quantile({ upperBoundsMs: [100, Infinity], counts: [100, 100] }, q), expected));
  }
  it("quantile in the open last bucket is its lower bound; empty is undefined", () => {
    assert.equal(quantile({ upperBoundsMs: [100, Infinity], counts: [10, 100] }, 0.9), 100);
    assert.equal(quantile({ upperBoundsMs: [100, Infinity], counts: [0, 0] }, 0.9), undefined);
  });
});

describe("RouterMetricProvider: compareWithStable", () => {
  it("lets the judge decide the error rate against stable over the same window", async () => {
    const { p, tick } = provider({ metric: "errorRate", compareWithStable: true }, { r2: [counters(0), counters(500, 55, 5)], r1: [counters(0), counters(4800, 5)] });
    await p.begin(withStable);
    tick();
    const result = await p.measure(withStable);
    assert.equal(result.verdict?.phase, "failed");
    assert.match(result.verdict?.reason ?? "", /^canary 12\.0% errors vs stable 0\.1% over 500\/4800 requests: worse by more than 0\.5 points/);
    assert.equal(result.value, 0.12);
  });

  it("passes a canary no worse than stable", async () => {
    const { p, tick } = provider({ metric: "errorRate", compareWithStable: true }, { r2: [counters(0), counters(1000, 3)], r1: [counters(0), counters(9000, 30)] });
    await p.begin(withStable);
    tick();
    assert.equal((await p.measure(withStable)).verdict?.phase, "successful");
  });

  it("judges latency as a ratio", async () => {
    const { p, tick } = provider(
      { metric: "latencyP95", compareWithStable: true, judge: { maxRatio: 1.5, minRequests: 10 } },
      { r2: [counters(0), counters(100, 0, 0, { latencyMs: { p95: 140 } })], r1: [counters(0), counters(900, 0, 0, { latencyMs: { p95: 100 } })] },
    );
    await p.begin(withStable);
    tick();
    const result = await p.measure(withStable);
    assert.equal(result.verdict?.phase, "successful");
    assert.deepEqual([result.value, result.baseline], [140, 100]);
  });

  it("is inconclusive without a stable revision", async () => {
    const { p, tick } = provider({ metric: "errorRate", compareWithStable: true }, { r2: [counters(0), counters(500)] });
    await p.begin(canaryOnly);
    tick();
    assert.equal((await p.measure(canaryOnly)).verdict?.phase, "inconclusive");
  });

  it("refuses requestRate, whose canary share is set by its weight", () => {
    assert.throws(() => new RouterMetricProvider({ metric: "requestRate", compareWithStable: true }, fakeRouter({})), /cannot be compared with stable/);
  });
});
