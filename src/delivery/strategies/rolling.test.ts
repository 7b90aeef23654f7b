import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Command, Observed, RollingSpec, RolloutState } from "../types.js";
import { planRollback } from "./rollback.js";
import { planRolling } from "./rolling.js";
import { startRollout } from "./start.js";
import { assertGolden } from "./testing/golden.js";
import { type InstanceShorthand, notReady, observed, planned, ready, rollingSpec, rollout, scaleDown, T0 } from "./testing/fixtures.js";
import { finishScaleDown, runScenario, type TimedCommand } from "./testing/run-scenario.js";
import { type Behaviour, SimulatedWorld } from "./testing/simulated-world.js";

type Row = [label: string, world: Observed, actions: string[], phase?: RolloutState["phase"], command?: Command];

/** Plans each row in turn with the state the previous one left, as the controller would. */
function walk(spec: RollingSpec, state: RolloutState, rows: Row[]): RolloutState {
  let s = state;
  for (const [label, world, actions, phase, command] of rows) {
    const result = planned(planRolling(spec, s, world, command));
    assert.deepEqual(result.actions, actions, label);
    if (phase !== undefined) assert.equal(result.state.phase, phase, label);
    s = result.state;
  }
  return s;
}

const at = (s: number) => T0 + s * 1000;
const obs = (s: number, revisions: Record<string, InstanceShorthand[]>, weights: Record<string, number>) => observed(at(s), revisions, weights);

