import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError, type ErrorCode } from "../domain/errors.js";
import type { CommitMessage } from "./conventional-commits.js";
import { nextVersion, type NextVersion, type NextVersionInput } from "./next-version.js";

const sha = (n: number) => `${n}`.padStart(7, "a") + "0".repeat(33);
const fix: CommitMessage = { sha: sha(1), subject: "fix(api): reject empty ids", body: "" };
const feat: CommitMessage = { sha: sha(2), subject: "feat(api): orders endpoint", body: "" };
const breaking: CommitMessage = { sha: sha(3), subject: "refactor: ids are UUIDs", body: "BREAKING CHANGE: ids are UUIDs" };
const docs: CommitMessage = { sha: sha(4), subject: "docs: readme", body: "" };

function input(over: Partial<NextVersionInput>): NextVersionInput {
  return { service: "ingestion", current: "1.3.0", currentSha: "c0ffee1234567890", base: "0.1.0", commits: [], existingVersions: [], ...over };
}

// The reasons each commit gives when it decides the bump.
const FIX = "patch: aaaaaa1 fix(api): reject empty ids";
const FEAT = "minor: aaaaaa2 feat(api): orders endpoint";
const BREAKING = "major (BREAKING CHANGE): aaaaaa3 refactor: ids are UUIDs";
const FIRST = (base: string) => `first release of ingestion: version ${base} in slipway.service.yaml`;
const FINAL = (rc: string, final: string) => `release candidate ${rc} becomes ${final} (no feat/fix/breaking commits since)`;

