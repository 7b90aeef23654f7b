import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AnalysisObservation, CanarySpec, Command, Observed, Plan, RolloutState } from "../types.js";
import { planCanary } from "./canary.js";
import { readyCount } from "./observation.js";
import { canaryReplicas } from "./resolve.js";
import { assertGolden } from "./testing/golden.js";
import { canarySpec, type InstanceShorthand, notReady, observed, planned, ready, rollout, scaleDown, T0 } from "./testing/fixtures.js";
import { finishScaleDown, runScenario, type TimedCommand } from "./testing/run-scenario.js";
import { type AnalysisScriptEntry, type Behaviour, SimulatedWorld } from "./testing/simulated-world.js";

type Row = [label: string, world: Observed, actions: string[], phase?: RolloutState["phase"], command?: Command];

function walk(spec: CanarySpec, state: RolloutState, rows: Row[]): RolloutState {
  let s = state;
  for (const [label, world, actions, phase, command] of rows) {
    const result = planned(planCanary(spec, s, world, command));
    assert.deepEqual(result.actions, actions, label);
    if (phase !== undefined) assert.equal(result.state.phase, phase, label);
    s = result.state;
  }
  return s;
}

const at = (s: number) => T0 + s * 1000;
const obs = (s: number, revisions: Record<string, InstanceShorthand[]>, weights: Record<string, number>, analyses: Record<string, AnalysisObservation> = {}) =>
  observed(at(s), revisions, weights, { analyses });

