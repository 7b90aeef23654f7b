import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { revisionCounters } from "./revision-counters.js";
import type { StatRow } from "./show-stat.js";

function row(server: string, requests: number, avgResponseMs: number, extra: Partial<StatRow> = {}): StatRow {
  return {
    proxy: "web.weighted", server, currentSessions: 0, totalSessions: requests, requests, responses2xx: requests, responses5xx: 0,
    connectErrors: 0, responseErrors: 0, retries: 0, redispatches: 0, avgResponseMs, usedConnections: 0, idleConnections: 0, status: "no check", ...extra,
  };
}

describe("revisionCounters", () => {
  it("sums servers into their revisions, over routes, with retired servers and a request-weighted mean", () => {
    const revisionOf = (server: string): string | undefined => ({ "a-1": "a", "a-2": "a", "b-1": "b" })[server];
    const rows = [
      row("a-1", 300, 2),
      row("a-2", 100, 6),
      row("b-1", 40, 10, { responses2xx: 30, responses5xx: 10, connectErrors: 1, responseErrors: 2, retries: 3, redispatches: 1 }),
      { ...row("b-1", 5, 10), proxy: "web.tester" },
      row("stranger", 1000, 1),
    ];
    const result = revisionCounters(rows, revisionOf, { a: { requests: 50, responses2xx: 50, responses5xx: 0, connectionErrors: 0, retries: 0 } });
    assert.deepEqual(result.get("a"), { revision: "a", requests: 450, responses2xx: 450, responses5xx: 0, connectionErrors: 0, retries: 0, avgResponseMs: 3 });
    assert.deepEqual(result.get("b"), { revision: "b", requests: 45, responses2xx: 35, responses5xx: 10, connectionErrors: 7, retries: 4, avgResponseMs: 10 });
    assert.equal(result.size, 2);
  });

  it("counts attempts that failed over to another server against the server that failed", () => {
    // A dead instance as HAProxy 2.6 reports it with redispatch on every retry.
    const dead = row("b-1", 50, 6, { totalSessions: 247, redispatches: 197 });
    const result = revisionCounters([dead], () => "b", {});
    assert.equal(result.get("b")?.requests, 247);
    assert.equal(result.get("b")?.connectionErrors, 197);
  });

  it("subtracts what a reused slot counted for its earlier occupants", () => {
    const rows = [row("s1", 500, 2, { responses5xx: 20, responses2xx: 480 }), { ...row("s1", 9, 2), proxy: "web.tester" }];
    const baseline = { requests: 400, responses2xx: 380, responses5xx: 20, connectionErrors: 0, retries: 0 };
    const result = revisionCounters(rows, () => "c", {}, (r) => (r.proxy === "web.weighted" ? baseline : undefined));
    assert.deepEqual(result.get("c"), { revision: "c", requests: 109, responses2xx: 109, responses5xx: 0, connectionErrors: 0, retries: 0, avgResponseMs: 2 });
  });
});
