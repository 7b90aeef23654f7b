import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConditionSyntaxError, parseConditionTree } from "./condition-parser.js";
import { checkConditionTypes, type ConditionScope } from "./condition-types.js";

const router: ConditionScope = { result: "number", baseline: "number" };
const prometheus: ConditionScope = { result: "any", baseline: "any" };
const job: ConditionScope = { result: "boolean" };

/** The problem and its column, or "ok". */
function check(source: string, scope: ConditionScope): string {
  try {
    checkConditionTypes(parseConditionTree(source, "successCondition", ["result", "baseline"]).tree, scope, source, "successCondition");
    return "ok";
  } catch (err) {
    assert.ok(err instanceof ConditionSyntaxError);
    return `${err.column}: ${err.problem}`;
  }
}

describe("condition types", () => {
  const rows: [string, ConditionScope, string][] = [
    ["result < 0.01", router, "ok"],
    ["isNaN(result) || result <= baseline * 1.2", router, "ok"],
    ["abs(result - baseline) < 0.01 && !(result > 1)", router, "ok"],
    ["result == null", router, "ok"],
    ["result[0] <= baseline[0] * 1.2", prometheus, "ok"],
    ["len(result) == 0 || result[0] < 0.01", prometheus, "ok"],
    ["result == 'ok'", prometheus, "ok"],
    ["result", job, "ok"],
    ["result == true", job, "ok"],
    ["result", router, "1: a condition must be true or false, but this one is a number (compare it, e.g. result < 0.01)"],
    ["result * 100", router, "1: a condition must be true or false, but this one is a number"],
    ["result[0] < 1", router, "1: result is a number here, which cannot be indexed"],
    ["len(result) > 0", router, "1: len takes a list, a string or an object, but result is a number here"],
    ["isNaN(result == 1)", router, "1: isNaN takes a number, but this value is true or false here"],
    ["result < 'a'", router, "1: cannot compare a number with a string using <"],
    ["result != 'a'", router, "1: result is a number and \"a\" is a string, so != is always true"],
    ["result < 1 && result", router, "15: && needs true or false, but result is a number here"],
    ["!result", router, "2: ! needs true or false, but result is a number here"],
    ["-result > 0 || result + true > 1", router, "25: + needs a number, but true is true or false here"],
    ["result > 0.5", job, "1: > compares two numbers or two strings, but result is true or false here"],
  ];
  for (const [source, scope, expected] of rows) {
    it(`${JSON.stringify(source)} → ${expected}`, () => assert.equal(check(source, scope), expected));
  }
});
