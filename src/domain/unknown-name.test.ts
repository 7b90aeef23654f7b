import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "./errors.js";
import { findNamed, unknownNameError } from "./unknown-name.js";

describe("unknownNameError", () => {
  const services = ["api", "pricing", "ledger"];
  const rows: [string, string][] = [
    ["apii", 'did you mean "api"? (services: api, ledger, pricing)'],
    ["pricng", 'did you mean "pricing"? (services: api, ledger, pricing)'],
    ["Ledger", 'did you mean "ledger"? (services: api, ledger, pricing)'],
    ["billing", "services: api, ledger, pricing"],
  ];
  for (const [given, hint] of rows) {
    it(`${given} → ${hint}`, () => {
      const err = unknownNameError("service", given, services, "shop");
      assert.equal(err.message, `there is no service "${given}" in shop`);
      assert.equal(err.hint, hint);
      assert.equal(err.code, "USAGE");
    });
  }

  it("finds a named item, or throws the error", () => {
    assert.deepEqual(findNamed("environment", "prod", [{ name: "test" }, { name: "prod" }], (e) => e.name, "slipway.yaml"), { name: "prod" });
    assert.throws(
      () => findNamed("environment", "prdo", [{ name: "test" }, { name: "prod" }], (e) => e.name, "slipway.yaml"),
      (err: unknown) => err instanceof SlipwayError && err.hint === 'did you mean "prod"? (environments: prod, test)',
    );
  });
});
