import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serviceHealth, type HealthObservation } from "./service-health.js";

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
