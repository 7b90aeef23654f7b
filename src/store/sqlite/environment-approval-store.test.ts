import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SqliteEnvironmentApprovalStore } from "./environment-approval-store.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-env-approvals-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;

describe("environment approval store (SQLite)", () => {
  const store = SqliteStore.open(join(dir, "state.db"));
  after(() => store.close());
  const approvals = new SqliteEnvironmentApprovalStore(store.db);
  const approval = { system: "shop", environment: "prod", service: "api", digest: A, at: "2026-12-06T02:00:00.000Z" };

  it("counts each person once, whatever the case, per environment and digest", () => {
    assert.equal(approvals.add({ ...approval, approver: "alice@x", comment: "looks good" }), true);
    assert.equal(approvals.add({ ...approval, approver: "Alice@X", at: "2026-12-06T02:01:00.000Z" }), false);
    assert.equal(approvals.add({ ...approval, approver: "bob@x", at: "2026-12-06T02:02:00.000Z" }), true);
    approvals.add({ ...approval, environment: "staging", approver: "carol@x" });
    approvals.add({ ...approval, digest: B, approver: "dave@x" });
    assert.deepEqual(
      approvals.list("shop", "prod", "api", A).map((a) => [a.approver, a.comment]),
      [
        ["alice@x", "looks good"],
        ["bob@x", undefined],
      ],
    );
    assert.deepEqual(approvals.list("shop", "prod", "api", B).map((a) => a.approver), ["dave@x"]);
    assert.deepEqual(approvals.list("shop", "prod", "web", A), []);
  });
});
