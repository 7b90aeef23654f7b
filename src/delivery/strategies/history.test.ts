import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { abortRollout } from "./lifecycle.js";
import { planRollout } from "./plan-rollout.js";
import { blueGreenSpec, canarySpec, observed, planned, ready, rollout, T0 } from "./testing/fixtures.js";

describe("revisionHistoryLimit for canary and blue-green", () => {
  const history = { r1: [], r2: [], r3: [] };

  it("a promoted canary forgets the oldest revisions without instances beyond the limit, before it completes", () => {
    const promoted = { ...rollout("canary", 2, "r4", "r5"), stableRevision: "r5" };
    const world = observed(T0, { ...history, r4: [], r5: ready(2) }, { r5: 100 });
    assert.deepEqual(planned(planRollout({ canary: canarySpec({ revisionHistoryLimit: 1 }) }, promoted, world)).actions, ["forget r1,r2,r3", "complete healthy"]);
  });

  it("a completed blue-green keeps its stable and target revisions and the newest old ones within the limit", () => {
    const promoted = { ...rollout("blueGreen", 2, "r4", "r5"), stableRevision: "r5" };
    const world = observed(T0, { ...history, r4: [], r5: ready(2) }, { r5: 100 });
    assert.deepEqual(planned(planRollout({ blueGreen: blueGreenSpec({ revisionHistoryLimit: 2 }) }, promoted, world)).actions, ["forget r1,r2", "complete healthy"]);
  });

  it("an aborted canary keeps the aborted target (for retry) and the stable one, and prunes beyond them", () => {
    const aborted = abortRollout(rollout("canary", 2, "r4", "r5"), "test", T0);
    const world = observed(T0, { ...history, r4: ready(2), r5: [] }, { r4: 100 });
    assert.deepEqual(planned(planRollout({ canary: canarySpec({ revisionHistoryLimit: 0 }) }, aborted, world)).actions, ["forget r1,r2,r3", "complete aborted"]);
  });

  it("revisions with instances stay (a warm one is forgotten later); a plan that does not complete prunes nothing", () => {
    const promoted = { ...rollout("canary", 2, "r4", "r5"), stableRevision: "r5" };
    const warm = observed(T0, { ...history, r4: [], r5: ready(2) }, { r5: 100 });
    warm.revisions[0]?.instances.push({ id: "r1-1", phase: "running", ready: true });
    const plan = planned(planRollout({ canary: canarySpec({ revisionHistoryLimit: 1 }) }, promoted, warm));
    assert.deepEqual(plan.actions.filter((a) => a.startsWith("forget")), [], "r1 has an instance to scale down first: the plan does not complete");
    const inFlight = rollout("canary", 2, "r4", "r5");
    const world = observed(T0, { ...history, r4: ready(2), r5: [] }, { r4: 100 });
    assert.deepEqual(planned(planRollout({ canary: canarySpec({ revisionHistoryLimit: 0 }) }, inFlight, world)).actions, ["scale r5=1"]);
  });

  it("a spec stored before the limit existed prunes nothing", () => {
    const promoted = { ...rollout("canary", 2, "r4", "r5"), stableRevision: "r5" };
    const world = observed(T0, { ...history, r4: [], r5: ready(2) }, { r5: 100 });
    const stored = canarySpec();
    delete (stored as { revisionHistoryLimit?: number }).revisionHistoryLimit;
    assert.deepEqual(planned(planRollout({ canary: stored }, promoted, world)).actions, ["complete healthy"]);
  });
});
