import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "./errors.js";
import { nanoCpus, parseMemoryQuantity } from "./quantity.js";

describe("parseMemoryQuantity", () => {
  const cases: [string, number][] = [
    ["128Mi", 134_217_728],
    ["1Gi", 1_073_741_824],
    ["500M", 500_000_000],
    ["64Ki", 65_536],
    ["2k", 2_000],
    ["2K", 2_000],
    ["1.5Gi", 1_610_612_736],
    ["0.3G", 300_000_000],
    ["1.1Mi", 1_153_434],
    ["0.5", 1],
    ["1048576", 1_048_576],
    ["1Ti", 2 ** 40],
    [" 256Mi ", 268_435_456],
  ];
  for (const [text, bytes] of cases) {
    it(`${JSON.stringify(text)} is ${bytes} bytes`, () => assert.equal(parseMemoryQuantity(text), bytes));
  }

  const invalid: [string, RegExp][] = [
    ["", /not a memory quantity/],
    ["128mb", /not a memory quantity/],
    ["1.5.2Gi", /not a memory quantity/],
    ["-1Gi", /not a memory quantity/],
    ["Gi", /not a memory quantity/],
    ["100m", /thousandth of a byte; did you mean "Mi"/],
    ["8Ei", /more memory than any machine/],
  ];
  for (const [text, message] of invalid) {
    it(`${JSON.stringify(text)} is refused`, () =>
      assert.throws(() => parseMemoryQuantity(text), (err: unknown) => err instanceof SlipwayError && err.code === "CONFIG_INVALID" && message.test(err.message)));
  }
});

describe("nanoCpus", () => {
  it("reads CPUs as billionths", () => {
    assert.equal(nanoCpus(0.5), 500_000_000);
    assert.equal(nanoCpus(2), 2_000_000_000);
    assert.equal(nanoCpus(0.1), 100_000_000);
  });
  it("refuses zero, negative and non-finite amounts", () => {
    for (const cpus of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => nanoCpus(cpus), SlipwayError);
  });
});
