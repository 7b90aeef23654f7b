// The canary when the router cannot weigh requests (Kubernetes without
// Gateway API, `kubernetes.traffic: replicas`): a weight becomes a replica
// ratio behind one Service, total kept at the service's replicas, as Argo
// Rollouts' basic canary does.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CanarySpec, RolloutState } from "../types.js";
import { describeStepWeight, planCanary } from "./canary.js";
import { achievableWeights, replicaSplit } from "../../domain/replica-split.js";
import { canarySpec, type InstanceShorthand, notReady, observed, type PlanRow, planned, ready, rollout, scaleDown, T0, walkPlans } from "./testing/fixtures.js";

const at = (s: number) => T0 + s * 1000;
const obs = (s: number, revisions: Record<string, InstanceShorthand[]>, weights: Record<string, number>) => observed(at(s), revisions, weights, { splitByReplicas: true });
const walk = (spec: CanarySpec, state: RolloutState, rows: readonly PlanRow[]): RolloutState => walkPlans(planCanary, spec, state, rows);

describe("replicaSplit: a weight as the nearest replica ratio", () => {
  it("shares the replicas out, both revisions serving between 0 and 100", () => {
    assert.deepEqual(replicaSplit(10, 10), { canary: 1, stable: 9, percent: 10 });
    assert.deepEqual(replicaSplit(4, 25), { canary: 1, stable: 3, percent: 25 });
    assert.deepEqual(replicaSplit(4, 10), { canary: 1, stable: 3, percent: 25 }, "never below one canary");
    assert.deepEqual(replicaSplit(4, 95), { canary: 3, stable: 1, percent: 75 }, "never the last stable");
    assert.deepEqual(replicaSplit(3, 50), { canary: 2, stable: 1, percent: 67 });
    assert.deepEqual(replicaSplit(4, 0), { canary: 0, stable: 4, percent: 0 });
    assert.deepEqual(replicaSplit(4, 100), { canary: 4, stable: 0, percent: 100 });
    assert.deepEqual(replicaSplit(1, 30), { canary: 1, stable: 1, percent: 50 }, "one replica cannot be split: the canary runs beside it");
  });

  it("lists the weights a replica count gives exactly", () => {
    assert.deepEqual(achievableWeights(4), [25, 50, 75]);
    assert.deepEqual(achievableWeights(3), []);
    assert.deepEqual(achievableWeights(1), []);
    assert.equal(achievableWeights(10).length, 9);
  });

  it("says what a step becomes", () => {
    assert.equal(describeStepWeight(4, 10, true), "10% as 1 of 4 instances: 25%");
    assert.equal(describeStepWeight(4, 50, true), "50% (2 of 4 instances)");
    assert.equal(describeStepWeight(4, 10, false), "10%");
  });
});

describe("canary split by replicas (4 replicas: 25% → pause → 50% → pause 60s)", () => {
  const spec = canarySpec({ steps: [{ setWeight: 25 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: 60 } }] });

  it("adds the canary, then shrinks the stable to the rest; the step counts once the ratio is in place", () => {
    walk(spec, rollout("canary", 4), [
      ["25%: one canary instance first, the stable stays at 4", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=1"], "progressing"],
      ["not ready: nothing moves", obs(1, { r1: ready(4), r2: notReady(1) }, { r1: 100 }), []],
      ["ready: both revisions in the Service, then the stable down to 3", obs(2, { r1: ready(4), r2: ready(1) }, { r1: 100 }), ["route r1=75 r2=25", "scale r1=3"]],
      ["routed, stable not yet down: the step is not reached", obs(3, { r1: ready(4), r2: ready(1) }, { r1: 75, r2: 25 }), ["scale r1=3"], "progressing"],
      ["1 of 4: on to the pause", obs(4, { r1: ready(3), r2: ready(1) }, { r1: 75, r2: 25 }), [], "paused"],
      ["promote: 50% is 2 of 4; the stable keeps 3 until the canary's second is ready", obs(5, { r1: ready(3), r2: ready(1) }, { r1: 75, r2: 25 }), ["scale r2=2"], "progressing", { type: "promote" }],
      ["not ready yet", obs(6, { r1: ready(3), r2: ["R", "N"] }, { r1: 75, r2: 25 }), []],
      ["ready: 50%, stable to 2", obs(7, { r1: ready(3), r2: ready(2) }, { r1: 75, r2: 25 }), ["route r1=50 r2=50", "scale r1=2"]],
      ["2 of 4: the timed pause", obs(8, { r1: ready(2), r2: ready(2) }, { r1: 50, r2: 50 }), [], "paused"],
      ["steps done: the canary to 4, the stable keeps its 2", obs(68, { r1: ready(2), r2: ready(2) }, { r1: 50, r2: 50 }), ["scale r2=4"], "progressing"],
      ["fully available: the canary alone in the Service", obs(69, { r1: ready(2), r2: ready(4) }, { r1: 50, r2: 50 }), ["route r2=100"]],
      ["promoted; the old stable stays warm for scaleDownDelaySeconds", obs(70, { r1: ready(2), r2: ready(4) }, { r2: 100 }), ["complete healthy"], "healthy"],
    ]);
  });

  it("a weight the replicas cannot express is the nearest ratio, and the step says so", () => {
    const s = rollout("canary", 4);
    const plan = planned(planCanary(canarySpec({ steps: [{ setWeight: 10 }, { pause: {} }] }), s, obs(0, { r1: ready(4), r2: ready(1) }, { r1: 100 })));
    assert.deepEqual(plan.actions, ["route r1=75 r2=25", "scale r1=3"]);
    assert.match(plan.wait?.reason ?? "", /10% as 1 of 4 instances: 25%/);
  });

  it("abort: the stable back to full size and alone in the Service at once; the canary kept warm out of it", () => {
    const s = walk(spec, { ...rollout("canary", 4), stepIndex: 3 }, [
      ["abort", obs(1, { r1: ready(2), r2: ready(2) }, { r1: 50, r2: 50 }), ["scale r1=4", "route r1=100"], "aborted", { type: "abort" }],
      ["stable back at 4, canary out of traffic, still running", obs(2, { r1: ready(4), r2: ready(2) }, { r1: 100 }), ["complete aborted"], "aborted"],
    ]);
    assert.deepEqual(scaleDown(s, "aborted", obs(31, { r1: ready(4), r2: ready(2) }, { r1: 100 })), { actions: ["scale r2=0"] }, "its scale-down time");
  });
});
