import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { RevisionRecord } from "../../delivery/controller/store-port.js";
import { startRollout } from "../../delivery/strategies/start.js";
import type { RolloutState } from "../../delivery/types.js";
import { lockDigests } from "../../domain/lock-history.js";
import { SqliteLockHistoryStore } from "./lock-history-store.js";
import { SqliteRolloutStore } from "./rollout-store.js";
import { SqliteStore } from "./sqlite-store.js";

function open(): { rollouts: SqliteRolloutStore; history: SqliteLockHistoryStore } {
  const store = SqliteStore.open(":memory:");
  after(() => store.close());
  return { rollouts: new SqliteRolloutStore(store.db), history: new SqliteLockHistoryStore(store.db) };
}

const strategy = { rolling: { maxSurge: "25%", maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 600, revisionHistoryLimit: 10, scaleDownDelaySeconds: 0 } };
const digest = (c: string): string => `sha256:${c.repeat(64)}`;

function revision(service: string, name: string, number: number, c: string): RevisionRecord {
  return {
    system: "shop",
    environment: "prod",
    service,
    name,
    number,
    image: `127.0.0.1:5000/shop/${service}@${digest(c)}`,
    version: `1.0.${number}`,
    template: { port: 8080, env: {}, secretEnv: {}, resources: {}, readiness: { tcp: {}, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }, terminationGracePeriodSeconds: 30 },
    createdAt: "2026-01-01T00:00:00.000Z",
  };
}

/** A rollout of `service` to `target` (from `previous`), finished with `outcome`. */
function rollOut(rollouts: SqliteRolloutStore, id: string, service: string, target: string, outcome: "healthy" | "aborted", origin: { actor: string; groupId?: string }, previous?: RolloutState): RolloutState {
  let state = startRollout({ id, service, environment: "prod", strategy: "rolling", targetRevision: target, desiredReplicas: 2, nowMs: 1_000, ...(previous === undefined ? {} : { previous }) });
  if (outcome === "aborted") state = { ...state, aborted: true, abortReason: "analysis error-rate failed" };
  rollouts.createRollout({ id, system: "shop", state, strategy, origin: { ...origin, action: "deploy" } });
  rollouts.finishRollout(id, outcome);
  return state;
}

describe("lock history", () => {
  it("records the resulting lock, what changed, who and the result for every finished rollout outside a group", () => {
    const { rollouts, history } = open();
    rollouts.saveRevision(revision("api", "api-r1", 1, "a"));
    rollouts.saveRevision(revision("web", "web-r1", 1, "b"));
    const api1 = rollOut(rollouts, "ro-1", "api", "api-r1", "healthy", { actor: "alice@example.com" });
    rollOut(rollouts, "ro-2", "web", "web-r1", "healthy", { actor: "bob@example.com" });
    rollouts.saveRevision(revision("api", "api-r2", 2, "c"));
    rollOut(rollouts, "ro-3", "api", "api-r2", "aborted", { actor: "alice@example.com" }, { ...api1, phase: "healthy", stableRevision: "api-r1" });

    const [third, second, first] = history.list("shop", "prod", 10);
    assert.deepEqual([first?.number, first?.actor, first?.result, first?.changes], [1, "alice@example.com", "healthy", [{ service: "api", to: digest("a"), toVersion: "1.0.1" }]]);
    assert.deepEqual(lockDigests(second?.lock ?? {}), { api: digest("a"), web: digest("b") });
    assert.equal(second?.actor, "bob@example.com");
    // An aborted rollout leaves the stable serving: recorded, with nothing changed.
    assert.deepEqual([third?.number, third?.result, third?.changes], [3, "aborted", []]);
    assert.match(third?.detail ?? "", /ro-3 of api \(api-r2\) ended aborted: analysis error-rate failed/);
    assert.deepEqual(lockDigests(third?.lock ?? {}), { api: digest("a"), web: digest("b") });
    assert.equal(third?.lock["api"]?.revision, "api-r1");
  });

  it("leaves a group's rollouts to the group, which appends one entry", () => {
    const { rollouts, history } = open();
    rollouts.saveRevision(revision("api", "api-r1", 1, "a"));
    rollouts.saveRevision(revision("web", "web-r1", 1, "b"));
    rollOut(rollouts, "ro-1", "api", "api-r1", "healthy", { actor: "ci", groupId: "promote-1" });
    rollOut(rollouts, "ro-2", "web", "web-r1", "healthy", { actor: "ci", groupId: "promote-1" });
    assert.equal(history.list("shop", "prod", 10).length, 0);
    const entry = history.append({ system: "shop", environment: "prod", actor: "ci", action: "promote", result: "promoted", detail: "from staging", groupId: "promote-1" });
    assert.equal(entry.number, 1);
    assert.deepEqual(entry.changes.map((c) => c.service), ["api", "web"]);
    assert.deepEqual(history.get("shop", "prod", 1)?.lock, entry.lock);
    assert.equal(history.get("shop", "prod", 2), undefined);
  });

  it("counts a rollout in flight as its stable revision, and an undeployed service as gone", () => {
    const { rollouts, history } = open();
    rollouts.saveRevision(revision("api", "api-r1", 1, "a"));
    const api1 = rollOut(rollouts, "ro-1", "api", "api-r1", "healthy", { actor: "a" });
    rollouts.saveRevision(revision("api", "api-r2", 2, "c"));
    const inFlight = startRollout({ id: "ro-2", service: "api", environment: "prod", strategy: "rolling", targetRevision: "api-r2", desiredReplicas: 2, nowMs: 2_000, previous: { ...api1, phase: "healthy", stableRevision: "api-r1" } });
    rollouts.createRollout({ id: "ro-2", system: "shop", state: inFlight, strategy });
    assert.equal(history.currentLock("shop", "prod")["api"]?.revision, "api-r1");
    rollouts.finishRollout("ro-2", "healthy");
    const undeployed = { ...startRollout({ id: "ro-3", service: "api", environment: "prod", strategy: "rolling", targetRevision: "api-r2", desiredReplicas: 0, nowMs: 3_000 }), undeployedAtMs: 3_000 };
    rollouts.createRollout({ id: "ro-3", system: "shop", state: undeployed, strategy, origin: { actor: "a", action: "undeploy" } });
    rollouts.finishRollout("ro-3", "healthy");
    const [last] = history.list("shop", "prod", 1);
    assert.deepEqual([last?.number, last?.action, last?.lock, last?.changes], [3, "undeploy", {}, [{ service: "api", from: digest("c"), fromVersion: "1.0.2" }]]);
  });
});
