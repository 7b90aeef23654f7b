import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatTable } from "./table.js";

describe("formatTable", () => {
  it("keeps two spaces between columns however long a cell is", () => {
    const lines = formatTable([{ title: "COMMIT" }, { title: "STATUS" }, { title: "DURATION", align: "right" }], [["3f7423f", "passed", "1.2s"], ["-", "cancelled", "12.0s"]]);
    assert.deepEqual(lines, ["COMMIT   STATUS     DURATION", "3f7423f  passed         1.2s", "-        cancelled     12.0s"]);
  });
});
