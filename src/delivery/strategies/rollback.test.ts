import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RolloutState } from "../types.js";
import { planRollback, type RollbackPlan } from "./rollback.js";
import { startRollout } from "./start.js";
import { observed, ready, rollout, T0 } from "./testing/fixtures.js";

const history = observed(T0, { r1: [], r2: [], r3: ready(2), r4: ready(1) }, { r3: 100 });
const request = (toRevision?: number) => ({ rolloutId: "ro-9", nowMs: T0 + 1000, ...(toRevision === undefined ? {} : { toRevision }) });
const healthy = (target: string): RolloutState => ({ ...rollout("rolling", 2, target, target), phase: "healthy" });
const target = (plan: RollbackPlan) => (plan.kind === "rollout" ? plan.state.targetRevision : plan.kind);

describe("planRollback (slipway rollout undo)", () => {
  it("aborts a rollout in flight: that already goes back to its stable revision", () => {
    assert.deepEqual(planRollback(rollout("canary", 2, "r3", "r4"), history, request()), { kind: "command", command: { type: "abort", reason: "rolled back with slipway rollout undo" } });
    assert.equal(target(planRollback(rollout("canary", 2, "r3", "r4"), history, request(3))), "command");
  });

  it("without --to-revision, goes to the newest revision before the current one (Kubernetes' undo)", () => {
    const plan = planRollback(healthy("r3"), history, request());
    assert.equal(target(plan), "r4", "r4 is newer than r3 but not current: Kubernetes goes by number");
    assert.equal(target(planRollback(healthy("r4"), history, request())), "r3");
  });

  it("with --to-revision N, starts a rollout of that revision that skips steps and analyses", () => {
    const plan = planRollback(healthy("r4"), history, request(1));
    assert.equal(plan.kind, "rollout");
    if (plan.kind !== "rollout") return;
    assert.equal(plan.state.id, "ro-9");
    assert.equal(plan.state.targetRevision, "r1");
    assert.equal(plan.state.stableRevision, "r4");
    assert.equal(plan.state.promoteFull, true);
    assert.equal(plan.state.startedAtMs, T0 + 1000);
  });

  it("after an abort, goes back past the revision the abort left", () => {
    const aborted: RolloutState = { ...rollout("canary", 2, "r3", "r4"), aborted: true, phase: "aborted" };
    assert.equal(target(planRollback(aborted, history, request())), "r2");
  });

  it("refuses what it cannot do", () => {
    const rows: [RolloutState, number | undefined, RegExp][] = [
      [healthy("r4"), 7, /revision 7 is not in the history \(kept: 1, 2, 3, 4; revisionHistoryLimit forgets older ones\)/],
      [healthy("r4"), 4, /already the one rolled out/],
      [rollout("canary", 2, "r3", "r4"), 4, /already the one rolled out/],
    ];
    for (const [state, to, message] of rows) {
      const plan = planRollback(state, history, request(to));
      assert.equal(plan.kind, "refused");
      if (plan.kind === "refused") assert.match(plan.reason, message);
    }
    const only = observed(T0, { r1: ready(1) }, { r1: 100 });
    const plan = planRollback(healthy("r1"), only, request());
    assert.deepEqual(plan, { kind: "refused", reason: "there is no revision before r1 to go back to" });
  });
});

describe("startRollout", () => {
  it("a first deployment has no stable revision", () => {
    const s = startRollout({ id: "ro-1", service: "web", environment: "prod", strategy: "canary", targetRevision: "r1", desiredReplicas: 3, nowMs: T0 });
    assert.equal(s.stableRevision, undefined);
    assert.equal(s.phase, "progressing");
    assert.equal(s.attempt, 1);
  });

  it("inherits the superseded rollout's stable revision and its scale-down timers, except for revisions it runs", () => {
    const previous: RolloutState = { ...rollout("blueGreen", 3, "r2", "r2"), scaleDownAt: [{ revision: "r1", atMs: T0 + 30_000 }, { revision: "r0", atMs: T0 + 5000 }] };
    const s = startRollout({ id: "ro-2", service: "web", environment: "prod", strategy: "blueGreen", targetRevision: "r1", desiredReplicas: 3, nowMs: T0, previous });
    assert.equal(s.stableRevision, "r2");
    assert.deepEqual(s.scaleDownAt, [{ revision: "r0", atMs: T0 + 5000 }]);
  });
});
