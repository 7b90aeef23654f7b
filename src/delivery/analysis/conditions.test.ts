import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assessConditions, ConditionEvaluationError, ConditionSyntaxError, parseCondition } from "./conditions.js";

const evaluate = (source: string, scope: Record<string, unknown>): boolean => parseCondition(source).evaluate(scope);

describe("conditions: evaluation", () => {
  const cases: [string, Record<string, unknown>, boolean][] = [
    ["result < 0.01", { result: 0.005 }, true],
    ["result < 0.01", { result: 0.01 }, false],
    ["result <= 0.01", { result: 0.01 }, true],
    ["result > 5", { result: 6 }, true],
    ["result >= 5", { result: 4.999 }, false],
    ["result == 3", { result: 3 }, true],
    ["result != 3", { result: 3 }, false],
    ["result == true", { result: true }, true],
    ["result", { result: true }, true],
    ["!result", { result: false }, true],
    ["not result", { result: false }, true],
    ["result == 'ok'", { result: "ok" }, true],
    ['result != "ok"', { result: "degraded" }, true],
    ["result < 'b'", { result: "a" }, true],
    ["result == null", { result: null }, true],
    ["result[0] >= 0.95", { result: [0.97] }, true],
    ["result[1] >= 0.95", { result: [0.97, 0.5] }, false],
    ["len(result) == 0", { result: [] }, true],
    ["len(result) == 0 || result[0] < 1", { result: [] }, true],
    ["len(result) > 0 && result[0] < 1", { result: [] }, false],
    ["len(result) == 2", { result: "ab" }, true],
    ["isNaN(result)", { result: NaN }, true],
    ["isNaN(result) || result < 0.01", { result: 0.5 }, false],
    ["isNaN(result[0])", { result: [NaN] }, true],
    ["result <= baseline * 1.2", { result: 119, baseline: 100 }, true],
    ["result <= baseline * 1.2", { result: 121, baseline: 100 }, false],
    ["result - baseline < 0.01", { result: 0.015, baseline: 0.01 }, true],
    ["abs(result - baseline) < 0.01", { result: 0.005, baseline: 0.02 }, false],
    ["result / 2 + 1 == 3", { result: 4 }, true],
    ["-result < 0", { result: 1 }, true],
    ["result > -0.5", { result: -0.25 }, true],
    ["(result > 1 || result < -1) && result != 5", { result: 5 }, false],
    ["result > 1 || result < -1 && result != 5", { result: 5 }, true],
    ["result.status == 'green'", { result: { status: "green" } }, true],
    ["result['p99'] < 250", { result: { p99: 200 } }, true],
    ["result[0].value < 1e-3", { result: [{ value: 5e-4 }] }, true],
    ["result > .5 and result < 1.5", { result: 1 }, true],
    ["not result == 1", { result: 1 }, false],
    ["true", { result: 0 }, true],
  ];
  for (const [source, scope, expected] of cases) {
    it(`${source} with ${JSON.stringify(scope)} is ${expected}`, () => assert.equal(evaluate(source, scope), expected));
  }

  it("reports which names a condition reads", () => {
    assert.deepEqual([...parseCondition("result <= baseline * 1.2").names].sort(), ["baseline", "result"]);
    assert.deepEqual([...parseCondition("len(result) == 0").names], ["result"]);
  });
});

