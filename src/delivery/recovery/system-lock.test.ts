import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReadinessProbe } from "../../domain/config-schema.js";
import { SlipwayError } from "../../domain/errors.js";
import { startRollout } from "../strategies/start.js";
import type { RevisionRecord, RolloutRecord } from "../controller/store-port.js";
import { buildLock, checkLockFits, dependenciesOutsideLock, lockService, parseLock, restoreOrder, targetTemplate, type LockedService, type ServiceObservation } from "./system-lock.js";

const readiness: ReadinessProbe = { http: { path: "/healthz" }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
const digest = `sha256:${"a".repeat(64)}`;
const image = `127.0.0.1:5101/shop/front@${digest}`;

function revision(env: Record<string, string>): RevisionRecord {
  return {
    system: "shop",
    environment: "test",
    service: "front",
    name: "r-0123456789",
    number: 1,
    image,
    version: "1.2.0",
    template: { port: 8080, env, secretEnv: { TOKEN: "FRONT_TOKEN" }, resources: { memory: "64Mi" }, readiness, terminationGracePeriodSeconds: 5 },
    createdAt: "2026-01-01T00:00:00.000Z",
  };
}

function rollout(over: { finished?: boolean; outcome?: "healthy" | "aborted" | "degraded"; aborted?: boolean; stable?: string }): RolloutRecord {
  const state = startRollout({ id: "front-1", service: "front", environment: "test", strategy: "canary", targetRevision: "r-0123456789", desiredReplicas: 3, nowMs: 0 });
  if (over.stable !== undefined) state.stableRevision = over.stable;
  if (over.aborted === true) state.aborted = true;
  return {
    id: "front-1",
    system: "shop",
    state,
    strategy: { canary: { steps: [{ setWeight: 10 }], scaleDownDelaySeconds: 0, progressDeadlineSeconds: 60, revisionHistoryLimit: 10 } },
    finished: over.finished ?? true,
    ...(over.outcome === undefined ? {} : { outcome: over.outcome }),
    createdAt: "",
    updatedAt: "",
  };
}

const urls = { BACK_URL: "http://127.0.0.1:4310" };

function observe(over: Partial<ServiceObservation>): ServiceObservation {
  return {
    service: "front",
    latest: rollout({ outcome: "healthy" }),
    revisions: [revision({ BACK_URL: "http://127.0.0.1:4310", MODE: "fast" })],
    readyInstances: 2,
    dependsOn: ["back"],
    injectedUrls: urls,
    ...over,
  };
}

function locked(service: string, dependsOn: string[] = [], env: Record<string, string> = {}): LockedService {
  return {
    service,
    image: `127.0.0.1:5101/shop/${service}@${digest}`,
    revision: "r-0000000000",
    dependsOn,
    template: { port: 8080, env, secretEnv: {}, resources: {}, readiness, terminationGracePeriodSeconds: 1 },
    replicas: 1,
    strategy: "rolling",
  };
}

function thrown(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SlipwayError);
    return err;
  }
  assert.fail("expected an error");
}

describe("lockService", () => {
  it("records the serving revision: digest, version, replicas, strategy, secrets by name, without the injected dependency URLs", () => {
    const result = lockService(observe({}));
    assert.ok("locked" in result);
    assert.deepEqual(result.locked, {
      service: "front",
      version: "1.2.0",
      image,
      revision: "r-0123456789",
      dependsOn: ["back"],
      template: { port: 8080, env: { MODE: "fast" }, secretEnv: { TOKEN: "FRONT_TOKEN" }, resources: { memory: "64Mi" }, readiness, terminationGracePeriodSeconds: 5 },
      replicas: 3,
      strategy: "canary",
    });
  });

  it("keeps a dependency URL the service set itself", () => {
    const result = lockService(observe({ revisions: [revision({ BACK_URL: "http://elsewhere:80" })] }));
    assert.ok("locked" in result);
    assert.deepEqual(result.locked.template.env, { BACK_URL: "http://elsewhere:80" });
  });

  it("after an abort, locks the stable revision that serves", () => {
    const result = lockService(observe({ latest: rollout({ outcome: "aborted", aborted: true, stable: "r-0123456789" }), revisions: [revision({}), { ...revision({}), name: "r-9999999999" }] }));
    assert.ok("locked" in result);
    assert.equal(result.locked.revision, "r-0123456789");
  });

  it("says why a service cannot be locked: not deployed, a rollout in progress, no ready instance", () => {
    const reason = (o: Partial<ServiceObservation>): string => {
      const result = lockService(observe(o));
      assert.ok("omitted" in result);
      return result.omitted.reason;
    };
    assert.match(reason({ latest: undefined }), /not deployed/);
    assert.match(reason({ latest: rollout({ finished: false }) }), /rollout front-1 is in progress \(progressing\)/);
    assert.match(reason({ readyInstances: 0 }), /no ready instance of r-0123456789/);
    assert.match(reason({ revisions: [] }), /no serving revision/);
  });
});

