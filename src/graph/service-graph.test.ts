import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ServiceGraph } from "./service-graph.js";

const graph = (edges: Record<string, string[]>): ServiceGraph => new ServiceGraph(new Map(Object.entries(edges)));

describe("ServiceGraph", () => {
  it("orders dependencies before dependents, in parallel waves", () => {
    const g = graph({ ingestion: ["workflow"], workflow: ["delivery", "package"], delivery: [], package: [] });
    assert.deepEqual(g.waves(), [["delivery", "package"], ["workflow"], ["ingestion"]]);
    assert.deepEqual(g.topologicalOrder(), ["delivery", "package", "workflow", "ingestion"]);
  });

  it("finds each cycle once, as a closed path", () => {
    const g = graph({ a: ["b"], b: ["c"], c: ["a"], d: ["d"], e: [] });
    assert.deepEqual(g.cycles(), [["a", "b", "c", "a"], ["d", "d"]]);
  });

  it("finds no cycle in a diamond", () => {
    assert.deepEqual(graph({ a: ["b", "c"], b: ["d"], c: ["d"], d: [] }).cycles(), []);
  });

  it("refuses to order a cyclic graph", () => {
    assert.throws(() => graph({ a: ["b"], b: ["a"] }).waves(), /cycle among a, b/);
  });

  it("lists transitive dependents and ignores unknown targets", () => {
    const g = graph({ a: ["b"], b: ["c"], c: ["missing"], x: [] });
    assert.deepEqual(g.dependentsOf("c"), ["a", "b"]);
    assert.deepEqual(g.dependenciesOf("c"), []);
  });
});
