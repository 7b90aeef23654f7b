import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { IntegrationRun } from "../../pipeline/integration-tests.js";
import { SqliteIntegrationRunStore } from "./integration-run-store.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-integration-runs-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const digest = (c: string): string => `sha256:${c.repeat(64)}`;
function run(overrides: Partial<IntegrationRun>): IntegrationRun {
  return {
    id: "r1",
    system: "shop",
    environment: "test",
    status: "passed",
    deployed: { api: digest("a"), web: digest("b") },
    results: [{ name: "flow", passed: true, detail: "exit 0", durationMs: 120 }],
    startedAt: "2026-01-01T10:00:00.000Z",
    finishedAt: "2026-01-01T10:00:01.000Z",
    ...overrides,
  };
}

describe("integration run store (SQLite)", () => {
  const store = SqliteStore.open(join(dir, "state.db"));
  after(() => store.close());
  const runs = new SqliteIntegrationRunStore(store.db);
  runs.save(run({ id: "r1" }));
  runs.save(run({ id: "r2", status: "failed", deployed: { api: digest("c"), web: digest("b") }, startedAt: "2026-01-01T11:00:00.000Z" }));
  runs.save(run({ id: "r3", environment: "staging", deployed: { api: digest("d") }, startedAt: "2026-01-01T12:00:00.000Z" }));
  runs.save(run({ id: "r4", system: "other", deployed: { api: digest("e") } }));

  it("finds a passed run that had the service at the digest, in any environment of the system", () => {
    assert.equal(runs.passedWith("shop", "api", digest("a"))?.id, "r1");
    assert.equal(runs.passedWith("shop", "api", digest("d"))?.environment, "staging");
  });

  it("does not count failed runs, other services' digests or other systems", () => {
    assert.equal(runs.passedWith("shop", "api", digest("c")), undefined);
    assert.equal(runs.passedWith("shop", "web", digest("a")), undefined);
    assert.equal(runs.passedWith("shop", "api", digest("e")), undefined);
  });

  it("lists newest first, per environment or all, with results as saved", () => {
    assert.deepEqual(runs.list("shop", undefined, 10).map((r) => r.id), ["r3", "r2", "r1"]);
    assert.deepEqual(runs.list("shop", "test", 1).map((r) => r.id), ["r2"]);
    assert.deepEqual(runs.list("shop", "test", 10)[1], run({ id: "r1" }));
  });

  it("refuses a status other than passed or failed", () => {
    assert.throws(() => runs.save(run({ id: "r9", status: "maybe" as "passed" })), /CHECK constraint/);
  });
});
