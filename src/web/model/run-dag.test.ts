import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { dagColumns } from "./run-dag.js";

describe("a run's DAG in columns", () => {
  it("puts each service right of everything it is built after", () => {
    assert.deepEqual(
      dagColumns([
        { service: "web", dependsOn: ["api"] },
        { service: "api", dependsOn: ["lib", "proto"] },
        { service: "proto", dependsOn: [] },
        { service: "lib", dependsOn: ["proto"] },
        { service: "worker", dependsOn: ["lib"] },
      ]),
      [["proto"], ["lib"], ["api", "worker"], ["web"]],
    );
  });
  it("ignores services outside the run, and survives a cycle", () => {
    assert.deepEqual(dagColumns([{ service: "a", dependsOn: ["gone"] }]), [["a"]]);
    assert.equal(dagColumns([{ service: "a", dependsOn: ["b"] }, { service: "b", dependsOn: ["a"] }]).flat().length, 2);
  });
});