describe("parseLock", () => {
  const good = buildLock({ system: "shop", environment: "test", takenAt: new Date(0), services: [locked("back"), locked("front", ["back"])], omitted: [] });

  it("reads back what buildLock wrote", () => {
    assert.deepEqual(parseLock(JSON.stringify(good), "lock.json"), good);
    assert.equal(good.formatVersion, 1);
    assert.equal("omitted" in good, false);
  });

  it("names the JSON path of each bad field", () => {
    const bad = JSON.parse(JSON.stringify(good)) as { services: { image: string; template: { port: unknown } }[] };
    (bad.services[1] as { image: string }).image = "127.0.0.1:5101/shop/front:latest";
    (bad.services[0] as { template: { port: unknown } }).template.port = "80";
    const err = thrown(() => parseLock(JSON.stringify(bad), "lock.json"));
    assert.match(err.message, /\$\.services\[1\]\.image: must be an image pinned by digest/);
    assert.match(err.message, /\$\.services\[0\]\.template\.port/);
  });

  it("refuses text that is not JSON, and another format version", () => {
    assert.match(thrown(() => parseLock("{", "lock.json")).message, /lock\.json is not a system lock: not JSON/);
    assert.match(thrown(() => parseLock(JSON.stringify({ ...good, formatVersion: 2 }), "lock.json")).message, /\$\.formatVersion/);
  });
});

describe("restoring", () => {
  it("orders dependencies first, whatever the order in the file", () => {
    const order = restoreOrder([locked("front", ["api"]), locked("api", ["db"]), locked("db"), locked("admin", ["db"])]).map((s) => s.service);
    assert.deepEqual(order, ["db", "admin", "api", "front"]);
  });

  it("adds the target's dependency URLs; a variable the service set wins", () => {
    assert.deepEqual(targetTemplate(locked("front", ["back"], { MODE: "x" }), { BACK_URL: "http://127.0.0.1:16330" }).env, { BACK_URL: "http://127.0.0.1:16330", MODE: "x" });
    assert.deepEqual(targetTemplate(locked("front", ["back"], { BACK_URL: "http://mine" }), { BACK_URL: "http://127.0.0.1:16330" }).env, { BACK_URL: "http://mine" });
  });

  it("refuses another system's lock and services the configuration does not have", () => {
    const lock = buildLock({ system: "shop", environment: "test", takenAt: new Date(0), services: [locked("frnt")], omitted: [] });
    assert.match(thrown(() => checkLockFits(lock, "other", ["front"])).message, /the lock is of system "shop", the configuration of "other"/);
    const unknown = thrown(() => checkLockFits(lock, "shop", ["front", "back"]));
    assert.match(unknown.message, /names service frnt, which the configuration of shop does not have/);
    assert.match(unknown.hint ?? "", /did you mean front\?/);
  });

  it("lists dependencies the lock does not carry", () => {
    const lock = buildLock({ system: "shop", environment: "test", takenAt: new Date(0), services: [locked("front", ["back"])], omitted: [{ service: "back", reason: "not deployed" }] });
    assert.deepEqual(dependenciesOutsideLock(lock), [{ service: "front", dependency: "back" }]);
  });
});
