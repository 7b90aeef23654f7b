// What CI needs from git: which files are part of the source (tracked, or new
// and not ignored), the commit, its time and the remote. One `git ls-files`
// per repository, however many services live in it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

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
}
