import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { patchCell, type ProgressEvent } from "./live.js";
import { buildOverview, parseTraffic, promotionOrder, type StatusRow } from "./overview.js";
import { timeline } from "./steps.js";

const row = (environment: string, service: string, version: string, digest: string, extra: Partial<StatusRow> = {}): StatusRow => ({ environment, service, version, digest, ...extra });

describe("promotionOrder", () => {
  it("keeps the declared order when no environment names its source", () => {
    assert.deepEqual(promotionOrder([{ name: "dev" }, { name: "test" }, { name: "prod" }]).map((e) => [e.name, e.promotedFrom]), [["dev", undefined], ["test", "dev"], ["prod", "test"]]);
  });
  it("puts each environment after the one it is promoted from", () => {
    const order = promotionOrder([{ name: "dev" }, { name: "prod", promotedFrom: "staging" }, { name: "staging", promotedFrom: "dev" }]);
    assert.deepEqual(order.map((e) => e.name), ["dev", "staging", "prod"]);
  });
  it("still shows every environment of a cycle (validate refuses one)", () => {
    assert.deepEqual(promotionOrder([{ name: "a", promotedFrom: "b" }, { name: "b", promotedFrom: "a" }]).map((e) => e.name), ["a", "b"]);
  });
  it("keeps an environment whose source is unknown, as a root", () => {
    assert.deepEqual(promotionOrder([{ name: "a", promotedFrom: "nowhere" }, { name: "b", promotedFrom: "a" }]).map((e) => e.name), ["a", "b"]);
  });
});

describe("buildOverview", () => {
  const envs = [{ name: "dev" }, { name: "test" }, { name: "prod" }];
  it("marks a cell that serves another digest than the environment before it", () => {
    const model = buildOverview(envs, ["api"], [row("dev", "api", "1.2.0", "sha256:bbb"), row("test", "api", "1.1.0", "sha256:aaa"), row("prod", "api", "1.1.0", "sha256:aaa")]);
    assert.deepEqual(model.environments, ["dev", "test", "prod"]);
    assert.deepEqual(model.cells["api"]?.["test"]?.lagsBehind, { environment: "dev", serves: "1.2.0" });
    assert.equal(model.cells["api"]?.["prod"]?.lagsBehind, undefined);
    assert.equal(model.cells["api"]?.["dev"]?.lagsBehind, undefined);
  });
  it("says a service not deployed yet lags a deployed source, and not an undeployed one", () => {
    const model = buildOverview(envs, ["api"], [row("dev", "api", "1.0.0", "sha256:aaa"), row("test", "api", "not deployed", ""), row("prod", "api", "not deployed", "")]);
    assert.equal(model.cells["api"]?.["test"]?.lagsBehind?.serves, "1.0.0");
    const byDigest = buildOverview(envs, ["api"], [row("dev", "api", "-", "sha256:0123456789abcdef"), row("test", "api", "not deployed", "")]);
    assert.equal(byDigest.cells["api"]?.["test"]?.lagsBehind?.serves, "0123456789ab");
    assert.equal(model.cells["api"]?.["prod"]?.lagsBehind, undefined);
  });
  it("puts the serving version's share first, however the status lists them", () => {
    const model = buildOverview(envs, ["api"], [row("dev", "api", "1.0.0", "sha256:aaa", { traffic: "1.1.0 20%, 1.0.0 80%" })]);
    assert.deepEqual(model.cells["api"]?.["dev"]?.traffic, [{ label: "1.0.0", percent: 80 }, { label: "1.1.0", percent: 20 }]);
  });
  it("parses the traffic split", () => {
    assert.deepEqual(parseTraffic("1.0.0 90%, 1.1.0 10%"), [{ label: "1.0.0", percent: 90 }, { label: "1.1.0", percent: 10 }]);
    assert.deepEqual(parseTraffic("router not running"), []);
    assert.deepEqual(parseTraffic(undefined), []);
  });
});

describe("patchCell", () => {
  it("shows an event's weights, readiness and phase at once", () => {
    const event: ProgressEvent = {
      type: "rollout.progress",
      service: "api",
      environment: "test",
      rolloutId: "r1",
      state: { phase: "paused", userPaused: false, targetRevision: "api-2", desiredReplicas: 2 },
      observed: {
        weights: { "api-2": 25, "api-1": 75, "api-0": 0 },
        revisions: [
          { revision: "api-1", image: "reg/api@sha256:1111111111111111", instances: [{ ready: true, phase: "running" }] },
          { revision: "api-2", image: "reg/api@sha256:2222222222222222", instances: [{ ready: true, phase: "running" }, { ready: false, phase: "running" }] },
        ],
      },
    };
    const cell = patchCell({ traffic: [], status: row("test", "api", "1.0.0", "sha256:111111111111") }, event, new Map([["api-2", "1.1.0"]]));
    assert.deepEqual(cell.traffic, [{ label: "sha256:111111111111", percent: 75 }, { label: "1.1.0", percent: 25 }]);
    assert.equal(cell.status?.ready, "1/2");
    assert.equal(cell.status?.rollout, "paused");
    assert.equal(cell.status?.version, "1.0.0");
  });
});

describe("timeline", () => {
  const canary = { canary: { steps: [{ setWeight: 20 }, { pause: {} }, { analysis: { metrics: ["error-rate"] } }, { pause: { duration: 30 } }] } };
  it("lists a canary's steps and marks the one it is at", () => {
    const steps = timeline({ strategy: canary, state: { stepIndex: 1, phase: "paused", promoted: false }, finished: false });
    assert.deepEqual(steps, [
      { label: "Set weight 20%", state: "done" },
      { label: "Pause until promoted", state: "current" },
      { label: "Analysis: error-rate", state: "next" },
      { label: "Pause 30 s", state: "next" },
      { label: "Full rollout", state: "next" },
    ]);
  });
  it("marks every step done when the rollout finished healthy, and keeps an aborted one where it stopped", () => {
    assert.ok(timeline({ strategy: canary, state: { stepIndex: 4, phase: "healthy", promoted: false }, finished: true }).every((s) => s.state === "done"));
    assert.equal(timeline({ strategy: canary, state: { stepIndex: 1, phase: "aborted", promoted: false }, finished: true })[1]?.state, "current");
  });
  it("shows blue-green as preview, promote, switch", () => {
    assert.deepEqual(timeline({ strategy: { blueGreen: {} }, state: { stepIndex: 0, phase: "paused", promoted: false }, finished: false }).map((s) => s.state), ["done", "current", "next"]);
  });
});
