import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "./errors.js";
import { maskSecrets, resolveServiceEnv } from "./service-env.js";

const where = 'service "orders" (services/orders/slipway.service.yaml)';

describe("resolveServiceEnv", () => {
  it("writes literals as strings and keeps no secrets for them", () => {
    const result = resolveServiceEnv({ LOG_LEVEL: "info", WORKERS: 4, DEBUG: false, EMPTY: "" }, {}, where);
    assert.deepEqual(result, { env: { LOG_LEVEL: "info", WORKERS: "4", DEBUG: "false", EMPTY: "" }, secretValues: [] });
  });

  it("reads fromEnv values from the host environment and returns them as secrets", () => {
    const result = resolveServiceEnv(
      { DB_PASSWORD: { fromEnv: "ORDERS_DB_PASSWORD" }, TOKEN: { fromEnv: "API_TOKEN" }, MODE: "prod" },
      { ORDERS_DB_PASSWORD: "hunter2", API_TOKEN: "t0k3n", UNRELATED: "x" },
      where,
    );
    assert.deepEqual(result.env, { DB_PASSWORD: "hunter2", TOKEN: "t0k3n", MODE: "prod" });
    assert.deepEqual(result.secretValues, ["hunter2", "t0k3n"]);
  });

  it("lists a secret used twice once", () => {
    const result = resolveServiceEnv({ A: { fromEnv: "S" }, B: { fromEnv: "S" } }, { S: "same" }, where);
    assert.deepEqual(result.secretValues, ["same"]);
  });

  it("passes an empty host value through but never masks the empty string", () => {
    const result = resolveServiceEnv({ A: { fromEnv: "S" } }, { S: "" }, where);
    assert.deepEqual(result, { env: { A: "" }, secretValues: [] });
  });

  it("also masks each line of a multi-line secret, since logs are masked line by line", () => {
    const key = "-----BEGIN KEY-----\nAAAAsecretline\n-----END KEY-----\n";
    const result = resolveServiceEnv({ KEY: { fromEnv: "K" } }, { K: key }, where);
    assert.ok(result.secretValues.includes(key));
    assert.ok(result.secretValues.includes("AAAAsecretline"));
  });

  it("names the service, every unset variable and the fix in one CONFIG_INVALID error", () => {
    const run = (): unknown =>
      resolveServiceEnv({ DB_PASSWORD: { fromEnv: "ORDERS_DB_PASSWORD" }, TOKEN: { fromEnv: "API_TOKEN" }, OK: { fromEnv: "SET" } }, { SET: "v" }, where);
    assert.throws(run, (err: unknown) => {
      assert.ok(err instanceof SlipwayError);
      assert.equal(err.code, "CONFIG_INVALID");
      assert.equal(
        err.message,
        'service "orders" (services/orders/slipway.service.yaml): env.DB_PASSWORD reads ORDERS_DB_PASSWORD, env.TOKEN reads API_TOKEN from the host environment, but ORDERS_DB_PASSWORD, API_TOKEN are not set',
      );
      assert.match(err.hint ?? "", /export ORDERS_DB_PASSWORD=/);
      assert.match(err.hint ?? "", /slipway\.service\.yaml/);
      return true;
    });
  });

  it("says 'is not set' for a single variable", () => {
    assert.throws(() => resolveServiceEnv({ A: { fromEnv: "S" } }, {}, where), /but S is not set$/);
  });
});

describe("maskSecrets", () => {
  const rows: [string, string[], string][] = [
    ["password=hunter2 and again hunter2", ["hunter2"], "password=**** and again ****"],
    ["no secrets here", ["hunter2"], "no secrets here"],
    ["token abcdef", ["abc", "abcdef"], "token ****"],
    ["a.b*c (regex characters are literal)", ["a.b*c"], "**** (regex characters are literal)"],
    ["nothing to mask with an empty secret", [""], "nothing to mask with an empty secret"],
    ["", ["x"], ""],
  ];
  for (const [text, secrets, expected] of rows) {
    it(`${JSON.stringify(text)} with ${JSON.stringify(secrets)}`, () => assert.equal(maskSecrets(text, secrets), expected));
  }
});
