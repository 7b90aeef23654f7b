// What CI needs from git: which files are part of the source (tracked, or new
// and not ignored), the commit, its time and the remote. One `git ls-files`
// per repository, however many services live in it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { promisify } from "node:util";
import { SlipwayError } from "../domain/errors.js";

const run = promisify(execFile);

/** A commit as `git log` reports it: `subject` is the first paragraph on one line, `body` the rest. */
export interface LoggedCommit {
  sha: string;
  subject: string;
  body: string;
}

export interface Commit {
  sha: string;
  /** Seconds since the epoch: SOURCE_DATE_EPOCH for reproducible images. */
  time: number;
  dirty: boolean;
}

/** The folder holding `.git` (a folder, or a file for worktrees) at or above `dir`, if any. */
export function findRepoRoot(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, ".git"))) return d;
    if (dirname(d) === d) return undefined;
  }
}

async function git(root: string, args: string[]): Promise<string> {
  const { stdout } = await run("git", ["-C", root, ...args], { maxBuffer: 256 * 1024 * 1024, encoding: "utf8" });
  return stdout;
}

export class GitRepo {
  readonly root: string;
  private files: Promise<string[]> | undefined;

  constructor(root: string) {
    this.root = root;
  }

  /** Tracked files and untracked ones that .gitignore does not ignore, relative to the repo root, with `/`. */
  sourceFiles(): Promise<string[]> {
    this.files ??= git(this.root, ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]).then((out) =>
      [...new Set(out.split("\0").filter((f) => f !== ""))].filter((f) => existsSync(join(this.root, f))),
    );
    return this.files;
  }

  /** Untracked files that .gitignore does not ignore, relative to the repo root; read anew each call (a build may just have written some). */
  async untrackedFiles(): Promise<Set<string>> {
    const out = await git(this.root, ["ls-files", "-z", "--others", "--exclude-standard"]);
    return new Set(out.split("\0").filter((f) => f !== ""));
  }

  /** Source files under `dir`, relative to `dir`. */
  async sourceFilesUnder(dir: string): Promise<string[]> {
    const prefix = relative(this.root, dir).split(sep).join("/");
    const files = await this.sourceFiles();
    if (prefix === "") return files;
    return files.filter((f) => f.startsWith(prefix + "/")).map((f) => f.slice(prefix.length + 1));
  }

  async head(): Promise<Commit | undefined> {
    try {
      const [sha = "", time = "0"] = (await git(this.root, ["log", "-1", "--format=%H %ct"])).trim().split(" ");
      const status = await git(this.root, ["status", "--porcelain", "--untracked-files=no"]);
      return { sha, time: Number(time), dirty: status.trim() !== "" };
    } catch {
      return undefined; // No commits yet.
    }
  }

  async remoteUrl(): Promise<string | undefined> {
    try {
      return (await git(this.root, ["remote", "get-url", "origin"])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** Files changed since `ref` (committed, staged, unstaged and untracked), relative to the repo root. */
  async changedSince(ref: string): Promise<string[]> {
    const diff = await git(this.root, ["diff", "--name-only", "-z", ref, "--"]);
    const untracked = await git(this.root, ["ls-files", "-z", "--others", "--exclude-standard"]);
    return [...new Set([...diff.split("\0"), ...untracked.split("\0")].filter((f) => f !== ""))].sort();
  }

  /**
   * Commits that touch any of `paths` (relative to the repo root, or absolute), newest first;
   * with `sinceSha`, only those after it (`sinceSha..HEAD`), which must then be an ancestor of HEAD.
   */
  async commitsTouching(paths: readonly string[], sinceSha?: string): Promise<LoggedCommit[]> {
    // An empty pathspec would mean the whole repository: never what a service asks for.
    if (paths.length === 0) throw new SlipwayError("INTERNAL", "commitsTouching needs at least one path");
    if (!(await this.hasCommits())) return [];
    if (sinceSha !== undefined && !(await this.isAncestor(sinceSha))) throw await this.notAncestorError(sinceSha);
    const range = sinceSha === undefined ? "HEAD" : `${sinceSha}..HEAD`;
    // Literal pathspecs: a folder named ":x" or "*" is a folder, not pathspec magic.
    const out = await git(this.root, ["--literal-pathspecs", "log", "-z", "--no-show-signature", "--format=%H%x00%s%x00%b", range, "--", ...paths]);
    const fields = out.split("\0"); // Each commit is sha NUL subject NUL body NUL; messages can't hold NUL.
    const commits: LoggedCommit[] = [];
    for (let i = 0; i + 2 < fields.length; i += 3) {
      commits.push({ sha: fields[i] ?? "", subject: fields[i + 1] ?? "", body: (fields[i + 2] ?? "").trimEnd() });
    }
    return commits;
  }

  /** True when commit `sha` is HEAD or reachable from it; a SlipwayError when the repository does not have it. */
  async isAncestor(sha: string): Promise<boolean> {
    if (!/^[0-9a-f]{4,64}$/i.test(sha)) throw new SlipwayError("USAGE", `"${sha}" is not a commit sha`);
    if (!(await this.hasCommit(sha))) throw await this.unknownCommitError(sha);
    try {
      await git(this.root, ["merge-base", "--is-ancestor", sha, "HEAD"]);
      return true;
    } catch (err) {
      if (exitCode(err) === 1) return false; // 1 is "no"; anything else is a real failure.
      throw err;
    }
  }

  private async hasCommits(): Promise<boolean> {
    return this.hasCommit("HEAD");
  }

  private async hasCommit(rev: string): Promise<boolean> {
    try {
      await git(this.root, ["rev-parse", "--verify", "--quiet", `${rev}^{commit}`]);
      return true;
    } catch {
      return false;
    }
  }

  private async unknownCommitError(sha: string): Promise<SlipwayError> {
    const shallow = (await git(this.root, ["rev-parse", "--is-shallow-repository"])).trim() === "true";
    return new SlipwayError("USAGE", `commit ${sha} is not in the git repository at ${this.root}`, {
      hint: shallow
        ? "this clone is shallow: fetch the full history (`git fetch --unshallow`, or fetch-depth: 0 in CI)"
        : "fetch the branch that holds it (`git fetch origin`); if history was rewritten, the commit is gone",
    });
  }

  private async notAncestorError(sha: string): Promise<SlipwayError> {
    const head = (await git(this.root, ["rev-parse", "--short", "HEAD"])).trim();
    return new SlipwayError("USAGE", `commit ${sha} is not an ancestor of HEAD (${head}), so there are no "commits since" it on this branch`, {
      hint: `check out a branch that contains it (\`git branch --contains ${sha}\` lists them); history may have been rewritten since`,
    });
  }
}

function exitCode(err: unknown): unknown {
  return typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
}
