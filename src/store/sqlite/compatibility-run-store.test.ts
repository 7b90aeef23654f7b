import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SqliteCompatibilityRunStore, type CompatibilityRun } from "./compatibility-run-store.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-compat-runs-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const digest = (c: string): string => `sha256:${c.repeat(64)}`;
function run(overrides: Partial<CompatibilityRun>): CompatibilityRun {
  return {
    id: "c1",
    system: "shop",
    environment: "prod",
    service: "back",
    digest: digest("b"),
    status: "passed",
    targetLock: { front: digest("f"), back: digest("a") },
    mixedLock: { front: digest("f"), back: digest("b") },
    results: [{ name: "front-answers", passed: true, detail: "200", durationMs: 12 }],
    pairs: [],
    startedAt: "2026-01-01T10:00:00.000Z",
    finishedAt: "2026-01-01T10:00:10.000Z",
    ...overrides,
  };
}

describe("compatibility run store (SQLite)", () => {
  const store = SqliteStore.open(join(dir, "state.db"));
  after(() => store.close());
  const runs = new SqliteCompatibilityRunStore(store.db);

  it("keeps both locks and the pairs, and answers the stage for the tested service and digest only", () => {
    runs.save(run({ id: "c0", status: "failed", digest: digest("c"), mixedLock: { front: digest("f"), back: digest("c") }, pairs: [{ caller: "front", callee: "back", newSide: "callee", tests: ["front-answers"] }] }));
    runs.save(run({}));
    assert.equal(runs.passedWith("shop", "back", digest("b"))?.id, "c1");
    assert.deepEqual(runs.passedWith("shop", "back", digest("b"))?.targetLock, { front: digest("f"), back: digest("a") });
    // The other services ran at these digests, but were not the ones being checked.
    assert.equal(runs.passedWith("shop", "front", digest("f")), undefined);
    assert.equal(runs.passedWith("shop", "back", digest("c")), undefined, "a failed run counts for nothing");
    assert.deepEqual(runs.list("shop", "prod", 10).map((r) => [r.id, r.pairs.length]), [["c1", 0], ["c0", 1]]);
  });
});
