import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../test/e2e/helpers.js";
import { jsonSchemas } from "./json-schema.js";

describe("JSON Schemas", () => {
  it("committed in schema/ match the zod schemas (run `slipway schema` after changing them)", () => {
    for (const [file, schema] of Object.entries(jsonSchemas())) {
      const committed = JSON.parse(readFileSync(join(repoRoot, "schema", file), "utf8")) as unknown;
      assert.deepEqual(committed, JSON.parse(JSON.stringify(schema)), `schema/${file} is stale`);
    }
  });

  it("forbid unknown keys and describe the fields editors complete", () => {
    const service = jsonSchemas()["slipway.service.schema.json"] as { additionalProperties: boolean; required: string[]; properties: Record<string, unknown> };
    assert.equal(service.additionalProperties, false);
    assert.deepEqual([...service.required].sort(), ["build", "name", "owners", "port", "readiness"]);
    for (const key of ["replicas", "dependsOn", "containerTests", "strategy", "resources"]) assert.ok(key in service.properties, key);
  });
});
