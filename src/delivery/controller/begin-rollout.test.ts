import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { ReadinessProbe } from "../../domain/config-schema.js";
import { SqliteRolloutStore } from "../../store/sqlite/rollout-store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import { alreadyServes, beginRollout, lastGoodRevision, servingRevision, type RolloutRequest } from "./begin-rollout.js";

const readiness: ReadinessProbe = { tcp: {}, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
const scope = { system: "shop", environment: "test", service: "api" };
const strategy = { rolling: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 60, revisionHistoryLimit: 10, scaleDownDelaySeconds: 0 } };

function open(): SqliteRolloutStore {
  const db = SqliteStore.open(":memory:");
  after(() => db.close());
  return new SqliteRolloutStore(db.db);
}

function request(n: number): RolloutRequest {
  return {
    ...scope,
    image: `127.0.0.1:5000/shop/api@sha256:${String(n).repeat(64)}`,
    version: `1.0.${n}`,
    template: { port: 8080, env: {}, secretEnv: {}, resources: {}, readiness, terminationGracePeriodSeconds: 1 },
    strategy,
    replicas: 2,
    nowMs: 1_000 * n,
  };
}

/** Starts a rollout of image n and records how it ended. */
function rollOut(store: SqliteRolloutStore, n: number, outcome: "healthy" | "aborted"): string {
  const r = beginRollout(store, request(n));
  if (outcome === "aborted") store.saveState(r.id, { ...r.state, aborted: true });
  else store.saveState(r.id, { ...r.state, stableRevision: r.state.targetRevision, phase: "healthy" });
  store.finishRollout(r.id, outcome);
  return r.state.targetRevision;
}

describe("beginRollout", () => {
  it("records a revision per image and template; an old one made current again gets the next number", () => {
    const store = open();
    const r1 = rollOut(store, 1, "healthy");
    const r2 = rollOut(store, 2, "healthy");
    assert.notEqual(r1, r2);
    assert.match(r1, /^r-[0-9a-f]{10}$/);
    const again = rollOut(store, 1, "healthy");
    assert.equal(again, r1);
    assert.deepEqual(store.listRevisions(scope).map((r) => [r.name, r.number]), [[r2, 2], [r1, 3]]);
  });

  it("refuses what already runs, and a second rollout while one is in flight", () => {
    const store = open();
    rollOut(store, 1, "healthy");
    assert.throws(() => beginRollout(store, request(1)), /already runs/);
    const inFlight = beginRollout(store, request(2));
    assert.throws(() => beginRollout(store, request(3)), new RegExp(`already has a rollout in progress \\(${inFlight.id}\\)`));
  });

  it("counts the stable revision an aborted rollout went back to as what already runs", () => {
    const store = open();
    rollOut(store, 1, "healthy");
    rollOut(store, 2, "aborted");
    assert.equal(alreadyServes(store, request(1)), true);
    assert.equal(alreadyServes(store, request(2)), false);
    assert.throws(() => beginRollout(store, request(1)), /already runs/);
  });

  it("the next rollout starts from the revision the last one left serving", () => {
    const store = open();
    const r1 = rollOut(store, 1, "healthy");
    rollOut(store, 2, "aborted");
    assert.equal(beginRollout(store, request(3)).state.stableRevision, r1);
  });

  it("rollback's last good revision skips aborted ones", () => {
    const store = open();
    const r1 = rollOut(store, 1, "healthy");
    rollOut(store, 2, "aborted");
    rollOut(store, 3, "healthy");
    assert.equal(lastGoodRevision(store, scope)?.name, r1);
  });

  it("after an undeploy nothing serves, the same image deploys again, as a first deployment", () => {
    const store = open();
    const served = rollOut(store, 1, "healthy");
    const latest = store.latestRollout(scope);
    assert.ok(latest !== undefined);
    store.createRollout({ id: "undeploy-1", system: scope.system, state: { ...latest.state, id: "undeploy-1", desiredReplicas: 0, undeployedAtMs: 5_000 }, strategy });
    store.finishRollout("undeploy-1", "healthy");
    assert.equal(servingRevision(store.latestRollout(scope)), undefined);
    assert.equal(alreadyServes(store, request(1)), false, "deploying what was undeployed is not a no-op");
    const again = beginRollout(store, { ...request(1), nowMs: 6_000 });
    assert.equal(again.state.targetRevision, served);
    assert.equal(again.state.stableRevision, undefined, "a first deployment: nothing to go back to");
  });
});
