import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { integrationTestEnv } from "./integration-tests.js";

describe("integration test environment", () => {
  it("gives a command test every service's endpoint as <SERVICE>_URL, and the environment's name", () => {
    assert.deepEqual(integrationTestEnv({ ingestion: "http://127.0.0.1:3877", "order-api": "http://127.0.0.1:3001" }, "test"), [
      "INGESTION_URL=http://127.0.0.1:3877",
      "ORDER_API_URL=http://127.0.0.1:3001",
      "SLIPWAY_ENVIRONMENT=test",
    ]);
  });
});
