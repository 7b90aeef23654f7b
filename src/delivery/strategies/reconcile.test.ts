import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { notReady, observed, ready, T0 } from "./testing/fixtures.js";
import { describeAction } from "./testing/run-scenario.js";
import { type DesiredWorld, reconcile } from "./reconcile.js";

function run(desired: DesiredWorld, world = observed(T0, { r1: ready(3), r2: ready(1) }, { r1: 100 })) {
  const { actions, heldBack } = reconcile(desired, world);
  return { actions: actions.map(describeAction), heldBack };
}

describe("reconcile", () => {
  it("adds instances first, routes next, removes last", () => {
    const result = run({ replicas: new Map([["r1", 2], ["r2", 2]]), weights: { r1: 50, r2: 50 } });
    assert.deepEqual(result.actions, ["scale r2=2", "route r1=50 r2=50", "scale r1=2"]);
  });

  it("emits nothing when the world already matches", () => {
    assert.deepEqual(run({ replicas: new Map([["r1", 3], ["r2", 1]]), weights: { r1: 100 }, preview: null }).actions, []);
  });

  it("never routes to a revision without a ready instance, and keeps the instances routing still reaches", () => {
    const world = observed(T0, { r1: ready(3), r2: notReady(2) }, { r1: 100 });
    const result = run({ replicas: new Map([["r1", 0], ["r2", 3]]), weights: { r2: 100 } }, world);
    assert.deepEqual(result.actions, ["scale r2=3"]);
    assert.deepEqual(result.heldBack, ["routing waits for a ready instance of r2", "r1 keeps its instances until routing has moved"]);
  });

  it("never previews a revision without a ready instance", () => {
    const world = observed(T0, { r1: ready(3), r2: notReady(3) }, { r1: 100 });
    assert.deepEqual(run({ replicas: new Map(), weights: { r1: 100 }, preview: "r2" }, world).heldBack, ["routing waits for a ready instance of r2"]);
  });

  it("scales a revision to 0 only once no weight and no preview points at it", () => {
    const world = observed(T0, { r1: ready(3), r2: ready(3) }, { r1: 100 }, { previewRevision: "r2" });
    assert.deepEqual(run({ replicas: new Map([["r2", 0]]) }, world), { actions: [], heldBack: ["r2 keeps its instances while it carries traffic"] });
    assert.deepEqual(run({ replicas: new Map([["r2", 0]]), preview: null }, world).actions, ["route r1=100", "scale r2=0"]);
  });

  it("lets a revision carrying weight shrink, as long as it keeps instances", () => {
    const world = observed(T0, { r1: ready(4) }, { r1: 100 });
    assert.deepEqual(run({ replicas: new Map([["r1", 3]]) }, world).actions, ["scale r1=3"]);
  });

  it("leaves revisions it is not told about alone", () => {
    const world = observed(T0, { r1: ready(3), r9: ready(2) }, { r1: 100 });
    assert.deepEqual(run({ replicas: new Map([["r1", 3]]) }, world).actions, []);
  });

  it("turns a service off when asked for no instances and no routing", () => {
    const world = observed(T0, { r1: ready(2) }, { r1: 100 });
    assert.deepEqual(run({ replicas: new Map([["r1", 0]]), weights: {} }, world).actions, ["scale r1=0"]);
  });

  it("refuses weights that do not add up to 100 (a planner bug)", () => {
    assert.throws(() => run({ replicas: new Map(), weights: { r1: 60, r2: 30 } }), /adding up to 90/);
  });
});
