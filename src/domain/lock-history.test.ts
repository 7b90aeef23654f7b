import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeChange, digestMismatches, lockChanges, lockDigests, type LockEntry } from "./lock-history.js";

const d = (c: string): string => `sha256:${c.repeat(64)}`;
const entry = (c: string, version?: string): LockEntry => ({
  image: `127.0.0.1:5102/shop/x@${d(c)}`,
  ...(version === undefined ? {} : { version }),
  revision: `r-${c}`,
  replicas: 2,
  template: { port: 8080, env: {}, secretEnv: {}, resources: {}, readiness: { tcp: {}, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 }, terminationGracePeriodSeconds: 30 },
});

describe("lock history (pure)", () => {
  it("lists what changed by digest: changed, new and removed services, in name order; a new template alone is no change", () => {
    const before = { web: entry("a", "1.0.0"), api: entry("b", "2.0.0"), old: entry("c") };
    const after = { api: { ...entry("b", "2.0.0"), revision: "r-other" }, web: entry("d", "1.1.0"), fresh: entry("e") };
    assert.deepEqual(lockChanges(before, after), [
      { service: "fresh", to: d("e") },
      { service: "old", from: d("c") },
      { service: "web", from: d("a"), fromVersion: "1.0.0", to: d("d"), toVersion: "1.1.0" },
    ]);
    assert.deepEqual(lockDigests(after), { api: d("b"), fresh: d("e"), web: d("d") });
  });

  it("describes a change with versions, else short digests", () => {
    assert.equal(describeChange({ service: "web", from: d("a"), fromVersion: "1.0.0", to: d("d"), toVersion: "1.1.0" }), "web 1.0.0 → 1.1.0");
    assert.equal(describeChange({ service: "api", to: d("e") }), "api (new) → sha256:eeeeeeeeeeee");
    assert.equal(describeChange({ service: "old", from: d("c") }), "old sha256:cccccccccccc → (removed)");
  });

  it("names every service whose digest differs from the expected lock", () => {
    assert.deepEqual(digestMismatches({ a: entry("a") }, { a: entry("a") }), []);
    assert.deepEqual(digestMismatches({ a: entry("a"), b: entry("b") }, { a: entry("c") }), [`a: expected ${d("a")}, found ${d("c")}`, `b: expected ${d("b")}, found not deployed`]);
  });
});