describe("nextVersion", () => {
  // name, input (over current 1.3.0), then version, bump, changeType, reasons.
  const rows: [string, Partial<NextVersionInput>, string, NextVersion["bump"], NextVersion["changeType"], string[]][] = [
    // The first release is the base version; commits don't matter yet.
    ["first release: the base version", { current: undefined, commits: [feat] }, "0.1.0", undefined, "initial", [FIRST("0.1.0")]],
    ["first release as a candidate", { current: undefined, base: "1.0.0", prerelease: "rc", existingVersions: ["1.0.0-rc.1"] }, "1.0.0-rc.2", undefined, "initial", [FIRST("1.0.0")]],
    ["a base that is a prerelease is taken as is", { current: undefined, base: "2.0.0-beta.1" }, "2.0.0-beta.1", undefined, "initial", [FIRST("2.0.0-beta.1")]],
    // From the commits.
    ["fix → patch", { commits: [docs, fix] }, "1.3.1", "patch", "patch", [FIX]],
    ["feat → minor", { commits: [fix, feat] }, "1.4.0", "minor", "minor", [FEAT]],
    ["BREAKING CHANGE → major", { commits: [feat, breaking, fix] }, "2.0.0", "major", "major", [BREAKING]],
    ["the base version does not matter after the first release", { base: "5.0.0", commits: [fix] }, "1.3.1", "patch", "patch", [FIX]],
    // Release candidates.
    ["feat with --prerelease → the first rc of the minor", { commits: [feat], prerelease: "rc" }, "1.4.0-rc.1", "minor", "prerelease", [FEAT]],
    ["rc numbers count the existing ones", { commits: [feat], prerelease: "rc", existingVersions: ["1.4.0-rc.1", "1.4.0-rc.2", "x", "1.3.0"] }, "1.4.0-rc.3", "minor", "prerelease", [FEAT]],
    ["after rc.1, a fix gives rc.2 (the core already has the minor)", { current: "1.4.0-rc.1", commits: [fix], prerelease: "rc" }, "1.4.0-rc.2", "patch", "prerelease", [FIX]],
    ["after rc.1, a feat also stays in 1.4.0", { current: "1.4.0-rc.1", commits: [feat], prerelease: "rc" }, "1.4.0-rc.2", "minor", "prerelease", [FEAT]],
    ["after rc.1, a breaking change moves to 2.0.0-rc.1", { current: "1.4.0-rc.1", commits: [breaking], prerelease: "rc" }, "2.0.0-rc.1", "major", "prerelease", [BREAKING]],
    ["after a patch rc, a feat moves to the next minor", { current: "1.4.1-rc.1", commits: [feat], prerelease: "rc" }, "1.5.0-rc.1", "minor", "prerelease", [FEAT]],
    ["a fix after rc.2 without --prerelease releases 1.4.0", { current: "1.4.0-rc.2", commits: [fix] }, "1.4.0", "patch", "minor", [FIX]],
    ["nothing new after rc.2, no --prerelease: the candidate ships", { current: "1.4.0-rc.2", commits: [docs] }, "1.4.0", undefined, "minor", [FINAL("1.4.0-rc.2", "1.4.0")]],
    ["finalising 2.0.0-rc.1 is a major", { current: "2.0.0-rc.1" }, "2.0.0", undefined, "major", [FINAL("2.0.0-rc.1", "2.0.0")]],
    ["the last release counts as existing even when the list misses it", { current: "1.4.0-rc.3", commits: [fix], prerelease: "rc" }, "1.4.0-rc.4", "patch", "prerelease", [FIX]],
    // Explicit versions win.
    ["--version wins over the commits", { explicit: "3.0.0", commits: [fix] }, "3.0.0", "major", "major", ["given: --version 3.0.0"]],
    ["--version without commits", { explicit: "1.3.1" }, "1.3.1", "patch", "patch", ["given: --version 1.3.1"]],
    ["--version before the first release wins over the base", { current: undefined, explicit: "1.0.0" }, "1.0.0", undefined, "initial", ["given: --version 1.0.0"]],
    ["--version with --prerelease gives its next candidate", { explicit: "2.0.0", prerelease: "rc", existingVersions: ["2.0.0-rc.1"] }, "2.0.0-rc.2", "major", "prerelease", ["given: --version 2.0.0 --prerelease rc"]],
    ["--version of the next rc", { current: "1.4.0-rc.1", explicit: "1.4.0-rc.2" }, "1.4.0-rc.2", undefined, "prerelease", ["given: --version 1.4.0-rc.2"]],
    ["--version of the release of the current rc", { current: "1.4.0-rc.1", explicit: "1.4.0" }, "1.4.0", "minor", "minor", ["given: --version 1.4.0"]],
  ];
  for (const [name, over, version, bump, changeType, reasons] of rows) {
    it(name, () => assert.deepEqual(nextVersion(input(over)), { version, bump, changeType, reasons }));
  }

  // name, input (over current 1.3.0), then the error's code, message and hint.
  const errors: [string, Partial<NextVersionInput>, ErrorCode, RegExp, RegExp | undefined][] = [
    ["nothing to release", { commits: [docs] }, "USAGE",
      /^nothing to release: no feat\/fix\/breaking commits touch ingestion since 1\.3\.0 \(c0ffee1\)$/,
      /^1 commit touches it, none feat, fix, perf or breaking; to release anyway, pass --version \(e\.g\. --version 1\.3\.1\)$/],
    ["nothing to release, no commits at all, no sha known", { commits: [], currentSha: undefined }, "USAGE",
      /^nothing to release: no feat\/fix\/breaking commits touch ingestion since 1\.3\.0$/, /^to release anyway, pass --version \(e\.g\. --version 1\.3\.1\)$/],
    ["nothing to release in a candidate series", { current: "1.4.0-rc.2", commits: [docs], prerelease: "rc" }, "USAGE",
      /since 1\.4\.0-rc\.2/, /leave out --prerelease to release 1\.4\.0/],
    ["--version that is not a version", { explicit: "v1.4.0" }, "USAGE",
      /--version v1\.4\.0 is not a semantic version/, /no leading v/],
    ["--version with build metadata", { explicit: "1.4.0+build.7" }, "USAGE",
      /build metadata/, /drop the \+build\.7 part/],
    ["--version equal to the last release", { explicit: "1.3.0" }, "USAGE",
      /--version 1\.3\.0 is not above ingestion's last release 1\.3\.0/, /1\.3\.1, 1\.4\.0, 2\.0\.0/],
    ["--version below the last release", { explicit: "1.2.9", commits: [feat] }, "USAGE",
      /--version 1\.2\.9 is not above ingestion's last release 1\.3\.0/, /leave --version out/],
    ["--version of a candidate of the release already out", { explicit: "1.3.0-rc.9" }, "USAGE",
      /1\.3\.0-rc\.9 is not above .* 1\.3\.0/, /1\.3\.1/],
    ["--version below the current candidate", { current: "1.4.0-rc.2", explicit: "1.4.0-rc.1" }, "USAGE",
      /not above ingestion's last release 1\.4\.0-rc\.2/, /\(1\.4\.0, 2\.0\.0\)/],
    ["--version that is a prerelease, with --prerelease", { explicit: "1.4.0-rc.3", prerelease: "rc" }, "USAGE",
      /already a prerelease/, /--version 1\.4\.0 --prerelease rc/],
    ["a prerelease identifier that sorts below the current one", { current: "1.4.0-rc.1", commits: [fix], prerelease: "beta" }, "USAGE",
      /1\.4\.0-beta\.1 would sort below the last release 1\.4\.0-rc\.1/, /after "rc"/],
    ["a prerelease identifier that can't be one", { commits: [fix], prerelease: "r.c" }, "USAGE",
      /can't name a prerelease/, /rc, beta or alpha/],
    ["a base version that does not parse", { current: undefined, base: "1.0.0-01" }, "CONFIG_INVALID",
      /version 1\.0\.0-01 in ingestion's slipway.service.yaml/, /leading zeros/],
    ["a stored release that does not parse", { current: "latest", commits: [fix] }, "INTERNAL",
      /the last release of ingestion, "latest"/, undefined],
  ];
  for (const [name, over, code, message, hint] of errors) {
    it(`refuses: ${name}`, () => {
      assert.throws(
        () => nextVersion(input(over)),
        (e: unknown) => {
          assert.ok(e instanceof SlipwayError);
          assert.equal(e.code, code);
          assert.match(e.message, message);
          if (hint !== undefined) assert.match(e.hint ?? "", hint);
          return true;
        },
      );
    });
  }
});