describe("conditions: parse errors name the column", () => {
  const cases: [string, number, RegExp][] = [
    ["", 1, /the condition is empty/],
    ["result <", 9, /expected a value .* found the end of the condition/],
    ["result < 0.01 &&", 17, /expected a value/],
    ["result = 1", 8, /unexpected "=" \(compare with "=="\)/],
    ["result & 1", 8, /use "&&"/],
    ["(result < 1", 12, /expected "\)" to close the "\(" at column 1/],
    ["result[0 < 1", 13, /expected "\]" to close the "\[" at column 7/],
    ["reslut < 1", 1, /unknown name "reslut" \(did you mean result\?\)/],
    ["count < 1", 1, /unknown name "count"/],
    ["lenn(result) == 0", 1, /unknown function "lenn" \(did you mean len\?\)/],
    ["len(result, 1) == 0", 11, /len takes one argument/],
    ["result == 'open", 11, /the string is not closed/],
    ["0 < result < 1", 12, /comparisons do not chain/],
    ["result < 1 result", 12, /unexpected "result"/],
    ["result < 1x", 11, /a number runs into letters/],
    ["result # 1", 8, /unexpected "#"/],
    ["result.", 8, /expected a key after "."/],
  ];
  for (const [source, column, message] of cases) {
    it(JSON.stringify(source), () => {
      assert.throws(
        () => parseCondition(source, { label: "successCondition" }),
        (err: unknown) => {
          assert.ok(err instanceof ConditionSyntaxError);
          assert.equal(err.code, "CONFIG_INVALID");
          assert.equal(err.column, column, err.message);
          assert.match(err.message, message);
          assert.match(err.message, new RegExp(`^successCondition ".*" is not valid: .* at column ${column}$`));
          return true;
        },
      );
    });
  }

  it("points at the column under the condition", () => {
    const err = (() => {
      try {
        parseCondition("result <> 1");
      } catch (e) {
        return e as ConditionSyntaxError;
      }
      throw new Error("parsed");
    })();
    assert.equal(err.explain().split("\n").slice(1).join("\n"), "  result <> 1\n          ^");
  });

  it("accepts other names when told", () => {
    assert.equal(parseCondition("canary < stable", { names: ["canary", "stable"] }).evaluate({ canary: 1, stable: 2 }), true);
  });
});

describe("conditions: values that do not fit are evaluation errors, not false", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["result < 0.01", { result: "0.005" }, /cannot compare the string "0.005" with the number 0.01 using </],
    ["result[0] < 1", { result: [] }, /\[\] has 0 items, so \[0\] is out of range \(column 1\)/],
    ["result < 1", { result: [0.5] }, /cannot compare the array/],
    ["isNaN(result)", { result: [1] }, /isNaN takes a number.*write isNaN\(result\[0\]\)/],
    ["result && true", { result: 1 }, /&& needs true or false, not the number 1/],
    ["result * 2 > 1", { result: "a" }, /\* needs numbers/],
    ["result + 1", { result: 1 }, /must be true or false, but it is 2/],
    ["result <= baseline", { result: 1 }, /baseline has no value/],
    ["result.missing == 1", { result: { other: 1 } }, /has no key "missing"/],
    ["result == [1]", { result: 1 }, /unexpected "\["|expected a value/],
  ];
  for (const [source, scope, message] of cases) {
    it(`${source} with ${JSON.stringify(scope)}`, () => {
      let thrown: unknown;
      try {
        parseCondition(source).evaluate(scope);
      } catch (err) {
        thrown = err;
      }
      assert.ok(thrown instanceof ConditionEvaluationError || thrown instanceof ConditionSyntaxError, String(thrown));
      assert.match((thrown as Error).message, message);
    });
  }
});

describe("assessConditions follows Argo Rollouts", () => {
  const success = parseCondition("result < 10");
  const failure = parseCondition("result > 20");
  const cases: [string, { success?: typeof success; failure?: typeof failure }, unknown, string][] = [
    ["both, success holds", { success, failure }, 5, "successful"],
    ["both, failure holds", { success, failure }, 25, "failed"],
    ["both, neither holds", { success, failure }, 15, "inconclusive"],
    ["only success, holds", { success }, 5, "successful"],
    ["only success, does not hold", { success }, 15, "failed"],
    ["only failure, holds", { failure }, 25, "failed"],
    ["only failure, does not hold", { failure }, 15, "successful"],
    ["neither, true", {}, true, "successful"],
    ["neither, false", {}, false, "failed"],
    ["neither, a number is only recorded", {}, 42, "successful"],
  ];
  for (const [name, conditions, result, phase] of cases) {
    it(name, () => assert.equal(assessConditions(conditions, { result }).phase, phase));
  }

  it("lets failure win when both hold", () => {
    const verdict = assessConditions({ success: parseCondition("result > 0"), failure: parseCondition("result > 1") }, { result: 5 });
    assert.deepEqual(verdict, { phase: "failed", reason: "failureCondition result > 1 holds" });
  });
});
