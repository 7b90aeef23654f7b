import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { observed, ready, rollout, scaleDown, T0 } from "./testing/fixtures.js";

const at = (s: number) => T0 + s * 1000;
const finished = { ...rollout("rolling", 2), stableRevision: "r2", phase: "healthy" as const, scaleDownAt: [{ revision: "r1", atMs: at(30) }] };

describe("scale-down of a finished rollout", () => {
  it("keeps a warm revision until its time, then removes it", () => {
    assert.deepEqual(scaleDown(finished, "healthy", observed(at(29), { r1: ready(2), r2: ready(2) }, { r2: 100 })), { actions: [], nextAtMs: at(30) });
    assert.deepEqual(scaleDown(finished, "healthy", observed(at(30), { r1: ready(2), r2: ready(2) }, { r2: 100 })), { actions: ["scale r1=0"] });
  });

  it("removes a leftover without a timer at once, and never the serving revision", () => {
    assert.deepEqual(scaleDown({ ...finished, scaleDownAt: [] }, "healthy", observed(at(1), { r0: ready(1), r1: [], r2: ready(2) }, { r2: 100 })), { actions: ["scale r0=0"] });
  });

  it("leaves a revision that still carries traffic, even when due", () => {
    assert.deepEqual(scaleDown(finished, "healthy", observed(at(31), { r1: ready(2), r2: ready(2) }, { r1: 10, r2: 90 })), { actions: [] });
  });

  it("after an abort the stable revision serves and the target goes", () => {
    const aborted = { ...rollout("canary", 2), aborted: true, scaleDownAt: [{ revision: "r2", atMs: at(30) }] };
    assert.deepEqual(scaleDown(aborted, "aborted", observed(at(30), { r1: ready(2), r2: ready(1) }, { r1: 100 })), { actions: ["scale r2=0"] });
  });

  it("touches nothing after a degraded rollout", () => {
    assert.deepEqual(scaleDown({ ...finished, scaleDownAt: [] }, "degraded", observed(at(1), { r1: ready(2), r2: ready(2) }, { r2: 100 })), { actions: [] });
  });
});
