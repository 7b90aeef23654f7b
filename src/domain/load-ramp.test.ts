import assert from "node:assert/strict";
import { test } from "node:test";
import { loadPhases, MAX_RAMP_STEPS } from "./load-ramp.js";

test("without a ramp there is only the steady phase", () => {
  assert.deepEqual(loadPhases({ connections: 10, durationSeconds: 5 }), [{ name: "steady", connections: 10, seconds: 5 }]);
});

test("a rate ramp climbs from `from` towards the rate in one-second steps, connections unchanged", () => {
  const phases = loadPhases({ connections: 4, rate: 100, durationSeconds: 5, ramp: { seconds: 4, from: 20 } });
  assert.deepEqual(phases.map((p) => [p.name, p.rate, p.connections, p.seconds]), [
    ["ramp 1/4", 20, 4, 1],
    ["ramp 2/4", 40, 4, 1],
    ["ramp 3/4", 60, 4, 1],
    ["ramp 4/4", 80, 4, 1],
    ["steady", 100, 4, 5],
  ]);
});

test("without a rate the connections climb", () => {
  const phases = loadPhases({ connections: 9, durationSeconds: 2, ramp: { seconds: 3, from: 1 } });
  assert.deepEqual(phases.map((p) => [p.connections, p.rate]), [[1, undefined], [4, undefined], [6, undefined], [9, undefined]]);
});

test("a long ramp is bounded to a few load generator runs; a ramp under a second is one step", () => {
  const long = loadPhases({ connections: 100, durationSeconds: 1, ramp: { seconds: 120, from: 1 } });
  assert.equal(long.length, MAX_RAMP_STEPS + 1);
  assert.equal(long[0]?.seconds, 12);
  assert.ok(long.slice(0, -1).every((p) => p.connections < 100));
  const short = loadPhases({ connections: 5, durationSeconds: 1, ramp: { seconds: 0.5, from: 1 } });
  assert.deepEqual(short.map((p) => [p.connections, p.seconds]), [[1, 0.5], [5, 1]]);
});
