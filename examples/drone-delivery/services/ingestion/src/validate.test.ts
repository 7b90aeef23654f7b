import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { MAX_WEIGHT_KG, validateDeliveryRequest } from "./validate.js";

const valid = {
  id: "d-1001",
  owner: "contoso",
  pickup: { lat: 47.6205, lon: -122.3493 },
  dropoff: { lat: 47.6097, lon: -122.3331 },
  packageInfo: { size: "small", weightKg: 1.5 },
};

function errorsFor(input: unknown): string[] {
  const result = validateDeliveryRequest(input);
  assert.equal(result.ok, false, "expected the request to be rejected");
  return result.ok ? [] : result.errors;
}

describe("validateDeliveryRequest", () => {
  it("accepts a complete request and drops unknown fields", () => {
    const result = validateDeliveryRequest({ ...valid, owner: "  contoso ", extra: true });
    assert.deepEqual(result, { ok: true, value: { ...valid, owner: "contoso" } });
  });

  it("accepts the boundaries of the coordinate ranges and the weight limit", () => {
    const result = validateDeliveryRequest({
      ...valid,
      pickup: { lat: -90, lon: -180 },
      dropoff: { lat: 90, lon: 180 },
      packageInfo: { size: "large", weightKg: MAX_WEIGHT_KG },
    });
    assert.equal(result.ok, true);
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ["a non-object body", [1, 2], /body must be a JSON object/],
    ["null", null, /body must be a JSON object/],
    ["a numeric id", { ...valid, id: 1 }, /^id is required/],
    ["an id with a slash", { ...valid, id: "a/b" }, /^id is required/],
    ["an over-long id", { ...valid, id: "x".repeat(65) }, /^id is required/],
    ["a missing owner", { ...valid, owner: undefined }, /^owner is required/],
    ["a blank owner", { ...valid, owner: "   " }, /^owner is required/],
    ["a missing pickup", { ...valid, pickup: undefined }, /^pickup is required/],
    ["a latitude out of range", { ...valid, pickup: { lat: 91, lon: 0 } }, /^pickup\.lat must be/],
    ["a longitude that is a string", { ...valid, dropoff: { lat: 0, lon: "10" } }, /^dropoff\.lon must be/],
    ["a NaN-like latitude", { ...valid, dropoff: { lat: null, lon: 0 } }, /^dropoff\.lat must be/],
    ["a missing packageInfo", { ...valid, packageInfo: undefined }, /^packageInfo is required/],
    ["an unknown size", { ...valid, packageInfo: { size: "huge", weightKg: 1 } }, /^packageInfo\.size must be one of small, medium, large/],
    ["a zero weight", { ...valid, packageInfo: { size: "small", weightKg: 0 } }, /^packageInfo\.weightKg must be/],
    ["an overweight package", { ...valid, packageInfo: { size: "large", weightKg: MAX_WEIGHT_KG + 0.1 } }, /^packageInfo\.weightKg must be/],
  ];
  for (const [name, input, expected] of cases) {
    it(`rejects ${name}`, () => {
      const errors = errorsFor(input);
      assert.ok(errors.some((e) => expected.test(e)), `no error matched ${expected}: ${JSON.stringify(errors)}`);
    });
  }

  it("reports every problem at once", () => {
    const errors = errorsFor({ id: 1 });
    assert.equal(errors.length, 5, JSON.stringify(errors));
    assert.match(errors.join("; "), /owner/);
  });
});
