import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MetricConfig } from "./create-provider.js";
import { judgeWindow } from "./window-judge.js";

const metric = (over: Partial<MetricConfig> = {}): MetricConfig =>
  ({ name: "error-rate", provider: { router: { metric: "errorRate", compareWithStable: false } }, successCondition: "result < 0.01", interval: 4, count: 3, failureLimit: 1, inconclusiveLimit: 2, consecutiveErrorLimit: 4, ...over }) as MetricConfig;
const counters = (requests: number, responses5xx: number, since = "2026-12-06T05:00:00.000Z") => ({ requests, responses5xx, connectionErrors: 0, countersSince: since });
const startMs = Date.parse("2026-12-06T05:10:00Z");
const signal = new AbortController().signal;

describe("judgeWindow (a soak's metrics over the window since the rollout finished)", () => {
  it("judges only what happened in the window: the requests before the mark do not count", async () => {
    // 50 errors of 100 before the mark (a bad canary phase), then 1000 clean requests.
    const [v] = await judgeWindow([metric()], { revision: "r2", start: counters(100, 50), startMs, end: counters(1100, 50), endMs: startMs + 60_000 }, signal);
    assert.equal(v?.phase, "successful", v?.message);
    assert.match(v?.message ?? "", /result 0\b/);
  });

  it("fails a window whose error rate breaks the condition", async () => {
    const [v] = await judgeWindow([metric()], { revision: "r2", start: counters(100, 0), startMs, end: counters(200, 10), endMs: startMs + 60_000 }, signal);
    assert.equal(v?.phase, "failed");
    assert.match(v?.message ?? "", /result 0\.1/);
  });

  it("a window nobody called is inconclusive (no data), never a pass", async () => {
    const [v] = await judgeWindow([metric()], { revision: "r2", start: counters(100, 0), startMs, end: counters(100, 0), endMs: startMs + 60_000 }, signal);
    assert.equal(v?.phase, "inconclusive");
    assert.match(v?.message ?? "", /no data: no requests reached r2 in the last 60 s/);
  });

  it("judges request rate over the window's length", async () => {
    const [v] = await judgeWindow([metric({ name: "traffic", provider: { router: { metric: "requestRate", compareWithStable: false } }, successCondition: "result >= 10" })], { revision: "r2", start: counters(0, 0), startMs, end: counters(1200, 0), endMs: startMs + 60_000 }, signal);
    assert.equal(v?.phase, "successful", v?.message);
    assert.match(v?.message ?? "", /result 20/);
  });

  it("counts from zero when the router restarted in the window", async () => {
    const [v] = await judgeWindow([metric()], { revision: "r2", start: counters(5000, 0), startMs, end: counters(100, 20, "2026-12-06T05:10:30.000Z"), endMs: startMs + 60_000 }, signal);
    assert.equal(v?.phase, "failed");
    assert.match(v?.message ?? "", /result 0\.2/);
  });

  it("refuses a metric that is not a router metric", async () => {
    await assert.rejects(judgeWindow([metric({ provider: { web: { url: "http://127.0.0.1:9/", jsonPath: "$.ok" } } as MetricConfig["provider"] })], { revision: "r2", start: counters(0, 0), startMs, end: counters(0, 0), endMs: startMs }, signal), /not a router metric/);
  });
});
