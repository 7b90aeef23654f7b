import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readyCell, serviceHealth, type HealthObservation } from "./service-health.js";

const settled: HealthObservation = { rollout: { finished: true, outcome: "healthy", userPaused: false, pausedForPerson: false }, desired: 2, running: 2, ready: 2, trafficPercent: 100 };

describe("serviceHealth", () => {
  const table: [string, Partial<HealthObservation>, string, RegExp?][] = [
    ["every instance running, ready and routed", {}, "healthy"],
    ["an aborted rollout back on its stable revision, intact", { rollout: { finished: true, outcome: "aborted", userPaused: false, pausedForPerson: false } }, "healthy"],
    ["instances removed by hand after a healthy rollout", { running: 0, ready: 0 }, "degraded", /0 of 2 instances run/],
    ["one instance gone", { running: 1, ready: 1 }, "degraded", /1 of 2 instances run/],
    ["running but not answering readiness", { ready: 1 }, "degraded", /1 of 2 instances ready/],
    ["the router down", { trafficPercent: undefined }, "degraded", /router does not answer/],
    ["the router routing it nothing", { trafficPercent: 0 }, "degraded", /no traffic/],
    ["a rollout that ended degraded", { rollout: { finished: true, outcome: "degraded", userPaused: false, pausedForPerson: false } }, "degraded", /ended degraded/],
    ["a rollout in flight, even with instances missing", { rollout: { finished: false, userPaused: false, pausedForPerson: false }, running: 1, ready: 0 }, "progressing"],
    ["a rollout paused by hand", { rollout: { finished: false, userPaused: true, pausedForPerson: false } }, "paused"],
    ["a rollout at a manual pause step", { rollout: { finished: false, userPaused: false, pausedForPerson: true } }, "paused"],
    ["more instances than desired (a surge left over)", { running: 3, ready: 3 }, "healthy"],
  ];
  for (const [what, change, health, reason] of table) {
    it(`${what}: ${health}`, () => {
      const verdict = serviceHealth({ ...settled, ...change });
      assert.equal(verdict.health, health);
      if (reason !== undefined) assert.match(verdict.reason ?? "", reason);
    });
  }

  it("never deployed", () => {
    assert.deepEqual(serviceHealth({ desired: 0, running: 0, ready: 0, trafficPercent: undefined }), { health: "not deployed" });
  });
});

describe("readyCell", () => {
  const healthy = { finished: true, outcome: "healthy" as const };
  it("the serving revision's ready instances of the desired count", () => {
    assert.equal(readyCell({ desired: 2, readyServing: 2, readyOther: 0, rollout: healthy }), "2/2");
    assert.equal(readyCell({ desired: 2, readyServing: 0, readyOther: 0, rollout: healthy }), "0/2");
  });
  it("the previous revision kept after a healthy rollout is counted apart, not as 4/2", () => {
    assert.equal(readyCell({ desired: 2, readyServing: 2, readyOther: 2, rollout: healthy }), "2/2 (+2 kept for rollback)");
  });
  it("another revision's instances while a rollout is in flight or after an abort", () => {
    assert.equal(readyCell({ desired: 2, readyServing: 1, readyOther: 2, rollout: { finished: false } }), "1/2 (+2 of other revisions)");
    assert.equal(readyCell({ desired: 2, readyServing: 2, readyOther: 1, rollout: { finished: true, outcome: "aborted" } }), "2/2 (+1 of other revisions)");
  });
});
