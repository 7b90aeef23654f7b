import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../../domain/errors.js";
import { planRollout } from "./plan-rollout.js";
import { canarySpec, observed, ready, rollingSpec, rollout, T0 } from "./testing/fixtures.js";

describe("planRollout", () => {
  const world = observed(T0, { r1: ready(2), r2: [] }, { r1: 100 });
  it("plans with the strategy the rollout was started with", () => {
    assert.deepEqual(planRollout({ canary: canarySpec() }, rollout("canary", 2), world).actions[0], { type: "scale", revision: "r2", replicas: 1 });
    assert.deepEqual(planRollout({ rolling: rollingSpec() }, rollout("rolling", 2), world).actions[0], { type: "scale", revision: "r2", replicas: 1 });
  });
  it("refuses a spec of another strategy", () => {
    assert.throws(
      () => planRollout({ rolling: rollingSpec() }, rollout("canary", 2), world),
      (err: unknown) => err instanceof SlipwayError && /is a canary rollout but was planned with a strategy that has rolling/.test(err.message),
    );
  });
});
