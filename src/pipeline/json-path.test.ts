import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../domain/errors.js";
import { evaluateJsonPath, formatJsonPath, formatJsonValue, jsonEqual, parseJsonPath } from "./json-path.js";

describe("parseJsonPath", () => {
  const valid: [string, (string | number)[]][] = [
    ["$", []],
    ["$.status", ["status"]],
    ["$.build.tags[1]", ["build", "tags", 1]],
    ["$['key with spaces'].x", ["key with spaces", "x"]],
    ['$["dotted.key"]', ["dotted.key"]],
    ["$['it\\'s']", ["it's"]],
    ["$[0][12]", [0, 12]],
    ["$.a-b.c_d", ["a-b", "c_d"]],
  ];
  for (const [path, segments] of valid) {
    it(`${path} → ${JSON.stringify(segments)}`, () => assert.deepEqual(parseJsonPath(path), segments));
  }

  const invalid: [string, RegExp][] = [
    ["status", /must start with \$/],
    ["$.", /expected a key after "\." at column 2/],
    ["$..a", /expected a key after "\." at column 2/],
    ["$[", /expected an index/],
    ["$[-1]", /expected an index/],
    ["$[*]", /expected an index/],
    ["$['open", /not closed/],
    ["$['a'x", /expected "\]" at column 6/],
    ["$a", /unexpected "a" at column 2/],
  ];
  for (const [path, problem] of invalid) {
    it(`rejects ${path}`, () => {
      assert.throws(
        () => parseJsonPath(path),
        (err: unknown) => err instanceof SlipwayError && err.code === "CONFIG_INVALID" && problem.test(err.message) && (err.hint ?? "").includes("$.items[0]"),
      );
    });
  }
});

describe("evaluateJsonPath", () => {
  const doc = { status: "ok", count: 3, ready: true, gone: null, build: { tags: ["a", "b"], meta: {} }, "key with spaces": 1 };

  const found: [string, unknown][] = [
    ["$", doc],
    ["$.status", "ok"],
    ["$.count", 3],
    ["$.ready", true],
    ["$.gone", null],
    ["$.build.tags", ["a", "b"]],
    ["$.build.tags[1]", "b"],
    ["$['key with spaces']", 1],
  ];
  for (const [path, value] of found) {
    it(`finds ${path}`, () => assert.deepEqual(evaluateJsonPath(doc, path), { found: true, value }));
  }

  const missing: [string, string][] = [
    ["$.version", '$ has no key "version" (it has status, count, ready, gone, build, key with spaces)'],
    ["$.build.meta.x", '$.build.meta has no key "x" (it is empty)'],
    ["$.build.tags[2]", "$.build.tags has 2 items, so [2] is out of range"],
    ["$.status.x", '$.status is the string "ok", not an object'],
    ["$.gone.x", "$.gone is null, not an object"],
    ["$.build[0]", "$.build is an object, not an array"],
    ["$.build.tags.length", "$.build.tags is an array, not an object"],
  ];
  for (const [path, reason] of missing) {
    it(`explains why ${path} is absent`, () => assert.deepEqual(evaluateJsonPath(doc, path), { found: false, reason }));
  }

  it("does not find inherited properties", () => {
    assert.equal(evaluateJsonPath({}, "$.constructor").found, false);
    assert.equal(evaluateJsonPath({}, "$.__proto__").found, false);
  });

  it("evaluates against a scalar document", () => {
    assert.deepEqual(evaluateJsonPath("ok", "$"), { found: true, value: "ok" });
  });
});

describe("jsonEqual", () => {
  const rows: [unknown, unknown, boolean][] = [
    ["ok", "ok", true],
    ["ok", "OK", false],
    [1, 1.0, true],
    [1, "1", false],
    [true, "true", false],
    [null, null, true],
    [null, undefined, false],
    [0, false, false],
    [[1, 2], [1, 2], true],
    [[1, 2], [2, 1], false],
    [[1], [1, 1], false],
    [{ a: 1, b: [true] }, { b: [true], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: 1, b: undefined }, { a: 1, c: undefined }, false],
    [{}, [], false],
    [{ a: { b: { c: "x" } } }, { a: { b: { c: "y" } } }, false],
  ];
  for (const [a, b, equal] of rows) {
    it(`${formatJsonValue(a)} ${equal ? "equals" : "differs from"} ${formatJsonValue(b)}`, () => {
      assert.equal(jsonEqual(a, b), equal);
      assert.equal(jsonEqual(b, a), equal);
    });
  }
});

describe("formatting", () => {
  it("writes paths back in the shortest form", () => {
    assert.equal(formatJsonPath(["a", 0, "key with spaces", "b-c"]), '$.a[0]["key with spaces"].b-c');
  });
  it("shortens long values and names an absent one", () => {
    assert.equal(formatJsonValue("x".repeat(300), 10), '"xxxxxxxx…');
    assert.equal(formatJsonValue(undefined), "nothing");
  });
});
