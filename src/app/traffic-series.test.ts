import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RevisionStats, ServiceStats } from "../router/types.js";
import { revisionPercents, trafficPoint } from "./traffic-series.js";

const rev = (revision: string, requests: number, responses5xx: number, p95?: number): RevisionStats => ({
  revision,
  requests,
  responses2xx: requests - responses5xx,
  responses5xx,
  connectionErrors: 0,
  retries: 0,
  avgResponseMs: 1,
  latency: p95 === undefined ? undefined : { samples: 10, windowMs: 5000, p50Ms: 1, p90Ms: p95, p95Ms: p95, p99Ms: p95, maxMs: p95 },
});
const stats = (countersSince: string, ...revisions: RevisionStats[]): ServiceStats => ({ service: "api", sampledAt: "", countersSince, endpoint: { requests: 0, responses5xx: 0 }, revisions: Object.fromEntries(revisions.map((r) => [r.revision, r])) });

const T0 = "2026-12-06T00:00:00.000Z";

describe("trafficPoint", () => {
  it("turns two readings of cumulative counters into rates per revision", () => {
    const point = trafficPoint(stats(T0, rev("a", 100, 0), rev("b", 10, 0)), stats(T0, rev("a", 300, 2, 12), rev("b", 10, 0)), { a: 100 }, 5, 2);
    assert.deepEqual(point, { atMs: 5, weights: { a: 100 }, revisions: { a: { requestsPerSecond: 100, errorRate: 0.01, p95Ms: 12 }, b: { requestsPerSecond: 0, errorRate: null, p95Ms: null } } });
  });
  it("counts from zero when the router restarted (counters started again)", () => {
    const point = trafficPoint(stats(T0, rev("a", 1000, 0)), stats("2026-12-06T01:00:00.000Z", rev("a", 50, 5)), {}, 5, 1);
    assert.deepEqual(point.revisions["a"], { requestsPerSecond: 50, errorRate: 0.1, p95Ms: null });
    const reloaded = trafficPoint(stats(T0, rev("a", 1000, 0)), stats(T0, rev("a", 50, 5)), {}, 5, 1);
    assert.deepEqual(reloaded.revisions["a"], { requestsPerSecond: 50, errorRate: 0.1, p95Ms: null });
  });
  it("takes a start time a second apart for the same start (it is now minus the uptime in whole seconds)", () => {
    const point = trafficPoint(stats(T0, rev("a", 1000, 0)), stats("2026-12-06T00:00:01.000Z", rev("a", 1040, 0)), {}, 5, 1);
    assert.equal(point.revisions["a"]?.requestsPerSecond, 40);
  });
});

describe("revisionPercents", () => {
  it("sums each revision's ready backends and leaves draining ones out", () => {
    const backends = [
      { revision: "a", weight: 30, state: "ready" },
      { revision: "a", weight: 30, state: "ready" },
      { revision: "b", weight: 40, state: "ready" },
      { revision: "c", weight: 50, state: "drain" },
    ];
    assert.deepEqual(revisionPercents(backends), { a: 60, b: 40 });
    assert.deepEqual(revisionPercents([]), {});
  });
});
