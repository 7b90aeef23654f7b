import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { orderSplit, parseSplit, planRoute, routeTakenIn, stableRevision } from "./route-plan.js";

describe("route plan", () => {
  it("keeps the incumbent first as a canary grows, and starts again at a single revision", () => {
    let split = orderSplit([], { "r-a": 100 });
    assert.deepEqual(split, [["r-a", 100]]);
    split = orderSplit(split, { "r-b": 10, "r-a": 90 });
    assert.deepEqual(split, [["r-a", 90], ["r-b", 10]]);
    split = orderSplit(split, { "r-a": 20, "r-b": 80 });
    assert.equal(stableRevision(split), "r-a", "the incumbent stays stable past 50%");
    split = orderSplit(split, { "r-b": 100, "r-a": 0 });
    assert.deepEqual(split, [["r-b", 100]]);
    assert.deepEqual(parseSplit(JSON.stringify(split)), split);
    assert.deepEqual(parseSplit("not json"), []);
  });

  it("routes only to revisions with serving pods (unless none has one); the header rule reaches the preview, else the newcomers", () => {
    const split = orderSplit(orderSplit([], { "r-a": 100 }), { "r-a": 90, "r-b": 10 });
    assert.deepEqual(planRoute(split, undefined, new Set(["r-a", "r-b"])), {
      weights: [
        { revision: "r-a", weight: 90 },
        { revision: "r-b", weight: 10 },
      ],
      headerRevisions: ["r-b"],
    });
    assert.deepEqual(planRoute(split, undefined, new Set(["r-a"])), { weights: [{ revision: "r-a", weight: 90 }], headerRevisions: [] });
    assert.deepEqual(planRoute(split, undefined, new Set()).weights.length, 2);
    assert.deepEqual(planRoute([["r-a", 100]], "r-c", new Set(["r-a", "r-c"])).headerRevisions, ["r-c"]);
  });

  it("a route counts as taken in once Accepted and ResolvedRefs are True for its generation", () => {
    const route = (observed: number, resolved = "True") => ({
      metadata: { generation: 3 },
      status: {
        parents: [
          {
            parentRef: { name: "shop" },
            conditions: [
              { type: "Accepted", status: "True", observedGeneration: observed },
              { type: "ResolvedRefs", status: resolved, observedGeneration: observed, reason: "BackendNotFound", message: "service api-r-b not found" },
            ],
          },
        ],
      },
    });
    assert.equal(routeTakenIn(route(3), "shop", 3).ok, true);
    assert.match(routeTakenIn(route(2), "shop", 3).detail, /Accepted is for generation 2, not 3/);
    assert.match(routeTakenIn(route(3, "False"), "shop", 3).detail, /ResolvedRefs is False: BackendNotFound service api-r-b not found/);
    assert.match(routeTakenIn({}, "shop", 1).detail, /no status from Gateway shop/);
  });
});
