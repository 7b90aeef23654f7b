import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AnalysisObservation, BlueGreenSpec, Command, Observed, RolloutState } from "../types.js";
import { planBlueGreen } from "./blue-green.js";
import { planRollback } from "./rollback.js";
import { assertGolden } from "./testing/golden.js";
import { blueGreenSpec, type InstanceShorthand, notReady, observed, planned, ready, rollout, scaleDown, T0 } from "./testing/fixtures.js";
import { finishScaleDown, runScenario, type TimedCommand } from "./testing/run-scenario.js";
import { type AnalysisScriptEntry, type Behaviour, SimulatedWorld } from "./testing/simulated-world.js";

type Row = [label: string, world: Observed, actions: string[], phase?: RolloutState["phase"], command?: Command];

function walk(spec: BlueGreenSpec, state: RolloutState, rows: Row[]): RolloutState {
  let s = state;
  for (const [label, world, actions, phase, command] of rows) {
    const result = planned(planBlueGreen(spec, s, world, command));
    assert.deepEqual(result.actions, actions, label);
    if (phase !== undefined) assert.equal(result.state.phase, phase, label);
    s = result.state;
  }
  return s;
}

const at = (s: number) => T0 + s * 1000;
const obs = (s: number, revisions: Record<string, InstanceShorthand[]>, weights: Record<string, number>, preview?: string, analyses: Record<string, AnalysisObservation> = {}) =>
  observed(at(s), revisions, weights, { analyses, ...(preview === undefined ? {} : { previewRevision: preview }) });

