import assert from "node:assert/strict";
import { test } from "node:test";
import { describeVerdict, judgeLoadTest, percentile, type LoadMeasurement } from "./load-test-verdict.js";

const measured: LoadMeasurement = { p50Ms: 2, p95Ms: 10, p99Ms: 20, rps: 500, requests: 1000, errors: 5 };

test("each configured threshold gets a verdict named after it", () => {
  const verdicts = judgeLoadTest({ thresholds: { p95Ms: 12, p99Ms: 15, maxErrorRate: 0.01, minRps: 600 } }, measured, undefined);
  assert.deepEqual(
    verdicts.map((v) => [v.threshold, v.passed]),
    [["p95Ms", true], ["p99Ms", false], ["maxErrorRate", true], ["minRps", false]],
  );
  assert.equal(describeVerdict(verdicts[1]!), "p99Ms 20 > 15");
  assert.equal(describeVerdict(verdicts[3]!), "minRps 500 < 600");
});

test("the error rate is always judged; zero errors allowed by default", () => {
  const [verdict] = judgeLoadTest({ thresholds: { maxErrorRate: 0 } }, measured, undefined);
  assert.deepEqual(verdict, { threshold: "maxErrorRate", limit: 0, actual: 0.005, passed: false });
  // No request answered at all is a full failure, not a division by zero.
  assert.equal(judgeLoadTest({ thresholds: { maxErrorRate: 0.5 } }, { ...measured, requests: 0, errors: 0 }, undefined)[0]?.passed, false);
});

test("regression compares p95 with the last passing run, and only when there is one", () => {
  const scenario = { thresholds: { maxErrorRate: 1 }, regression: { p95Percent: 20 } };
  assert.equal(judgeLoadTest(scenario, measured, undefined).length, 1);
  const within = judgeLoadTest(scenario, measured, { runId: "r1", p95Ms: 9 }).at(-1);
  assert.equal(within?.threshold, "regression.p95Percent");
  assert.equal(within?.passed, true);
  const beyond = judgeLoadTest(scenario, measured, { runId: "r1", p95Ms: 8 }).at(-1);
  assert.deepEqual(beyond, { threshold: "regression.p95Percent", limit: 20, actual: 25, passed: false });
});

test("percentile is nearest-rank over sorted latencies", () => {
  const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
  assert.deepEqual([percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99), percentile(sorted, 100)], [50, 95, 99, 100]);
  assert.equal(percentile([7], 99), 7);
  assert.equal(percentile([], 95), 0);
});
