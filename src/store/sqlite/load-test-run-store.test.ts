import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SqliteLoadTestRunStore, type LoadTestRun } from "./load-test-run-store.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-load-runs-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const digest = (c: string): string => `sha256:${c.repeat(64)}`;
function run(overrides: Partial<LoadTestRun>): LoadTestRun {
  return {
    id: "r1",
    system: "shop",
    environment: "test",
    scenario: "get",
    status: "passed",
    deployed: { api: digest("a"), web: digest("b") },
    measurement: { p50Ms: 1, p95Ms: 3, p99Ms: 5, rps: 900, requests: 9000, errors: 0 },
    verdicts: [{ threshold: "p99Ms", limit: 10, actual: 5, passed: true }],
    startedAt: "2026-01-01T10:00:00.000Z",
    finishedAt: "2026-01-01T10:00:10.000Z",
    ...overrides,
  };
}

describe("load test run store (SQLite)", () => {
  const store = SqliteStore.open(join(dir, "state.db"));
  after(() => store.close());
  const runs = new SqliteLoadTestRunStore(store.db);
  runs.save(run({ id: "r1" }));
  runs.save(run({ id: "r2", startedAt: "2026-01-01T11:00:00.000Z", baseline: { runId: "r1", p95Ms: 3 }, report: "/tmp/r2.svg" }));
  runs.save(run({ id: "r3", status: "failed", startedAt: "2026-01-01T12:00:00.000Z", deployed: { api: digest("c"), web: digest("b") } }));
  runs.save(run({ id: "r4", scenario: "post", startedAt: "2026-01-01T13:00:00.000Z" }));

  it("the baseline is the newest passing run of that scenario in that environment, round-tripped whole", () => {
    assert.deepEqual(runs.lastPassing("shop", "test", "get"), run({ id: "r2", startedAt: "2026-01-01T11:00:00.000Z", baseline: { runId: "r1", p95Ms: 3 }, report: "/tmp/r2.svg" }));
    assert.equal(runs.lastPassing("shop", "prod", "get"), undefined);
  });

  it("a digest counts for load-test only when a passing run had it deployed", () => {
    assert.equal(runs.passedWith("shop", "api", digest("a"))?.id, "r4");
    assert.equal(runs.passedWith("shop", "api", digest("c")), undefined);
    assert.equal(runs.passedWith("shop", "web", digest("a")), undefined);
  });

  it("lists an environment's runs newest first", () => {
    assert.deepEqual(runs.list("shop", "test", 10).map((r) => r.id), ["r4", "r3", "r2", "r1"]);
    assert.deepEqual(runs.list("shop", "test", 2).map((r) => r.id), ["r4", "r3"]);
    assert.deepEqual(runs.list("shop", "prod", 10), []);
  });
});