describe("blue-green: preview, promote, scale-down delay", () => {
  it("runs the new revision at full size beside the old, previews it, switches on promote, keeps the old warm", () => {
    const s = walk(blueGreenSpec(), rollout("blueGreen", 4), [
      ["full size at once", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=4"], "progressing"],
      ["preview as soon as one instance is ready", obs(1, { r1: ready(4), r2: ["R", "R", "N", "N"] }, { r1: 100 }), ["route r1=100 preview=r2"]],
      ["fully available: wait for promote", obs(2, { r1: ready(4), r2: ready(4) }, { r1: 100 }, "r2"), [], "paused"],
      ["still waiting", obs(300, { r1: ready(4), r2: ready(4) }, { r1: 100 }, "r2"), [], "paused"],
      ["promote: one atomic switch, preview cleared", obs(301, { r1: ready(4), r2: ready(4) }, { r1: 100 }, "r2"), ["route r2=100"], "progressing", { type: "promote" }],
      ["switched: traffic is settled, the rollout ends with the old revision warm", obs(302, { r1: ready(4), r2: ready(4) }, { r2: 100 }), ["complete healthy"], "healthy"],
    ]);
    assert.equal(s.stableRevision, "r2");
    assert.deepEqual(s.scaleDownAt, [{ revision: "r1", atMs: at(332) }]);
    assert.deepEqual(scaleDown(s, "healthy", obs(331, { r1: ready(4), r2: ready(4) }, { r2: 100 })), { actions: [], nextAtMs: at(332) }, "scale-down delay not yet over");
    assert.deepEqual(scaleDown(s, "healthy", obs(332, { r1: ready(4), r2: ready(4) }, { r2: 100 })), { actions: ["scale r1=0"] }, "scale-down delay over");
    assert.deepEqual(scaleDown(s, "healthy", obs(333, { r1: [], r2: ready(4) }, { r2: 100 })), { actions: [] }, "finished");
  });

  it("with scaleDownDelaySeconds 0 the old revision goes before the rollout ends", () => {
    const spec = blueGreenSpec({ scaleDownDelaySeconds: 0 });
    const s = walk(spec, rollout("blueGreen", 1), [["", obs(0, { r1: ready(1), r2: ready(1) }, { r1: 100 }, "r2"), [], "paused"]]);
    walk(spec, s, [
      ["", obs(1, { r1: ready(1), r2: ready(1) }, { r1: 100 }, "r2"), ["route r2=100"], "progressing", { type: "promote" }],
      ["", obs(2, { r1: ready(1), r2: ready(1) }, { r2: 100 }), ["scale r1=0"], "healthy"],
      ["", obs(3, { r1: [], r2: ready(1) }, { r2: 100 }), ["complete healthy"], "healthy"],
    ]);
  });

  it("promote before the new revision is ready switches once it is fully available", () => {
    walk(blueGreenSpec(), rollout("blueGreen", 2), [
      ["", obs(0, { r1: ready(2), r2: [] }, { r1: 100 }), ["scale r2=2"], "progressing", { type: "promote" }],
      ["one ready: preview only", obs(1, { r1: ready(2), r2: ["R", "N"] }, { r1: 100 }), ["route r1=100 preview=r2"], "progressing"],
      ["fully available: switch", obs(2, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2"), ["route r2=100"], "progressing"],
    ]);
  });

  it("autoPromote switches as soon as the new revision is fully available", () => {
    walk(blueGreenSpec({ autoPromote: true }), rollout("blueGreen", 2), [
      ["", obs(0, { r1: ready(2), r2: [] }, { r1: 100 }), ["scale r2=2"]],
      ["", obs(1, { r1: ready(2), r2: ready(2) }, { r1: 100 }), ["route r2=100"]],
    ]);
  });

  it("autoPromote with autoPromotionSeconds: the preview serves that long after the new revision is fully available, then the switch", () => {
    const s = walk(blueGreenSpec({ autoPromote: true, autoPromotionSeconds: 10 }), rollout("blueGreen", 2), [
      ["", obs(0, { r1: ready(2), r2: [] }, { r1: 100 }), ["scale r2=2"], "progressing"],
      ["one ready: preview, no countdown yet", obs(1, { r1: ready(2), r2: ["R", "N"] }, { r1: 100 }), ["route r1=100 preview=r2"], "progressing"],
      ["fully available: the countdown starts", obs(4, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2"), [], "paused"],
      ["still previewing", obs(13.9, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2"), [], "paused"],
      ["10 s after full availability: the switch", obs(14, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2"), ["route r2=100"], "progressing"],
    ]);
    assert.equal(s.promoted, true);
  });

  it("the countdown wakes the controller when it ends", () => {
    const s = walk(blueGreenSpec({ autoPromote: true, autoPromotionSeconds: 10 }), rollout("blueGreen", 1), [["", obs(0, { r1: ready(1), r2: ready(1) }, { r1: 100 }), ["route r1=100 preview=r2"], "paused"]]);
    assert.equal(planned(planBlueGreen(blueGreenSpec({ autoPromote: true, autoPromotionSeconds: 10 }), s, obs(1, { r1: ready(1), r2: ready(1) }, { r1: 100 }, "r2"))).wait?.untilMs, at(10));
  });

  it("autoPromotionSeconds pauses that long, then switches", () => {
    const s = walk(blueGreenSpec({ autoPromotionSeconds: 20 }), rollout("blueGreen", 2), [
      ["", obs(0, { r1: ready(2), r2: ready(2) }, { r1: 100 }), ["route r1=100 preview=r2"], "paused"],
      ["", obs(19, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2"), [], "paused"],
      ["", obs(20, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2"), ["route r2=100"], "progressing"],
    ]);
    assert.equal(s.promoted, true);
  });
});

describe("blue-green: pre-promotion analysis", () => {
  const spec = blueGreenSpec({ autoPromote: true, prePromotionAnalysis: { metrics: ["error-rate"] } });
  const start = () =>
    walk(spec, rollout("blueGreen", 2), [
      ["not yet available: no analysis", obs(0, { r1: ready(2), r2: notReady(2) }, { r1: 100 }), []],
      ["fully available: analysis against the preview", obs(1, { r1: ready(2), r2: ready(2) }, { r1: 100 }), ["route r1=100 preview=r2", "start a1-pre-promotion"]],
      ["running: no switch", obs(2, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2", { "a1-pre-promotion": { status: "running" } }), [], "progressing"],
    ]);

  it("switches once it passes", () => {
    walk(spec, start(), [["passed", obs(3, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2", { "a1-pre-promotion": { status: "successful" } }), ["route r2=100"]]]);
  });

  it("aborts when it fails: the preview goes at once, the new revision after the delay", () => {
    const s = walk(spec, start(), [
      ["failed", obs(3, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2", { "a1-pre-promotion": { status: "failed", message: "error rate 12%" } }), ["route r1=100"], "aborted"],
      ["traffic settled on r1: the rollout ends, r2 warm for a diagnosis", obs(4, { r1: ready(2), r2: ready(2) }, { r1: 100 }), ["complete aborted"], "aborted"],
    ]);
    assert.equal(s.abortReason, "analysis a1-pre-promotion failed: error rate 12%");
    assert.deepEqual(scaleDown(s, "aborted", obs(32, { r1: ready(2), r2: ready(2) }, { r1: 100 })), { actions: [], nextAtMs: at(33) });
    assert.deepEqual(scaleDown(s, "aborted", obs(33, { r1: ready(2), r2: ready(2) }, { r1: 100 })), { actions: ["scale r2=0"] });
  });

  it("pauses on an inconclusive result until a person promotes or aborts", () => {
    const inconclusive = { "a1-pre-promotion": { status: "inconclusive" as const } };
    const s = walk(spec, start(), [
      ["inconclusive", obs(3, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2", inconclusive), [], "paused"],
      ["promote accepts it and switches", obs(4, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2", inconclusive), ["route r2=100"], "progressing", { type: "promote" }],
    ]);
    assert.equal(s.analyses[0]?.accepted, true);
  });

  it("promote --full skips it", () => {
    walk(spec, start(), [["", obs(3, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2", { "a1-pre-promotion": { status: "running" } }), ["route r2=100", "stop a1-pre-promotion"], "progressing", { type: "promoteFull" }]]);
  });
});

describe("blue-green: abort, deadline, rollback", () => {
  it("abort before the switch clears the preview; the stable revision was never touched", () => {
    walk(blueGreenSpec(), rollout("blueGreen", 2), [
      ["", obs(0, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2"), [], "paused"],
      ["", obs(1, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2"), ["route r1=100"], "aborted", { type: "abort" }],
    ]);
  });

  it("a revision that never becomes ready reaches the progress deadline and is aborted", () => {
    const spec = blueGreenSpec({ progressDeadlineSeconds: 60 });
    const s = walk(spec, rollout("blueGreen", 2), [
      ["", obs(0, { r1: ready(2), r2: [] }, { r1: 100 }), ["scale r2=2"]],
      ["", obs(59, { r1: ready(2), r2: notReady(2) }, { r1: 100 }), [], "progressing"],
      ["", obs(60, { r1: ready(2), r2: notReady(2) }, { r1: 100 }), ["complete aborted"], "aborted"],
    ]);
    assert.deepEqual(scaleDown(s, "aborted", obs(90, { r1: ready(2), r2: notReady(2) }, { r1: 100 })), { actions: ["scale r2=0"] });
    assert.match(s.abortReason ?? "", /progress deadline exceeded: no progress for 60s while 0 of 2 instances of r2 available/);
  });

  it("abort after the switch is refused: undo switches back while the old revision is warm", () => {
    const spec = blueGreenSpec();
    const healthy = walk(spec, rollout("blueGreen", 2), [
      ["", obs(0, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2"), [], "paused"],
      ["", obs(1, { r1: ready(2), r2: ready(2) }, { r1: 100 }, "r2"), ["route r2=100"], "progressing", { type: "promote" }],
      ["", obs(2, { r1: ready(2), r2: ready(2) }, { r2: 100 }), ["complete healthy"], "healthy"],
    ]);
    assert.match(planBlueGreen(spec, healthy, obs(3, { r1: ready(2), r2: ready(2) }, { r2: 100 }), { type: "abort" }).state.message ?? "", /undo goes back/);

    const undo = planRollback(healthy, obs(3, { r1: ready(2), r2: ready(2) }, { r2: 100 }), { rolloutId: "ro-2", nowMs: at(3) });
    assert.equal(undo.kind, "rollout");
    if (undo.kind !== "rollout") return;
    assert.equal(undo.state.targetRevision, "r1");
    assert.equal(undo.state.stableRevision, "r2");
    assert.deepEqual(undo.state.scaleDownAt, [], "r1 is the target again: no longer due to scale down");
    walk(spec, undo.state, [
      ["r1 is warm and fully available: one switch back", obs(3, { r1: ready(2), r2: ready(2) }, { r2: 100 }), ["route r1=100"], "progressing"],
      ["back on r1; r2 warm for the delay", obs(4, { r1: ready(2), r2: ready(2) }, { r1: 100 }), ["complete healthy"], "healthy"],
    ]);
  });

  it("retry after an abort runs a fresh attempt and keeps the new revision's instances", () => {
    const spec = blueGreenSpec({ autoPromote: true, prePromotionAnalysis: { metrics: ["error-rate"] } });
    let s = walk(spec, rollout("blueGreen", 1), [
      ["", obs(0, { r1: ready(1), r2: ready(1) }, { r1: 100 }), ["route r1=100 preview=r2", "start a1-pre-promotion"]],
      ["", obs(1, { r1: ready(1), r2: ready(1) }, { r1: 100 }, "r2", { "a1-pre-promotion": { status: "failed" } }), ["route r1=100"], "aborted"],
    ]);
    s = walk(spec, s, [["retry", obs(5, { r1: ready(1), r2: ready(1) }, { r1: 100 }, undefined, { "a1-pre-promotion": { status: "failed" } }), ["route r1=100 preview=r2", "start a2-pre-promotion"], "progressing", { type: "retry" }]]);
    assert.deepEqual(s.scaleDownAt, []);
  });

  it("a first deployment goes straight to full traffic", () => {
    walk(blueGreenSpec(), rollout("blueGreen", 2, null, "r1"), [
      ["", obs(0, { r1: [] }, {}), ["scale r1=2"], "progressing"],
      ["", obs(1, { r1: ["R", "N"] }, {}), ["route r1=100"], "progressing"],
      ["", obs(2, { r1: ready(2) }, { r1: 100 }), ["complete healthy"], "healthy"],
    ]);
  });
});

describe("blue-green: golden traces in a simulated world", () => {
  interface Case {
    name: string;
    spec: BlueGreenSpec;
    behaviour?: Behaviour;
    analyses?: Record<string, AnalysisScriptEntry>;
    commands?: TimedCommand[];
    outcome: string;
  }
  const cases: Case[] = [
    { name: "blue-green-manual-promote", spec: blueGreenSpec(), commands: [{ atS: 60, command: { type: "promote" } }], outcome: "healthy" },
    { name: "blue-green-auto-promotion-seconds", spec: blueGreenSpec({ autoPromote: true, autoPromotionSeconds: 30 }), outcome: "healthy" },
    {
      name: "blue-green-analysis-fails",
      spec: blueGreenSpec({ autoPromote: true, prePromotionAnalysis: { metrics: ["error-rate"] } }),
      analyses: { "pre-promotion": { afterMs: 20_000, status: "failed", message: "5xx rate 40%" } },
      outcome: "aborted",
    },
    { name: "blue-green-never-ready", spec: blueGreenSpec({ progressDeadlineSeconds: 120 }), behaviour: {}, outcome: "aborted" },
  ];
  for (const c of cases) {
    const scenario = (crashEvery?: number) => {
      const world = new SimulatedWorld({
        nowMs: T0,
        revisions: [
          { revision: "r1", number: 1, running: 3 },
          { revision: "r2", number: 2, behaviour: c.behaviour ?? { readyAfterMs: 5000 } },
        ],
        weights: { r1: 100 },
        ...(c.analyses ? { analyses: c.analyses } : {}),
      });
      const result = runScenario({
        plan: (s, o, cmd) => planBlueGreen(c.spec, s, o, cmd),
        state: rollout("blueGreen", 3),
        world,
        ...(c.commands ? { commands: c.commands } : {}),
        ...(crashEvery ? { crashEvery } : {}),
      });
      return { result, world };
    };
    it(`${c.name}: matches its golden trace and ends ${c.outcome}`, () => {
      const { result, world } = scenario();
      assert.equal(result.completed?.outcome, c.outcome);
      assertGolden(c.name, [...result.trace, ...finishScaleDown(world, result, T0)]);
      if (c.outcome === "aborted") assert.deepEqual(world.removed.filter((id) => id.startsWith("r1-")), [], "stable untouched");
    });
    it(`${c.name}: ends the same when the controller crashes after persisting a plan`, () => {
      for (const every of [2, 3]) {
        const { result, world } = scenario(every);
        assert.equal(result.completed?.outcome, c.outcome, `crash every ${every}`);
        const serving = c.outcome === "healthy" ? "r2" : "r1";
        assert.equal(world.liveCount(serving), 3);
        assert.deepEqual(world.weights, { [serving]: 100 });
        finishScaleDown(world, result, T0);
        assert.deepEqual(world.liveRevisions(), [serving], `only ${serving} runs once the scale-down is finished`);
        assert.equal(world.preview, undefined);
      }
    });
  }
});