describe("rolling: 4 replicas, maxSurge 25%, maxUnavailable 0 (surge 1, unavailable 0)", () => {
  const spec = rollingSpec({ maxSurge: "25%", maxUnavailable: 0 });
  it("adds one, then removes one old once the new one is available, and never has fewer than 4 available", () => {
    const end = walk(spec, rollout("rolling", 4), [
      ["start: surge one", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=1"], "progressing"],
      ["new one not ready: nothing may go", obs(1, { r1: ready(4), r2: notReady(1) }, { r1: 100 }), []],
      ["new one available: route by ready instances, then drop an old one", obs(2, { r1: ready(4), r2: ready(1) }, { r1: 100 }), ["route r1=75 r2=25", "scale r1=3"]],
      ["room to surge again", obs(3, { r1: ready(3), r2: ready(1) }, { r1: 75, r2: 25 }), ["scale r2=2"]],
      ["second available", obs(4, { r1: ready(3), r2: ready(2) }, { r1: 75, r2: 25 }), ["route r1=50 r2=50", "scale r1=2"]],
      ["third", obs(5, { r1: ready(2), r2: ready(2) }, { r1: 50, r2: 50 }), ["scale r2=3"]],
      ["third available", obs(6, { r1: ready(2), r2: ready(3) }, { r1: 50, r2: 50 }), ["route r1=25 r2=75", "scale r1=1"]],
      ["fourth", obs(7, { r1: ready(1), r2: ready(3) }, { r1: 25, r2: 75 }), ["scale r2=4"]],
      ["weight leaves r1 before its last instance does", obs(8, { r1: ready(1), r2: ready(4) }, { r1: 25, r2: 75 }), ["route r2=100", "scale r1=0"]],
      ["complete", obs(9, { r1: [], r2: ready(4) }, { r2: 100 }), ["complete healthy"], "healthy"],
    ]);
    assert.equal(end.stableRevision, "r2");
  });
});

describe("rolling: 4 replicas, maxSurge 1, maxUnavailable 1", () => {
  const spec = rollingSpec({ maxSurge: 1, maxUnavailable: 1 });
  it("surges one and drops one old before the new one is ready, as Kubernetes does", () => {
    walk(spec, rollout("rolling", 4), [
      ["surge first (one scaling decision per plan)", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=1"]],
      ["then one old may go: 3 stay available", obs(1, { r1: ready(4), r2: notReady(1) }, { r1: 100 }), ["scale r1=3"]],
      ["room for another new one", obs(2, { r1: ready(3), r2: notReady(1) }, { r1: 100 }), ["scale r2=2"]],
      ["two unavailable new ones block scale-down", obs(3, { r1: ready(3), r2: notReady(2) }, { r1: 100 }), []],
      ["both ready: two old may go", obs(4, { r1: ready(3), r2: ready(2) }, { r1: 100 }), ["route r1=33 r2=67", "scale r1=1"]],
      ["two more new", obs(5, { r1: ready(1), r2: ready(2) }, { r1: 33, r2: 67 }), ["scale r2=4"]],
      ["new ones not ready: the old one stays (3 available needed)", obs(6, { r1: ready(1), r2: ["R", "R", "N", "N"] }, { r1: 33, r2: 67 }), []],
      ["one more ready: the last old one goes", obs(7, { r1: ready(1), r2: ["R", "R", "R", "N"] }, { r1: 33, r2: 67 }), ["route r2=100", "scale r1=0"]],
      ["not complete until every instance is available", obs(8, { r1: [], r2: ["R", "R", "R", "N"] }, { r2: 100 }), [], "progressing"],
      ["complete", obs(9, { r1: [], r2: ready(4) }, { r2: 100 }), ["complete healthy"], "healthy"],
    ]);
  });
});

describe("rolling: minReadySeconds", () => {
  const spec = rollingSpec({ maxSurge: 1, maxUnavailable: 0, minReadySeconds: 10 });
  it("counts an instance available only minReadySeconds after it turned ready, and plans again then", () => {
    const base = rollout("rolling", 2);
    let s = walk(spec, base, [["surge", obs(0, { r1: ready(2), r2: [] }, { r1: 100 }), ["scale r2=1"]]]);
    const readyAt = at(5);
    const readyNotAvailable = observed(at(6), { r1: ready(2), r2: [{ readySinceMs: readyAt }] }, { r1: 100 });
    const waiting = planned(planRolling(spec, s, readyNotAvailable));
    assert.deepEqual(waiting.actions, ["route r1=67 r2=33"], "ready instances take traffic at once, like a Service's endpoints");
    assert.equal(waiting.wait?.untilMs, readyAt + 10_000, "the controller is woken when it becomes available");
    s = waiting.state;
    const available = planned(planRolling(spec, s, observed(readyAt + 10_000, { r1: ready(2), r2: [{ readySinceMs: readyAt }] }, { r1: 67, r2: 33 })));
    assert.deepEqual(available.actions, ["route r1=50 r2=50", "scale r1=1"]);
  });
});

describe("rolling: the progress deadline", () => {
  it("rolls back to the stable revision, which maxUnavailable 0 never touched", () => {
    const spec = rollingSpec({ maxSurge: "25%", maxUnavailable: 0, progressDeadlineSeconds: 60 });
    const s = walk(spec, rollout("rolling", 4), [
      ["surge", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=1"]],
      ["never ready", obs(30, { r1: ready(4), r2: notReady(1) }, { r1: 100 }), [], "progressing"],
      ["deadline: abort, and the unavailable new instance goes", obs(60, { r1: ready(4), r2: notReady(1) }, { r1: 100 }), ["scale r2=0"], "aborted"],
      ["settled on stable", obs(61, { r1: ready(4), r2: [] }, { r1: 100 }), ["complete aborted"], "aborted"],
    ]);
    assert.match(s.abortReason ?? "", /^progress deadline exceeded: no progress for 60s while 0 of 4 instances of r2 available/);
    assert.equal(s.stableRevision, "r1");
  });

  it("with maxUnavailable 25%, restores the stable instances Kubernetes' arithmetic let go", () => {
    const spec = rollingSpec({ progressDeadlineSeconds: 60 });
    walk(spec, rollout("rolling", 4), [
      ["surge", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=1"]],
      ["one old goes (3 stay available)", obs(1, { r1: ready(4), r2: notReady(1) }, { r1: 100 }), ["scale r1=3"]],
      ["another new", obs(2, { r1: ready(3), r2: notReady(1) }, { r1: 100 }), ["scale r2=2"]],
      ["deadline counts from the last progress", obs(61, { r1: ready(3), r2: notReady(2) }, { r1: 100 }), []],
      ["deadline: roll back, unavailable ones first", obs(62, { r1: ready(3), r2: notReady(2) }, { r1: 100 }), ["scale r2=0"], "aborted"],
      ["stable back to 4", obs(63, { r1: ready(3), r2: [] }, { r1: 100 }), ["scale r1=4"], "aborted"],
      ["settled", obs(64, { r1: ready(4), r2: [] }, { r1: 100 }), ["complete aborted"], "aborted"],
    ]);
  });

  it("leaves a first deployment that never becomes ready degraded: there is nothing to go back to", () => {
    const spec = rollingSpec({ progressDeadlineSeconds: 60 });
    const s = walk(spec, rollout("rolling", 2, null, "r1"), [
      ["first deployment at full size at once", obs(0, { r1: [] }, {}), ["scale r1=2"]],
      ["deadline", obs(60, { r1: notReady(2) }, {}), ["complete degraded"], "degraded"],
    ]);
    assert.match(s.message ?? "", /no stable revision to go back to/);
  });

  it("does not run while paused, and starts again on resume", () => {
    const spec = rollingSpec({ progressDeadlineSeconds: 60 });
    walk(spec, rollout("rolling", 4), [
      ["surge", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=1"]],
      ["paused: nothing moves", obs(10, { r1: ready(4), r2: notReady(1) }, { r1: 100 }), [], "paused", { type: "pause" }],
      ["still paused long after the deadline would have passed", obs(500, { r1: ready(4), r2: ready(1) }, { r1: 100 }), [], "paused"],
      ["resume: the rollout goes on", obs(501, { r1: ready(4), r2: ready(1) }, { r1: 100 }), ["route r1=67 r2=33", "scale r1=2"], "progressing", { type: "resume" }],
    ]);
  });
});

describe("rolling: commands", () => {
  const spec = rollingSpec({ maxSurge: 1, maxUnavailable: 0 });
  it("abort rolls back to stable; retry rolls forward again", () => {
    let s = walk(spec, rollout("rolling", 2), [
      ["surge", obs(0, { r1: ready(2), r2: [] }, { r1: 100 }), ["scale r2=1"]],
      ["halfway", obs(1, { r1: ready(2), r2: ready(1) }, { r1: 100 }), ["route r1=50 r2=50", "scale r1=1"]],
      ["abort: the stable revision is the target now; surge it back", obs(2, { r1: ready(1), r2: ready(1) }, { r1: 50, r2: 50 }), ["scale r1=2"], "aborted", { type: "abort" }],
      ["then r2 leaves routing and goes", obs(3, { r1: ready(2), r2: ready(1) }, { r1: 50, r2: 50 }), ["route r1=100", "scale r2=0"], "aborted"],
      ["settled", obs(4, { r1: ready(2), r2: [] }, { r1: 100 }), ["complete aborted"], "aborted"],
    ]);
    assert.equal(s.abortReason, "aborted by slipway rollout abort");
    s = walk(spec, s, [["retry", obs(5, { r1: ready(2), r2: [] }, { r1: 100 }), ["scale r2=1"], "progressing", { type: "retry" }]]);
    assert.equal(s.attempt, 2);
  });

  it("says why promote, a second abort or an early retry have no effect", () => {
    const s = rollout("rolling", 2);
    const world = obs(0, { r1: ready(2), r2: [] }, { r1: 100 });
    assert.match(planRolling(spec, s, world, { type: "promote" }).state.message ?? "", /no effect on a rolling update/);
    assert.match(planRolling(spec, s, world, { type: "retry" }).state.message ?? "", /retry has no effect/);
    const first = rollout("rolling", 2, null, "r1");
    assert.match(planRolling(spec, first, obs(0, { r1: [] }, {}), { type: "abort" }).state.message ?? "", /first deployment/);
  });
});

describe("rolling: revisionHistoryLimit", () => {
  it("forgets the oldest revisions without instances beyond the limit, when the rollout completes", () => {
    const spec = rollingSpec({ revisionHistoryLimit: 2 });
    const s = rollout("rolling", 1, "r4", "r5");
    const world = observed(at(0), { r1: [], r2: [], r3: [], r4: [], r5: ready(1) }, { r5: 100 });
    assert.deepEqual(planned(planRolling(spec, s, world)).actions, ["forget r1,r2", "complete healthy"]);
  });
});

describe("rolling: scaleDownDelaySeconds keeps the previous revision for a rollback", () => {
  const spec = rollingSpec({ maxSurge: "25%", maxUnavailable: 0, scaleDownDelaySeconds: 30 });
  const finished = (): RolloutState =>
    walk(spec, rollout("rolling", 4), [
      ["start: surge one", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=1"], "progressing"],
      ["new one available: traffic by the arithmetic's counts, the old instance stays", obs(2, { r1: ready(4), r2: ready(1) }, { r1: 100 }), ["route r1=75 r2=25"]],
      ["surge counts serving instances only", obs(3, { r1: ready(4), r2: ready(1) }, { r1: 75, r2: 25 }), ["scale r2=2"]],
      ["", obs(4, { r1: ready(4), r2: ready(2) }, { r1: 75, r2: 25 }), ["route r1=50 r2=50"]],
      ["", obs(5, { r1: ready(4), r2: ready(2) }, { r1: 50, r2: 50 }), ["scale r2=3"]],
      ["", obs(6, { r1: ready(4), r2: ready(3) }, { r1: 50, r2: 50 }), ["route r1=25 r2=75"]],
      ["", obs(7, { r1: ready(4), r2: ready(3) }, { r1: 25, r2: 75 }), ["scale r2=4"]],
      ["all of r2 available: all traffic to it, r1 keeps its 4 instances", obs(8, { r1: ready(4), r2: ready(4) }, { r1: 25, r2: 75 }), ["route r2=100"]],
      ["traffic settled: the rollout ends, r1 warm until 38 s", obs(9, { r1: ready(4), r2: ready(4) }, { r2: 100 }), ["complete healthy"], "healthy"],
    ]);

  it("moves traffic as Kubernetes would, keeps the old instances out of the split, and ends when traffic is settled", () => {
    const s = finished();
    assert.deepEqual(s.scaleDownAt, [{ revision: "r1", atMs: at(39) }]);
    assert.match(s.message ?? "", /r1 kept for a rollback for 30s/);
    assert.deepEqual(scaleDown(s, "healthy", obs(38, { r1: ready(4), r2: ready(4) }, { r2: 100 })), { actions: [], nextAtMs: at(39) });
    assert.deepEqual(scaleDown(s, "healthy", obs(39, { r1: ready(4), r2: ready(4) }, { r2: 100 })), { actions: ["scale r1=0"] });
  });

  it("a rollback inside the window is one weight flip", () => {
    const undo = planRollback(finished(), obs(20, { r1: ready(4), r2: ready(4) }, { r2: 100 }), { rolloutId: "ro-2", nowMs: at(20) });
    assert.equal(undo.kind, "rollout");
    if (undo.kind !== "rollout") return;
    const back = walk(spec, undo.state, [
      ["r1 is warm: all traffic back to it in the first plan, nothing created", obs(20, { r1: ready(4), r2: ready(4) }, { r2: 100 }), ["route r1=100"], "progressing"],
      ["settled: r2 warm in turn", obs(20.1, { r1: ready(4), r2: ready(4) }, { r1: 100 }), ["complete healthy"], "healthy"],
    ]);
    assert.deepEqual(back.scaleDownAt, [{ revision: "r2", atMs: at(50.1) }]);
  });

  it("after the window a rollback re-creates the old instances", () => {
    const undo = planRollback(finished(), obs(40, { r1: [], r2: ready(4) }, { r2: 100 }), { rolloutId: "ro-2", nowMs: at(40) });
    assert.equal(undo.kind, "rollout");
    if (undo.kind !== "rollout") return;
    walk(spec, undo.state, [["r1 has no instance left: a rolling update back", obs(40, { r1: [], r2: ready(4) }, { r2: 100 }), ["scale r1=1"], "progressing"]]);
  });

  it("abort sends the traffic back at once and keeps the new revision for the delay", () => {
    const s = walk(spec, rollout("rolling", 2), [
      ["", obs(0, { r1: ready(2), r2: [] }, { r1: 100 }), ["scale r2=1"]],
      ["", obs(1, { r1: ready(2), r2: ready(1) }, { r1: 100 }), ["route r1=50 r2=50"]],
      ["abort: r1 never lost an instance", obs(2, { r1: ready(2), r2: ready(1) }, { r1: 50, r2: 50 }), ["route r1=100"], "aborted", { type: "abort" }],
      ["", obs(3, { r1: ready(2), r2: ready(1) }, { r1: 100 }), ["complete aborted"], "aborted"],
    ]);
    assert.deepEqual(s.scaleDownAt, [{ revision: "r2", atMs: at(33) }]);
  });

  it("a revision kept warm by the previous rollout serves nothing in the next one and goes when due", () => {
    const next = startRollout({ id: "ro-3", service: "web", environment: "prod", strategy: "rolling", targetRevision: "r3", desiredReplicas: 1, nowMs: at(10), previous: { ...rollout("rolling", 1), stableRevision: "r2", scaleDownAt: [{ revision: "r1", atMs: at(30) }] } });
    walk(spec, next, [
      ["r1 warm: no weight, kept", obs(10, { r1: ready(1), r2: ready(1), r3: [] }, { r2: 100 }), ["scale r3=1"]],
      ["r3 available: traffic moves from r2 only", obs(11, { r1: ready(1), r2: ready(1), r3: ready(1) }, { r2: 100 }), ["route r3=100"]],
      ["r1's time has come during the rollout: it goes", obs(30, { r1: ready(1), r2: ready(1), r3: ready(1) }, { r3: 100 }), ["scale r1=0"]],
    ]);
  });
});

describe("rolling: golden traces in a simulated world", () => {
  interface Case {
    name: string;
    spec: RollingSpec;
    replicas: number;
    behaviour?: Behaviour;
    commands?: TimedCommand[];
    outcome: string;
  }
  const cases: Case[] = [
    { name: "rolling-4-surge25-unavailable0", spec: rollingSpec({ maxUnavailable: 0 }), replicas: 4, outcome: "healthy" },
    { name: "rolling-4-surge1-unavailable1", spec: rollingSpec({ maxSurge: 1, maxUnavailable: 1 }), replicas: 4, outcome: "healthy" },
    { name: "rolling-10-defaults", spec: rollingSpec(), replicas: 10, outcome: "healthy" },
    { name: "rolling-3-min-ready-10s", spec: rollingSpec({ minReadySeconds: 10 }), replicas: 3, outcome: "healthy" },
    { name: "rolling-4-scale-down-delay-30", spec: rollingSpec({ scaleDownDelaySeconds: 30 }), replicas: 4, outcome: "healthy" },
    { name: "rolling-abort-scale-down-delay-30", spec: rollingSpec({ maxUnavailable: 0, scaleDownDelaySeconds: 30 }), replicas: 3, commands: [{ atS: 6, command: { type: "abort" } }], outcome: "aborted" },
    { name: "rolling-never-ready", spec: rollingSpec({ maxUnavailable: 0, progressDeadlineSeconds: 120 }), replicas: 4, behaviour: {}, outcome: "aborted" },
    { name: "rolling-crash-looping", spec: rollingSpec({ progressDeadlineSeconds: 10 }), replicas: 4, behaviour: { readyAfterMs: 2000, exitsAfterMs: 4000 }, outcome: "aborted" },
    {
      name: "rolling-abort-and-retry",
      spec: rollingSpec({ maxSurge: 1, maxUnavailable: 0 }),
      replicas: 3,
      commands: [
        { atS: 12, command: { type: "abort" } },
        { atS: 60, command: { type: "retry" } },
      ],
      outcome: "healthy",
    },
  ];
  for (const c of cases) {
    const scenario = (crashEvery?: number) => {
      const world = new SimulatedWorld({
        nowMs: T0,
        revisions: [
          { revision: "r1", number: 1, running: c.replicas },
          { revision: "r2", number: 2, behaviour: c.behaviour ?? { readyAfterMs: 5000 } },
        ],
        weights: { r1: 100 },
      });
      const result = runScenario({ plan: (s, o, cmd) => planRolling(c.spec, s, o, cmd), state: rollout("rolling", c.replicas), world, ...(c.commands ? { commands: c.commands } : {}), ...(crashEvery ? { crashEvery } : {}) });
      return { result, world };
    };
    it(`${c.name}: matches its golden trace and ends ${c.outcome}`, () => {
      const { result, world } = scenario();
      assert.equal(result.completed?.outcome, c.outcome);
      assertGolden(c.name, [...result.trace, ...finishScaleDown(world, result, T0)]);
      if (c.outcome === "aborted" && c.spec.maxUnavailable === 0) {
        assert.equal(world.removed.filter((id) => id.startsWith("r1-")).length, 0, "stable untouched");
      }
    });
    it(`${c.name}: ends the same when the controller crashes after persisting a plan`, () => {
      for (const every of [2, 3]) {
        const { result, world } = scenario(every);
        assert.equal(result.completed?.outcome, c.outcome, `crash every ${every}`);
        const serving = c.outcome === "healthy" ? "r2" : "r1";
        assert.equal(world.liveCount(serving), c.replicas);
        assert.deepEqual(world.weights, { [serving]: 100 });
        finishScaleDown(world, result, T0);
        assert.deepEqual(world.liveRevisions(), [serving], `only ${serving} runs once the scale-down is finished`);
      }
    });
  }
});
