import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "./errors.js";
import {
  bump,
  compareSemver,
  diffSemver,
  formatSemver,
  isPrerelease,
  maxSemver,
  nextPrerelease,
  parseSemver,
  type Bump,
  type SemVer,
} from "./semver.js";

function v(text: string): SemVer {
  const parsed = parseSemver(text);
  assert.ok(parsed, `${text} should parse`);
  return parsed;
}

describe("parseSemver", () => {
  const valid: [string, Partial<SemVer>][] = [
    ["0.0.0", { major: 0, minor: 0, patch: 0, prerelease: [], build: [] }],
    ["1.2.3", { major: 1, minor: 2, patch: 3 }],
    ["10.20.30", { major: 10, minor: 20, patch: 30 }],
    ["1.4.0-rc.1", { prerelease: ["rc", "1"], build: [] }],
    ["1.0.0-alpha", { prerelease: ["alpha"] }],
    ["1.0.0-alpha.beta.1", { prerelease: ["alpha", "beta", "1"] }],
    ["1.0.0-0.3.7", { prerelease: ["0", "3", "7"] }],
    ["1.0.0-x.7.z.92", { prerelease: ["x", "7", "z", "92"] }],
    ["1.0.0-x-y-z.--", { prerelease: ["x-y-z", "--"] }],
    ["1.0.0-0A.is.legal", { prerelease: ["0A", "is", "legal"] }],
    ["1.0.0-alpha+001", { prerelease: ["alpha"], build: ["001"] }],
    ["1.0.0+20130313144700", { prerelease: [], build: ["20130313144700"] }],
    ["1.0.0-beta+exp.sha.5114f85", { prerelease: ["beta"], build: ["exp", "sha", "5114f85"] }],
    ["1.0.0+21AF26D3----117B344092BD", { build: ["21AF26D3----117B344092BD"] }],
    ["9007199254740991.0.0", { major: Number.MAX_SAFE_INTEGER }],
  ];
  for (const [text, expected] of valid) {
    it(`parses ${text} and formats it back`, () => {
      const parsed = v(text);
      assert.deepEqual({ ...parsed, ...expected }, parsed);
      assert.equal(formatSemver(parsed), text);
    });
  }

  const invalid = [
    "", "1", "1.2", "1.2.3.4", "v1.2.3", " 1.2.3", "1.2.3 ", "01.2.3", "1.02.3", "1.2.03",
    "1.2.3-", "1.2.3+", "1.2.3-rc..1", "1.2.3-01", "1.2.3-rc.01", "1.2.3-rc_1", "1.2.3+a..b", "1.2.3+ä",
    "-1.2.3", "1.2.-3", "1.2.3-+", "a.b.c", "1.2.3-rc.1+", "9007199254740992.0.0",
  ];
  for (const text of invalid) {
    it(`rejects ${JSON.stringify(text)}`, () => assert.equal(parseSemver(text), undefined));
  }
});

describe("compareSemver", () => {
  it("orders semver.org's precedence examples", () => {
    const ordered = [
      "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0",
      "2.0.0", "2.1.0", "2.1.1",
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const [a = "", b = ""] = [ordered[i], ordered[j]];
        assert.equal(compareSemver(v(a), v(b)), Math.sign(i - j), `${a} vs ${b}`);
      }
    }
  });

  const rows: [string, string, -1 | 0 | 1][] = [
    ["1.0.0", "1.0.0", 0],
    ["1.0.0+a", "1.0.0+b", 0], // Build metadata has no precedence.
    ["1.0.0-rc.1+a", "1.0.0-rc.1", 0],
    ["1.9.0", "1.10.0", -1], // Numeric, not textual.
    ["1.0.0-rc.9", "1.0.0-rc.10", -1],
    ["1.0.0-rc.99999999999999999999", "1.0.0-rc.100000000000000000000", -1], // Beyond 2^53.
    ["1.0.0-1", "1.0.0-a", -1], // Numbers sort below words.
    ["1.0.0-rc", "1.0.0-rc.0", -1], // A longer list wins when all before are equal.
    ["1.0.0-Beta", "1.0.0-alpha", -1], // ASCII order: uppercase first.
    ["1.0.0-1a", "1.0.0-2", 1], // "1a" is a word, not a number.
    ["0.9.9", "1.0.0-alpha", -1],
    ["1.4.0-rc.2", "1.4.0", -1],
    ["1.4.1-rc.1", "1.4.0", 1],
  ];
  for (const [a, b, expected] of rows) {
    it(`${a} ${["<", "=", ">"][expected + 1]} ${b}`, () => {
      assert.equal(compareSemver(v(a), v(b)), expected);
      assert.equal(compareSemver(v(b), v(a)), -expected || 0);
    });
  }
});

