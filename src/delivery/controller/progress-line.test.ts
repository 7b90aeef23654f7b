import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Observed, RolloutState } from "../types.js";
import { followedLine, progressLine } from "./progress-line.js";

const state = (over: Partial<RolloutState>): RolloutState => ({
  id: "r1",
  service: "api",
  environment: "prod",
  strategy: "canary",
  targetRevision: "api-2",
  desiredReplicas: 1,
  attempt: 1,
  stepIndex: 0,
  userPaused: false,
  promoted: false,
  promoteFull: false,
  aborted: false,
  phase: "progressing",
  startedAtMs: 0,
  lastProgressMs: 0,
  counts: { updated: 1, ready: 0, available: 0, old: 0 },
  analyses: [],
  scaleDownAt: [],
  ...over,
});
const observed: Observed = { nowMs: 0, revisions: [], weights: { "api-2": 100 }, analyses: {} };

describe("progressLine", () => {
  it("calls a canary's first deploy what it is, not step 1 of its steps", () => {
    const line = progressLine(state({}), observed, 4);
    assert.match(line, /first deploy/);
    assert.doesNotMatch(line, /step 1\/4/);
    // Settled, stable is the target and no step was taken: no step to show either.
    assert.doesNotMatch(progressLine(state({ stableRevision: "api-2", phase: "healthy" }), observed, 4), /step/);
  });

  it("counts canary steps once there is a stable revision", () => {
    assert.match(progressLine(state({ stableRevision: "api-1", stepIndex: 1 }), { ...observed, weights: { "api-1": 90, "api-2": 10 } }, 4), /step 2\/4 · traffic api-1 90%, api-2 10%/);
  });
});

describe("followedLine", () => {
  it("shows a followed canary's step, analyses and message from the store, without the runtime's traffic and ready parts", () => {
    const line = followedLine(
      state({ stableRevision: "api-1", stepIndex: 1, message: "rolling out api-2 over api-1", analyses: [{ key: "a1-step-1", status: "running", measurements: { successful: 2, failed: 0 } } as RolloutState["analyses"][number]] }),
      4,
    );
    assert.equal(line, "progressing · step 2/4 · analysis a1-step-1 running (2 ok, 0 failed) · rolling out api-2 over api-1");
  });
});