describe("canary: setWeight, pause, promotion (4 replicas: 20% → pause → 50% → pause 60s)", () => {
  it("scales the canary before raising its weight, keeps stable at full size, promotes, then scales the old stable down", () => {
    const s = walk(canarySpec(), rollout("canary", 4), [
      ["20% needs ceil(4 × 0.2) = 1 canary instance first", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=1"], "progressing"],
      ["not ready: no weight yet", obs(1, { r1: ready(4), r2: notReady(1) }, { r1: 100 }), []],
      ["ready: 20%", obs(2, { r1: ready(4), r2: ready(1) }, { r1: 100 }), ["route r1=80 r2=20"]],
      ["the router shows 20%: on to the pause until promote", obs(3, { r1: ready(4), r2: ready(1) }, { r1: 80, r2: 20 }), [], "paused"],
      ["still paused", obs(600, { r1: ready(4), r2: ready(1) }, { r1: 80, r2: 20 }), [], "paused"],
      ["promote: 50% needs 2 instances; the weight stays at 20% meanwhile", obs(601, { r1: ready(4), r2: ready(1) }, { r1: 80, r2: 20 }), ["scale r2=2"], "progressing", { type: "promote" }],
      ["second instance not ready", obs(602, { r1: ready(4), r2: ["R", "N"] }, { r1: 80, r2: 20 }), []],
      ["ready: 50%", obs(603, { r1: ready(4), r2: ready(2) }, { r1: 80, r2: 20 }), ["route r1=50 r2=50"]],
      ["timed pause of 60s starts", obs(604, { r1: ready(4), r2: ready(2) }, { r1: 50, r2: 50 }), [], "paused"],
      ["59s later: still paused", obs(663, { r1: ready(4), r2: ready(2) }, { r1: 50, r2: 50 }), [], "paused"],
      ["steps done: the canary goes to full size, weight unchanged", obs(664, { r1: ready(4), r2: ready(2) }, { r1: 50, r2: 50 }), ["scale r2=4"], "progressing"],
      ["fully available: 100% to the canary", obs(665, { r1: ready(4), r2: ready(4) }, { r1: 50, r2: 50 }), ["route r2=100"], "progressing"],
      ["the router shows 100%: promoted and settled; the old stable stays for scaleDownDelaySeconds", obs(666, { r1: ready(4), r2: ready(4) }, { r2: 100 }), ["complete healthy"], "healthy"],
    ]);
    assert.equal(s.stableRevision, "r2");
    assert.deepEqual(scaleDown(s, "healthy", obs(695, { r1: ready(4), r2: ready(4) }, { r2: 100 })), { actions: [], nextAtMs: at(696) });
    assert.deepEqual(scaleDown(s, "healthy", obs(696, { r1: ready(4), r2: ready(4) }, { r2: 100 })), { actions: ["scale r1=0"] }, "delay over");
  });

  it("says when the timed pause ends, so the controller plans again then", () => {
    const spec = canarySpec({ steps: [{ setWeight: 10 }, { pause: { duration: 45 } }] });
    const s = walk(spec, rollout("canary", 2), [["", obs(0, { r1: ready(2), r2: ready(1) }, { r1: 90, r2: 10 }), [], "paused"]]);
    assert.deepEqual(s.pause, { kind: "timed", untilMs: at(45), reason: "step 2 of 2: pause 45s" });
    assert.equal(planned(planCanary(spec, s, obs(1, { r1: ready(2), r2: ready(1) }, { r1: 90, r2: 10 }))).wait?.untilMs, at(45));
  });

  it("a pause of 0s does not stop", () => {
    const spec = canarySpec({ steps: [{ setWeight: 10 }, { pause: { duration: 0 } }, { setWeight: 30 }] });
    walk(spec, rollout("canary", 1), [["", obs(0, { r1: ready(1), r2: ready(1) }, { r1: 90, r2: 10 }), ["route r1=70 r2=30"], "progressing"]]);
  });

  it("lowers a weight before it removes canary instances", () => {
    const spec = canarySpec({ steps: [{ setWeight: 50 }, { setWeight: 10 }, { pause: {} }] });
    walk(spec, rollout("canary", 4), [["", obs(0, { r1: ready(4), r2: ready(2) }, { r1: 50, r2: 50 }), ["route r1=90 r2=10", "scale r2=1"], "progressing"]]);
  });

  it("promote --full skips the remaining steps", () => {
    walk(canarySpec(), rollout("canary", 4), [
      ["", obs(0, { r1: ready(4), r2: ready(1) }, { r1: 80, r2: 20 }), [], "paused"],
      ["", obs(1, { r1: ready(4), r2: ready(1) }, { r1: 80, r2: 20 }), ["scale r2=4"], "progressing", { type: "promoteFull" }],
      ["", obs(2, { r1: ready(4), r2: ready(4) }, { r1: 80, r2: 20 }), ["route r2=100"], "progressing"],
    ]);
  });

  it("pause holds everything until resume; promote does not lift it", () => {
    walk(canarySpec(), rollout("canary", 4), [
      ["", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), [], "paused", { type: "pause" }],
      ["", obs(1, { r1: ready(4), r2: [] }, { r1: 100 }), [], "paused", { type: "promote" }],
      ["", obs(2, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=1"], "progressing", { type: "resume" }],
    ]);
  });
});

describe("canary: analysis", () => {
  const spec = canarySpec({ steps: [{ setWeight: 25 }, { analysis: { metrics: ["error-rate"] } }, { setWeight: 50 }], analysis: { metrics: ["latency"] } });
  const atAnalysisStep = () =>
    walk(spec, rollout("canary", 4), [
      ["no traffic on the canary yet: nothing to analyse", obs(0, { r1: ready(4), r2: ready(1) }, { r1: 100 }), ["route r1=75 r2=25"]],
      ["25% shows: the background analysis and the step's start", obs(1, { r1: ready(4), r2: ready(1) }, { r1: 75, r2: 25 }), ["start a1-background", "start a1-step-1"], "progressing"],
    ]);

  it("goes on when the step analysis passes", () => {
    walk(spec, atAnalysisStep(), [
      ["", obs(60, { r1: ready(4), r2: ready(1) }, { r1: 75, r2: 25 }, { "a1-background": { status: "running" }, "a1-step-1": { status: "successful" } }), ["scale r2=2"], "progressing"],
    ]);
  });

  it("aborts on a failed analysis: 100% to stable at once, the canary scaled down after the delay", () => {
    const failed = { "a1-background": { status: "running" as const }, "a1-step-1": { status: "failed" as const, message: "5xx rate 30% > 1%" } };
    const s = walk(spec, atAnalysisStep(), [
      ["failed: all traffic back to stable, the background run stopped", obs(30, { r1: ready(4), r2: ready(1) }, { r1: 75, r2: 25 }, failed), ["route r1=100", "stop a1-background"], "aborted"],
      ["traffic settled on stable: the rollout ends, the canary kept for scaleDownDelaySeconds", obs(31, { r1: ready(4), r2: ready(1) }, { r1: 100 }, { "a1-step-1": failed["a1-step-1"] }), ["complete aborted"], "aborted"],
    ]);
    assert.deepEqual(scaleDown(s, "aborted", obs(59, { r1: ready(4), r2: ready(1) }, { r1: 100 })), { actions: [], nextAtMs: at(60) });
    assert.deepEqual(scaleDown(s, "aborted", obs(60, { r1: ready(4), r2: ready(1) }, { r1: 100 })), { actions: ["scale r2=0"] }, "then scaled down");
    assert.equal(s.abortReason, "analysis a1-step-1 failed: 5xx rate 30% > 1%");
    assert.deepEqual(
      s.analyses.map((a) => [a.key, a.status]),
      [
        ["a1-background", "stopped"],
        ["a1-step-1", "failed"],
      ],
    );
  });

  it("a failed background analysis aborts at any step", () => {
    walk(spec, atAnalysisStep(), [["", obs(10, { r1: ready(4), r2: ready(1) }, { r1: 75, r2: 25 }, { "a1-background": { status: "failed" }, "a1-step-1": { status: "running" } }), ["route r1=100", "stop a1-step-1"], "aborted"]]);
  });

  it("an inconclusive result pauses; promote accepts it and goes on", () => {
    const inconclusive = { "a1-background": { status: "running" as const }, "a1-step-1": { status: "inconclusive" as const } };
    walk(spec, atAnalysisStep(), [
      ["", obs(30, { r1: ready(4), r2: ready(1) }, { r1: 75, r2: 25 }, inconclusive), [], "paused"],
      ["", obs(31, { r1: ready(4), r2: ready(1) }, { r1: 75, r2: 25 }, inconclusive), ["scale r2=2"], "progressing", { type: "promote" }],
    ]);
  });

  it("promote skips a running step analysis", () => {
    walk(spec, atAnalysisStep(), [
      ["", obs(5, { r1: ready(4), r2: ready(1) }, { r1: 75, r2: 25 }, { "a1-background": { status: "running" }, "a1-step-1": { status: "running" } }), ["scale r2=2", "stop a1-step-1"], "progressing", { type: "promote" }],
    ]);
  });

  it("retry after an abort starts from the first step with fresh analysis runs, and keeps the canary", () => {
    let s = walk(spec, atAnalysisStep(), [
      ["", obs(30, { r1: ready(4), r2: ready(1) }, { r1: 75, r2: 25 }, { "a1-step-1": { status: "failed" } }), ["route r1=100"], "aborted"],
    ]);
    s = walk(spec, s, [["", obs(40, { r1: ready(4), r2: ready(1) }, { r1: 100 }, { "a1-step-1": { status: "failed" } }), ["route r1=75 r2=25"], "progressing", { type: "retry" }]]);
    assert.equal(s.attempt, 2);
    assert.equal(s.stepIndex, 0);
    assert.deepEqual(s.scaleDownAt, []);
  });
});

describe("canary: progress deadline and first deployments", () => {
  it("a canary that never becomes ready is aborted at the deadline; stable is never touched", () => {
    const spec = canarySpec({ progressDeadlineSeconds: 60 });
    const s = walk(spec, rollout("canary", 4), [
      ["", obs(0, { r1: ready(4), r2: [] }, { r1: 100 }), ["scale r2=1"]],
      ["", obs(59, { r1: ready(4), r2: notReady(1) }, { r1: 100 }), [], "progressing"],
      ["", obs(60, { r1: ready(4), r2: notReady(1) }, { r1: 100 }), ["complete aborted"], "aborted"],
    ]);
    assert.match(s.abortReason ?? "", /^progress deadline exceeded: no progress for 60s while 0 of 1 instances of r2 ready for 20%/);
  });

  it("the deadline does not run during a pause or an analysis", () => {
    const spec = canarySpec({ progressDeadlineSeconds: 60 });
    walk(spec, rollout("canary", 4), [
      ["", obs(0, { r1: ready(4), r2: ready(1) }, { r1: 80, r2: 20 }), [], "paused"],
      ["an hour in a manual pause", obs(3600, { r1: ready(4), r2: ready(1) }, { r1: 80, r2: 20 }), [], "paused"],
    ]);
  });

  it("a first deployment skips the steps", () => {
    walk(canarySpec(), rollout("canary", 2, null, "r1"), [
      ["", obs(0, { r1: [] }, {}), ["scale r1=2"], "progressing"],
      ["", obs(1, { r1: ["R", "N"] }, {}), ["route r1=100"], "progressing"],
      ["", obs(2, { r1: ready(2) }, { r1: 100 }), ["complete healthy"], "healthy"],
    ]);
  });

  it("a superseded canary's weight goes back to stable before its instances go", () => {
    const s = { ...rollout("canary", 4, "r1", "r3") };
    walk(canarySpec(), s, [
      ["", observed(at(0), { r1: ready(4), r2: ready(1), r3: [] }, { r1: 80, r2: 20 }), ["scale r3=1", "route r1=100", "scale r2=0"], "progressing"],
    ]);
  });
});

describe("canary: golden traces in a simulated world", () => {
  interface Case {
    name: string;
    spec: CanarySpec;
    replicas: number;
    behaviour?: Behaviour;
    analyses?: Record<string, AnalysisScriptEntry>;
    commands?: TimedCommand[];
    outcome: string;
  }
  const cases: Case[] = [
    {
      name: "canary-steps-and-promote",
      spec: canarySpec({ steps: [{ setWeight: 5 }, { pause: {} }, { setWeight: 25 }, { pause: { duration: 60 } }, { setWeight: 60 }, { pause: { duration: 30 } }] }),
      replicas: 10,
      commands: [{ atS: 120, command: { type: "promote" } }],
      outcome: "healthy",
    },
    {
      // The e2e requirement: a canary answering 5xx is aborted by analysis on its own, stable gets everything back.
      name: "canary-5xx-aborted-by-analysis",
      spec: canarySpec({ steps: [{ setWeight: 20 }, { pause: { duration: 300 } }, { setWeight: 50 }], analysis: { metrics: ["error-rate"] } }),
      replicas: 5,
      analyses: { background: { afterMs: 30_000, status: "failed", message: "error-rate: failed (1) > failureLimit (0)" } },
      outcome: "aborted",
    },
    {
      name: "canary-analysis-step-passes",
      spec: canarySpec({ steps: [{ setWeight: 10 }, { analysis: { metrics: ["error-rate"] } }, { setWeight: 100 }, { pause: { duration: 10 } }] }),
      replicas: 3,
      analyses: { "step-1": { afterMs: 50_000, status: "successful" } },
      outcome: "healthy",
    },
    { name: "canary-never-ready", spec: canarySpec({ progressDeadlineSeconds: 120 }), replicas: 4, behaviour: {}, outcome: "aborted" },
    {
      name: "canary-abort-then-retry",
      spec: canarySpec({ steps: [{ setWeight: 30 }, { pause: { duration: 60 } }] }),
      replicas: 3,
      commands: [
        { atS: 20, command: { type: "abort", reason: "latency looks off" } },
        { atS: 40, command: { type: "retry" } },
      ],
      outcome: "healthy",
    },
  ];

  /** Weight only ever rises onto a canary with ceil(replicas × weight / 100) ready instances; stable keeps its full size. */
  const checkCanaryRules = (replicas: number) => (world: Observed, plan: Plan) => {
    for (const action of plan.actions) {
      if (action.type === "route") {
        const weight = action.weights["r2"] ?? 0;
        if (weight > (world.weights["r2"] ?? 0)) {
          assert.ok(readyCount(world, "r2") >= canaryReplicas(replicas, weight), `raised r2 to ${weight}% with ${readyCount(world, "r2")} ready`);
        }
      }
      if (action.type === "scale" && action.revision === "r1" && plan.state.stableRevision === "r1") {
        assert.ok(action.replicas >= replicas, `scaled the stable revision to ${action.replicas} before promotion completed`);
      }
    }
  };

  for (const c of cases) {
    const scenario = (crashEvery?: number) => {
      const world = new SimulatedWorld({
        nowMs: T0,
        revisions: [
          { revision: "r1", number: 1, running: c.replicas },
          { revision: "r2", number: 2, behaviour: c.behaviour ?? { readyAfterMs: 5000 } },
        ],
        weights: { r1: 100 },
        ...(c.analyses ? { analyses: c.analyses } : {}),
      });
      const result = runScenario({
        plan: (s, o, cmd) => planCanary(c.spec, s, o, cmd),
        state: rollout("canary", c.replicas),
        world,
        check: checkCanaryRules(c.replicas),
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
        assert.equal(world.liveCount(serving), c.replicas);
        assert.deepEqual(world.weights, { [serving]: 100 });
        finishScaleDown(world, result, T0);
        assert.deepEqual(world.liveRevisions(), [serving], `only ${serving} runs once the scale-down is finished`);
      }
    });
  }
});
