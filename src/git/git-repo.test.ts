import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { SlipwayError } from "../domain/errors.js";
import { GitRepo } from "./git-repo.js";

// A real repository: api/ and web/ services, a shared lib/, commits touching each.
function git(root: string, ...args: string[]): string {
  const identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"];
  return execFileSync("git", ["-C", root, ...identity, ...args], { encoding: "utf8" }).trim();
}

function commitFile(root: string, file: string, message: string[]): string {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), `${message.join("\n")}\n`, { flag: "a" });
  git(root, "add", "--", file);
  git(root, "commit", "-q", ...message.flatMap((m) => ["-m", m]));
  return git(root, "rev-parse", "HEAD");
}

function isUsageError(pattern: RegExp) {
  return (e: unknown) => e instanceof SlipwayError && e.code === "USAGE" && pattern.test(e.message + " " + (e.hint ?? ""));
}

describe("GitRepo.commitsTouching and isAncestor", () => {
  let root = "";
  let repo: GitRepo;
  const sha: Record<string, string> = {};

  before(() => {
    root = mkdtempSync(join(tmpdir(), "slipway-git-"));
    git(root, "init", "-q", "-b", "main");
    sha.first = commitFile(root, "api/main.ts", ["feat(api): first endpoint"]);
    sha.web = commitFile(root, "web/index.ts", ["feat(web): page"]);
    sha.release = commitFile(root, "api/server.ts", ["fix(api): handle empty body", "Longer explanation\nover two lines.", "BREAKING CHANGE: body is required"]);
    sha.lib = commitFile(root, "lib/util.ts", ["refactor: share util"]);
    sha.spaces = commitFile(root, "api/dir with spaces/x.ts", ["docs(api): notes"]);
    git(root, "checkout", "-q", "-b", "side", sha.first);
    sha.side = commitFile(root, "api/side.ts", ["feat(api): on a side branch"]);
    git(root, "checkout", "-q", "main");
    repo = new GitRepo(root);
  });

  after(() => rmSync(root, { recursive: true, force: true }));

  it("lists the commits touching the paths, newest first, with subject and body", async () => {
    const commits = await repo.commitsTouching(["api"]);
    assert.deepEqual(
      commits.map((c) => c.sha),
      [sha.spaces, sha.release, sha.first],
    );
    assert.deepEqual(commits[1], {
      sha: sha.release,
      subject: "fix(api): handle empty body",
      body: "Longer explanation\nover two lines.\n\nBREAKING CHANGE: body is required",
    });
    assert.equal(commits[2]?.body, "");
  });

  it("takes several paths, absolute ones too", async () => {
    const commits = await repo.commitsTouching([join(root, "api"), "lib"]);
    assert.deepEqual(
      commits.map((c) => c.subject),
      ["docs(api): notes", "refactor: share util", "fix(api): handle empty body", "feat(api): first endpoint"],
    );
  });

  it("lists only the commits after sinceSha", async () => {
    assert.deepEqual(
      (await repo.commitsTouching(["api"], sha.release)).map((c) => c.sha),
      [sha.spaces],
    );
    assert.deepEqual(
      (await repo.commitsTouching(["web"], sha.web?.slice(0, 8))).map((c) => c.sha),
      [],
    );
  });

  it("treats paths literally", async () => {
    assert.deepEqual(await repo.commitsTouching(["a*"]), []);
    assert.equal((await repo.commitsTouching(["api/dir with spaces"])).length, 1);
  });

  it("answers isAncestor for HEAD, ancestors and commits on another branch", async () => {
    assert.equal(await repo.isAncestor(sha.spaces ?? ""), true);
    assert.equal(await repo.isAncestor(sha.first ?? ""), true);
    assert.equal(await repo.isAncestor(sha.side ?? ""), false);
  });

  it("refuses a sinceSha that is not an ancestor of HEAD, naming both and where to look", async () => {
    await assert.rejects(repo.commitsTouching(["api"], sha.side), isUsageError(/is not an ancestor of HEAD.*git branch --contains/s));
  });

  it("refuses a commit the repository does not have, and things that are not shas", async () => {
    await assert.rejects(repo.isAncestor("0123456789abcdef0123456789abcdef01234567"), isUsageError(/is not in the git repository/));
    await assert.rejects(repo.commitsTouching(["api"], "--all"), isUsageError(/is not a commit sha/));
    await assert.rejects(repo.commitsTouching(["api"], "HEAD~1"), isUsageError(/is not a commit sha/));
  });

  it("says when a shallow clone is why a commit is missing", async () => {
    const shallow = mkdtempSync(join(tmpdir(), "slipway-git-shallow-"));
    try {
      execFileSync("git", ["clone", "-q", "--depth", "1", "--branch", "main", `file://${root}`, shallow]);
      await assert.rejects(new GitRepo(shallow).commitsTouching(["api"], sha.first), isUsageError(/git fetch --unshallow/));
    } finally {
      rmSync(shallow, { recursive: true, force: true });
    }
  });

  it("refuses an empty path list rather than reading the whole history", async () => {
    await assert.rejects(repo.commitsTouching([]), (e: unknown) => e instanceof SlipwayError && e.code === "INTERNAL");
  });

  it("finds no commits in a repository without any", async () => {
    const empty = mkdtempSync(join(tmpdir(), "slipway-git-empty-"));
    try {
      git(empty, "init", "-q");
      assert.deepEqual(await new GitRepo(empty).commitsTouching(["api"]), []);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
