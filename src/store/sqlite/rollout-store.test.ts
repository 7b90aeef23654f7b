import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { RevisionRecord } from "../../delivery/controller/store-port.js";
import { startRollout } from "../../delivery/strategies/start.js";
import type { RolloutState } from "../../delivery/types.js";
import { SlipwayError } from "../../domain/errors.js";
import { SqliteRolloutStore } from "./rollout-store.js";
import { SqliteStore } from "./sqlite-store.js";

function open(): { store: SqliteStore; rollouts: SqliteRolloutStore } {
  const store = SqliteStore.open(":memory:");
  after(() => store.close());
  return { store, rollouts: new SqliteRolloutStore(store.db) };
}

const scope = { system: "shop", environment: "prod", service: "api" };
const strategy = { rolling: { maxSurge: "25%", maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 600, revisionHistoryLimit: 10, scaleDownDelaySeconds: 0 } };

function state(id: string, target = "r-aaaa"): RolloutState {
  return startRollout({ id, service: "api", environment: "prod", strategy: "rolling", targetRevision: target, desiredReplicas: 2, nowMs: 1_000 });
}

function revision(name: string, number: number): RevisionRecord {
  return {
    ...scope,
    name,
    number,
    image: `127.0.0.1:5000/shop/api@sha256:${"a".repeat(64)}`,
    version: "1.0.0",
    template: { port: 8080, env: { A: "1" }, secretEnv: { TOKEN: "API_TOKEN" }, resources: {}, readiness: { tcp: {}, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }, terminationGracePeriodSeconds: 30 },
    createdAt: "2026-01-01T00:00:00.000Z",
  };
}

describe("SqliteRolloutStore", () => {
  it("keeps revisions ordered by number; saving again updates the number; forgetting deletes", () => {
    const { rollouts } = open();
    rollouts.saveRevision(revision("r-bbbb", 2));
    rollouts.saveRevision(revision("r-aaaa", 1));
    assert.deepEqual(rollouts.listRevisions(scope).map((r) => [r.name, r.number]), [["r-aaaa", 1], ["r-bbbb", 2]]);
    rollouts.saveRevision({ ...revision("r-aaaa", 3) });
    assert.deepEqual(rollouts.listRevisions(scope).map((r) => [r.name, r.number]), [["r-bbbb", 2], ["r-aaaa", 3]]);
    assert.deepEqual(rollouts.listRevisions(scope)[0]?.template, revision("r-bbbb", 2).template);
    rollouts.deleteRevisions(scope, ["r-bbbb"]);
    assert.deepEqual(rollouts.listEnvironmentRevisions("shop", "prod").map((r) => r.name), ["r-aaaa"]);
  });

  it("allows one unfinished rollout per service and environment, and names it in the error", () => {
    const { rollouts } = open();
    rollouts.createRollout({ id: "ro-1", system: "shop", state: state("ro-1"), strategy });
    assert.throws(
      () => rollouts.createRollout({ id: "ro-2", system: "shop", state: state("ro-2"), strategy }),
      (err: unknown) => err instanceof SlipwayError && /already has a rollout in progress \(ro-1\)/.test(err.message) && /slipway rollout abort api --env prod/.test(err.hint ?? ""),
    );
    rollouts.finishRollout("ro-1", "healthy");
    rollouts.createRollout({ id: "ro-2", system: "shop", state: state("ro-2"), strategy });
    assert.equal(rollouts.latestRollout(scope)?.id, "ro-2");
    assert.deepEqual(rollouts.unfinishedRollouts("shop").map((r) => r.id), ["ro-2"]);
    assert.deepEqual(rollouts.getRollout("ro-1")?.outcome, "healthy");
    assert.throws(() => rollouts.reopenRollout("ro-1"), /already has a rollout in progress \(ro-2\)/);
  });

  it("a superseding rollout finishes the previous one in the same transaction", () => {
    const { rollouts } = open();
    rollouts.createRollout({ id: "ro-1", system: "shop", state: state("ro-1"), strategy });
    rollouts.createRollout({ id: "ro-2", system: "shop", state: state("ro-2", "r-bbbb"), strategy }, "ro-1");
    assert.equal(rollouts.getRollout("ro-1")?.finished, true);
    assert.equal(rollouts.getRollout("ro-2")?.state.targetRevision, "r-bbbb");
    assert.deepEqual(rollouts.getRollout("ro-2")?.strategy, strategy);
  });

  it("saves the plan's state and consumes the command together; commands come in order", () => {
    const { rollouts } = open();
    rollouts.createRollout({ id: "ro-1", system: "shop", state: state("ro-1"), strategy });
    const first = rollouts.enqueueCommand("ro-1", { type: "pause" });
    rollouts.enqueueCommand("ro-1", { type: "abort", reason: "bad" });
    assert.deepEqual(rollouts.nextCommand("ro-1"), { id: first, rolloutId: "ro-1", command: { type: "pause" } });
    rollouts.saveState("ro-1", { ...state("ro-1"), userPaused: true }, first);
    assert.equal(rollouts.getRollout("ro-1")?.state.userPaused, true);
    assert.deepEqual(rollouts.nextCommand("ro-1")?.command, { type: "abort", reason: "bad" });
  });

  it("keeps analysis measurements per rollout and key", () => {
    const { rollouts } = open();
    rollouts.createRollout({ id: "ro-1", system: "shop", state: state("ro-1"), strategy });
    assert.deepEqual(rollouts.loadMeasurements("ro-1", "a1-background"), []);
    const m = { metric: "error-rate", index: 1, phase: "successful" as const, startedAt: "2026-01-01T00:00:00Z", finishedAt: "2026-01-01T00:00:01Z", value: 0, message: "ok" };
    rollouts.saveMeasurements("ro-1", "a1-background", [m]);
    rollouts.saveMeasurements("ro-1", "a1-background", [m, { ...m, index: 2 }]);
    assert.deepEqual(rollouts.loadMeasurements("ro-1", "a1-background").map((x) => x.index), [1, 2]);
    assert.deepEqual(rollouts.loadMeasurements("ro-1", "a1-step-0"), []);
  });

  it("an aborted rollout marks its target's digest aborted in the environment; a healthy one of that digest clears it", () => {
    const { rollouts } = open();
    const digest = `sha256:${"a".repeat(64)}`;
    rollouts.saveRevision(revision("r-aaaa", 1));
    rollouts.createRollout({ id: "ro-1", system: "shop", state: { ...state("ro-1"), aborted: true, abortReason: "analysis a1-step-1 failed" }, strategy });
    rollouts.finishRollout("ro-1", "aborted");
    assert.deepEqual(rollouts.abortedImages({ system: "shop", service: "api" }), [
      { ...scope, digest, version: "1.0.0", rolloutId: "ro-1", reason: "analysis a1-step-1 failed", abortedAt: rollouts.abortedImages({ system: "shop", service: "api" })[0]?.abortedAt ?? "" },
    ]);
    assert.deepEqual(rollouts.abortedImages({ system: "shop", service: "api", environment: "test" }), []);
    assert.deepEqual(rollouts.abortedImages({ system: "shop", service: "web" }), []);

    rollouts.createRollout({ id: "ro-2", system: "shop", state: state("ro-2"), strategy });
    rollouts.finishRollout("ro-2", "degraded");
    assert.equal(rollouts.abortedImages({ system: "shop", service: "api" }).length, 1, "degraded is no verdict on the image");
    rollouts.reopenRollout("ro-2");
    rollouts.finishRollout("ro-2", "healthy");
    assert.deepEqual(rollouts.abortedImages({ system: "shop", service: "api" }), []);
  });
});
