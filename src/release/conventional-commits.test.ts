import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bumpFromCommits, parseConventionalCommit, type CommitMessage, type ConventionalCommit } from "./conventional-commits.js";

describe("parseConventionalCommit", () => {
  const rows: [string, ConventionalCommit | undefined][] = [
    ["feat: add orders endpoint", { type: "feat", breaking: false, description: "add orders endpoint" }],
    ["fix(api): reject empty ids", { type: "fix", scope: "api", breaking: false, description: "reject empty ids" }],
    ["feat(api)!: drop v1 routes", { type: "feat", scope: "api", breaking: true, description: "drop v1 routes" }],
    ["refactor!: rename env vars", { type: "refactor", breaking: true, description: "rename env vars" }],
    ["FEAT(Api): shout", { type: "feat", scope: "Api", breaking: false, description: "shout" }], // Types are case-insensitive.
    ["Fix: capitalised", { type: "fix", breaking: false, description: "capitalised" }],
    ["feat(ui/cart-v2): nested scope", { type: "feat", scope: "ui/cart-v2", breaking: false, description: "nested scope" }],
    ["feat:  two spaces  ", { type: "feat", breaking: false, description: "two spaces" }],
    ["chore(deps): bump zod\r\n\r\nbody", { type: "chore", scope: "deps", breaking: false, description: "bump zod" }],
    ["fix: x\n\nLonger body.\n\nBREAKING CHANGE: ids are now UUIDs", { type: "fix", breaking: true, description: "x" }],
    ["fix: x\n\nBREAKING-CHANGE: same token with a dash", { type: "fix", breaking: true, description: "x" }],
    ["docs: x\n\nbody\n\nRefs: #12\nBREAKING CHANGE: among other footers\nReviewed-by: Z", { type: "docs", breaking: true, description: "x" }],
    ["fix: x\n\nbreaking change: lowercase is not the token", { type: "fix", breaking: false, description: "x" }],
    ["fix: x\n\nBREAKING CHANGES: plural is not the token", { type: "fix", breaking: false, description: "x" }],
    ["fix: x\n\nmentions BREAKING CHANGE: mid-line", { type: "fix", breaking: false, description: "x" }],
    ["fix: BREAKING CHANGE: in the subject is a description", { type: "fix", breaking: false, description: "BREAKING CHANGE: in the subject is a description" }],
    // Not conventional commits.
    ["add orders endpoint", undefined],
    ["feat:missing space", undefined],
    ["feat : space before colon", undefined],
    ["feat: ", undefined],
    ["feat(): empty scope", undefined],
    ["feat( ): blank scope", undefined],
    ["feat(a)(b): two scopes", undefined],
    ["feat!(api): bang before scope", undefined],
    ["Merge branch 'feat: x' into main", undefined],
    ['Revert "feat: add orders endpoint"', undefined],
    ["  feat: leading space", undefined],
    ["", undefined],
    ["\nfeat: header on the second line", undefined],
  ];
  for (const [message, expected] of rows) {
    it(`${JSON.stringify(message)} → ${expected === undefined ? "not conventional" : JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseConventionalCommit(message), expected);
    });
  }
});

describe("bumpFromCommits", () => {
  let n = 0;
  function commit(subject: string, body = ""): CommitMessage {
    n += 1;
    return { sha: `${String(n).padStart(7, "0")}${"f".repeat(33)}`, subject, body };
  }

  it("picks nothing from nothing", () => assert.deepEqual(bumpFromCommits([]), { bump: undefined, reasons: [] }));

  it("picks nothing when no commit calls for a release", () => {
    const commits = ["docs: readme", "chore: deps", "test: more", "ci: cache", "refactor: split", "style: fmt", "build: tsc 6", "wip", "security: x"].map((s) =>
      commit(s),
    );
    assert.deepEqual(bumpFromCommits(commits), { bump: undefined, reasons: [] });
  });

  const rows: [string, CommitMessage[], ReturnType<typeof bumpFromCommits>][] = [
    ["a fix is a patch", [commit("docs: x"), commit("fix(api): reject empty ids")], { bump: "patch", reasons: ["patch: 0000002 fix(api): reject empty ids"] }],
    ["perf is a patch", [commit("perf: cache lookups")], { bump: "patch", reasons: ["patch: 0000003 perf: cache lookups"] }],
    [
      "a feat outranks fixes, and every feat is a reason, newest first",
      [commit("feat: b"), commit("fix: a"), commit("Feat(ui): c")],
      { bump: "minor", reasons: ["minor: 0000004 feat: b", "minor: 0000006 Feat(ui): c"] },
    ],
    [
      "a ! on any type is a major",
      [commit("feat: b"), commit("chore!: drop node 18")],
      { bump: "major", reasons: ["major: 0000008 chore!: drop node 18"] },
    ],
    [
      "a BREAKING CHANGE footer is a major, and the reason says so",
      [commit("fix: a", "Details.\n\nBREAKING CHANGE: ids are UUIDs\n"), commit("feat: b")],
      { bump: "major", reasons: ["major (BREAKING CHANGE): 0000009 fix: a"] },
    ],
    [
      "a BREAKING CHANGE in a message that is not a conventional commit decides nothing",
      [commit("Update things", "BREAKING CHANGE: whatever"), commit("fix: a")],
      { bump: "patch", reasons: ["patch: 0000012 fix: a"] },
    ],
    ["a type named like an Object key is just an unknown type", [commit("constructor: x"), commit("__proto__: y")], { bump: undefined, reasons: [] }],
  ];
  for (const [name, commits, expected] of rows) {
    it(name, () => assert.deepEqual(bumpFromCommits(commits), expected));
  }
});
