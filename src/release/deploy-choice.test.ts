import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseRelease, describeAborted } from "./deploy-choice.js";
import type { ReleaseRecord } from "./types.js";

const digest = (c: string): string => `sha256:${c.repeat(64)}`;
function release(version: string, d: string, status: ReleaseRecord["status"] = "released"): ReleaseRecord {
  return { id: `api@${version}`, service: "api", version, digest: digest(d), changeType: "patch", sourceRef: "dev", requestedBy: "a", requestedAt: "2026-01-01T00:00:00Z", status };
}

describe("chooseRelease", () => {
  const releases = [release("1.0.0", "a"), release("1.0.10", "c"), release("1.0.2", "b"), release("1.1.0", "d", "awaiting-approval")];

  it("is the highest released version when nothing was aborted", () => {
    const choice = chooseRelease(releases, []);
    assert.equal(choice.kind === "chosen" && choice.release.version, "1.0.10");
  });

  it("skips releases aborted in the environment, newest first, and says which", () => {
    const mark = { digest: digest("c"), rolloutId: "r-1", reason: "analysis a1-step-0 failed" };
    const choice = chooseRelease(releases, [mark]);
    assert.equal(choice.kind, "chosen");
    if (choice.kind !== "chosen") return;
    assert.equal(choice.release.version, "1.0.2");
    assert.deepEqual(choice.skipped.map((s) => s.release.version), ["1.0.10"]);
    assert.equal(describeAborted(mark, "prod"), "aborted in prod (rollout r-1: analysis a1-step-0 failed)");
  });

  it("says when there is no release, and when every release was aborted", () => {
    assert.deepEqual(chooseRelease([release("1.1.0", "d", "awaiting-approval")], []), { kind: "none-released" });
    const choice = chooseRelease([release("1.0.0", "a")], [{ digest: digest("a"), rolloutId: "r-9" }]);
    assert.equal(choice.kind, "all-aborted");
  });
});