describe("maxSemver and isPrerelease", () => {
  it("picks the highest precedence, the first of equals, and nothing from nothing", () => {
    assert.equal(maxSemver([]), undefined);
    assert.equal(formatSemver(maxSemver(["1.4.0-rc.2", "1.3.9", "1.4.0-rc.10", "1.2.0"].map(v)) ?? v("0.0.0")), "1.4.0-rc.10");
    assert.equal(formatSemver(maxSemver(["1.4.0-rc.2", "1.4.0", "0.1.0"].map(v)) ?? v("0.0.0")), "1.4.0");
    assert.equal(formatSemver(maxSemver(["1.0.0+a", "1.0.0+b"].map(v)) ?? v("0.0.0")), "1.0.0+a");
  });

  it("tells prereleases from releases", () => {
    assert.equal(isPrerelease(v("1.4.0-rc.1")), true);
    assert.equal(isPrerelease(v("1.4.0+build.1")), false);
  });
});

describe("bump", () => {
  const rows: [string, Bump, string][] = [
    ["1.3.7", "patch", "1.3.8"],
    ["1.3.7", "minor", "1.4.0"],
    ["1.3.7", "major", "2.0.0"],
    ["0.1.0", "minor", "0.2.0"],
    ["1.3.7+build.5", "patch", "1.3.8"], // Build metadata is dropped.
    // A prerelease whose core already reflects the bump is finalised, as npm's semver.inc does.
    ["1.4.0-rc.2", "minor", "1.4.0"],
    ["1.4.0-rc.2", "patch", "1.4.0"],
    ["1.4.0-rc.2", "major", "2.0.0"],
    ["2.0.0-rc.1", "major", "2.0.0"],
    ["2.0.0-rc.1", "minor", "2.0.0"],
    ["2.0.0-rc.1", "patch", "2.0.0"],
    ["1.4.1-rc.1", "patch", "1.4.1"],
    ["1.4.1-rc.1", "minor", "1.5.0"],
    ["1.4.1-rc.1", "major", "2.0.0"],
    ["1.4.0-rc.1+b", "minor", "1.4.0"],
  ];
  for (const [from, level, expected] of rows) {
    it(`${from} + ${level} = ${expected}`, () => assert.equal(formatSemver(bump(v(from), level)), expected));
  }
});

describe("nextPrerelease", () => {
  const rows: [string, string | undefined, string[], string][] = [
    ["1.4.0", undefined, [], "1.4.0-rc.1"],
    ["1.4.0", "rc", ["1.4.0-rc.1"], "1.4.0-rc.2"],
    ["1.4.0", "rc", ["1.4.0-rc.2", "1.4.0-rc.1", "1.4.0-rc.10"], "1.4.0-rc.11"],
    ["1.4.0", "rc", ["1.3.0-rc.5", "1.4.1-rc.3", "2.4.0-rc.3"], "1.4.0-rc.1"], // Other cores don't count.
    ["1.4.0", "rc", ["1.4.0-beta.4", "1.4.0-rc.x", "1.4.0-rc.1.hotfix", "1.4.0-rc"], "1.4.0-rc.1"], // Nor other schemes.
    ["1.4.0", "beta", ["1.4.0-rc.2", "1.4.0-beta.1"], "1.4.0-beta.2"],
    ["1.4.0", "rc", ["1.4.0-rc.1+build.7"], "1.4.0-rc.2"],
    ["1.4.0-rc.2", "rc", [], "1.4.0-rc.3"], // The version itself counts.
    ["1.4.0-beta.3", "rc", [], "1.4.0-rc.1"],
    ["1.4.0+b", "rc", [], "1.4.0-rc.1"],
  ];
  for (const [from, id, existing, expected] of rows) {
    it(`${from} ${id ?? "(rc)"} with [${existing.join(", ")}] → ${expected}`, () => {
      assert.equal(formatSemver(nextPrerelease(v(from), id, existing.map(v))), expected);
    });
  }

  for (const id of ["", "r.c", "rc_1", "7"]) {
    it(`refuses the identifier ${JSON.stringify(id)}`, () => {
      assert.throws(() => nextPrerelease(v("1.4.0"), id), (e: unknown) => e instanceof SlipwayError && e.code === "USAGE");
    });
  }
});

describe("diffSemver", () => {
  const rows: [string, string, ReturnType<typeof diffSemver>][] = [
    ["1.3.0", "1.3.0", undefined],
    ["1.3.0", "1.3.0+b", undefined],
    ["1.3.0", "1.3.1", "patch"],
    ["1.3.0", "1.4.0", "minor"],
    ["1.3.0", "2.0.0", "major"],
    ["1.3.0", "1.4.0-rc.1", "minor"],
    ["1.4.0-rc.1", "1.4.0-rc.2", "prerelease"],
    ["1.4.0-rc.1", "1.4.0", "minor"], // Finalising: the level the core stands for.
    ["2.0.0-rc.1", "2.0.0", "major"],
    ["1.4.1-rc.1", "1.4.1", "patch"],
  ];
  for (const [from, to, expected] of rows) {
    it(`${from} → ${to}: ${expected ?? "no change"}`, () => assert.equal(diffSemver(v(from), v(to)), expected));
  }
});
