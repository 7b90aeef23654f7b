// Conventional Commits 1.0.0 (conventionalcommits.org): which commits call
// for which version bump. Pure parsing, no git.
//
// Case: the spec makes every part case-insensitive except BREAKING CHANGE, so
// `FEAT:` is a feat and the type is reported lowercase, while a lowercase
// `breaking change:` footer is just text. A BREAKING CHANGE / BREAKING-CHANGE
// footer counts at the start of any line after the header, as
// conventional-changelog reads it. Messages that are not conventional commits
// (merges, reverts, "wip") decide nothing, even with a BREAKING CHANGE line.
import type { Bump } from "../domain/semver.js";

export interface ConventionalCommit {
  /** Lowercase, e.g. "feat". */
  type: string;
  scope?: string;
  breaking: boolean;
  description: string;
}

/** A commit as git log gives it: `subject` is the first paragraph, `body` the rest. */
export interface CommitMessage {
  sha: string;
  subject: string;
  body: string;
}

export interface BumpDecision {
  /** Undefined when no commit calls for a release (only docs, chore, ...). */
  bump: Bump | undefined;
  /** One line per commit at the deciding level: level, short sha and subject. */
  reasons: string[];
}

// type(scope)!: description — type a word, scope anything but parentheses.
const header = /^([A-Za-z][A-Za-z0-9-]*)(?:\(([^()\r\n]+)\))?(!)?: +(\S.*)$/;
const breakingFooter = /^BREAKING[ -]CHANGE: /m;

const bumpOfType = new Map<string, Bump>([["feat", "minor"], ["fix", "patch"], ["perf", "patch"]]);
const rank: Record<Bump, number> = { patch: 1, minor: 2, major: 3 };

/** The parts of a conventional commit message (header line, then optional body and footers), or undefined. */
export function parseConventionalCommit(message: string): ConventionalCommit | undefined {
  const newline = message.indexOf("\n");
  const [first, rest] = newline === -1 ? [message, ""] : [message.slice(0, newline), message.slice(newline + 1)];
  const m = header.exec(first.trimEnd());
  if (m === null) return undefined;
  const [, type = "", scope, bang, description = ""] = m;
  if (scope !== undefined && scope.trim() === "") return undefined;
  const scoped = scope === undefined ? {} : { scope: scope.trim() };
  return { type: type.toLowerCase(), ...scoped, breaking: bang === "!" || breakingFooter.test(rest), description };
}

/** The highest bump the commits call for (feat minor, fix/perf patch, `!` or BREAKING CHANGE major), and the commits that decided it. */
export function bumpFromCommits(commits: readonly CommitMessage[]): BumpDecision {
  let bump: Bump | undefined;
  let reasons: string[] = [];
  for (const commit of commits) {
    const parsed = parseConventionalCommit(commit.body.trim() === "" ? commit.subject : `${commit.subject}\n\n${commit.body}`);
    if (parsed === undefined) continue;
    const level = parsed.breaking ? "major" : bumpOfType.get(parsed.type);
    if (level === undefined) continue;
    if (bump === undefined || rank[level] > rank[bump]) [bump, reasons] = [level, []];
    if (level !== bump) continue;
    // The subject shows a `!`; a footer alone would leave "major" unexplained.
    const why = level === "major" && breakingFooter.test(commit.body) ? "major (BREAKING CHANGE)" : level;
    reasons.push(`${why}: ${commit.sha.slice(0, 7)} ${commit.subject}`);
  }
  return { bump, reasons };
}
