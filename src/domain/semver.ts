// Semantic versions (semver.org 2.0.0): parsing, precedence and the steps a
// release takes. Strict on input: no "v" prefix, no whitespace, no leading
// zeros; a tag's prefix is the tag convention's business, not the version's.
//
// Bumping a prerelease follows npm's `semver.inc`: a bump whose target the
// prerelease already is finalises it instead of moving past it, so
// 1.4.0-rc.2 + minor = 1.4.0 (not 1.5.0), 2.0.0-rc.1 + major = 2.0.0 and
// 1.4.1-rc.1 + patch = 1.4.1; when the core does not reflect the bump, it
// bumps as usual (1.4.1-rc.1 + minor = 1.5.0).
import { SlipwayError } from "./errors.js";

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Dot-separated prerelease identifiers, e.g. ["rc", "1"]; empty for a release. */
  prerelease: readonly string[];
  /** Build metadata identifiers; ignored by precedence. */
  build: readonly string[];
}

export type Bump = "major" | "minor" | "patch";

// The regular expression semver.org suggests, split so each part reads.
const numeric = "0|[1-9]\\d*";
const prereleaseId = `(?:${numeric}|\\d*[a-zA-Z-][0-9a-zA-Z-]*)`;
const semverRegex = new RegExp(
  `^(${numeric})\\.(${numeric})\\.(${numeric})` +
    `(?:-(${prereleaseId}(?:\\.${prereleaseId})*))?` +
    `(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$`,
);
const numericId = /^\d+$/;

/** A SemVer 2.0.0 version, or undefined when `text` is not one (or a number in its core exceeds 2^53 - 1). */
export function parseSemver(text: string): SemVer | undefined {
  const m = semverRegex.exec(text);
  if (m === null) return undefined;
  const [major, minor, patch] = [m[1], m[2], m[3]].map(Number);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  if (![major, minor, patch].every(Number.isSafeInteger)) return undefined;
  return { major, minor, patch, prerelease: m[4]?.split(".") ?? [], build: m[5]?.split(".") ?? [] };
}

export function formatSemver(v: SemVer): string {
  const pre = v.prerelease.length > 0 ? `-${v.prerelease.join(".")}` : "";
  const build = v.build.length > 0 ? `+${v.build.join(".")}` : "";
  return `${v.major}.${v.minor}.${v.patch}${pre}${build}`;
}

export function isPrerelease(v: SemVer): boolean {
  return v.prerelease.length > 0;
}

/** Negative, zero or positive as `a` has lower, equal or higher precedence than `b`; build metadata is ignored. */
export function compareSemver(a: SemVer, b: SemVer): -1 | 0 | 1 {
  return compareCore(a, b) || comparePrerelease(a.prerelease, b.prerelease);
}

/** The highest-precedence version of `list` (the first of equals), or undefined when it is empty. */
export function maxSemver(list: readonly SemVer[]): SemVer | undefined {
  let max: SemVer | undefined;
  for (const v of list) if (max === undefined || compareSemver(v, max) > 0) max = v;
  return max;
}

/** The next version at `level`; on a prerelease whose core already reflects that level, the release of it (see top). */
export function bump(v: SemVer, level: Bump): SemVer {
  const pre = isPrerelease(v);
  switch (level) {
    case "major":
      return pre && v.minor === 0 && v.patch === 0 ? core(v) : release(v.major + 1, 0, 0);
    case "minor":
      return pre && v.patch === 0 ? core(v) : release(v.major, v.minor + 1, 0);
    case "patch":
      return pre ? core(v) : release(v.major, v.minor, v.patch + 1);
  }
}

/**
 * The next `<core of v>-<id>.N`: N is one more than the highest N among `existing` and `v` itself
 * with the same core and identifier, so 1.4.0 gives 1.4.0-rc.1, then 1.4.0-rc.2 once rc.1 exists.
 * Only `<id>.<number>` prereleases count; 1.4.0-rc.1.hotfix is someone else's scheme.
 */
export function nextPrerelease(v: SemVer, id = "rc", existing: readonly SemVer[] = []): SemVer {
  const problem = checkPrereleaseId(id);
  if (problem !== undefined) {
    throw new SlipwayError("USAGE", `"${id}" can't name a prerelease: ${problem}`, {
      hint: 'use a word of letters, digits and "-" such as rc, beta or alpha',
    });
  }
  let highest = 0;
  for (const e of [v, ...existing]) {
    const [eId, n] = e.prerelease;
    if (e.prerelease.length !== 2 || eId !== id || n === undefined || !numericId.test(n) || compareCore(e, v) !== 0) continue;
    highest = Math.max(highest, Number(n));
  }
  return { ...core(v), prerelease: [id, String(highest + 1)] };
}

/** Why `id` can't be a prerelease identifier, or undefined when it can. */
function checkPrereleaseId(id: string): string | undefined {
  if (!/^[0-9A-Za-z-]+$/.test(id)) return 'only letters, digits and "-" are allowed';
  if (numericId.test(id)) return "it must not be a number, or it would sort below every word";
  return undefined;
}

/**
 * How far `to` moves past `from`: the first core field that differs, "prerelease" when `to`
 * is a prerelease of the same core, and, when `to` is the release of prerelease `from`, the
 * level whose bump finalises it (2.0.0 major, 1.4.0 minor, 1.4.1 patch). Undefined when equal.
 */
export function diffSemver(from: SemVer, to: SemVer): Bump | "prerelease" | undefined {
  if (from.major !== to.major) return "major";
  if (from.minor !== to.minor) return "minor";
  if (from.patch !== to.patch) return "patch";
  if (comparePrerelease(from.prerelease, to.prerelease) === 0) return undefined;
  if (isPrerelease(to)) return "prerelease";
  return to.minor === 0 && to.patch === 0 ? "major" : to.patch === 0 ? "minor" : "patch";
}

function release(major: number, minor: number, patch: number): SemVer {
  return { major, minor, patch, prerelease: [], build: [] };
}

function core(v: SemVer): SemVer {
  return release(v.major, v.minor, v.patch);
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareCore(a: SemVer, b: SemVer): -1 | 0 | 1 {
  return sign(a.major - b.major) || sign(a.minor - b.minor) || sign(a.patch - b.patch);
}

// semver.org §11: a release outranks its prereleases; identifiers compare left
// to right, numbers numerically and below words, words in ASCII order; a longer
// list wins when all before are equal.
function comparePrerelease(a: readonly string[], b: readonly string[]): -1 | 0 | 1 {
  if (a.length === 0 || b.length === 0) return sign(b.length - a.length);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    const c = compareIdentifier(x, y);
    if (c !== 0) return c;
  }
  return 0;
}

function compareIdentifier(x: string, y: string): -1 | 0 | 1 {
  const xNum = numericId.test(x);
  const yNum = numericId.test(y);
  if (xNum && yNum) return sign(x.length - y.length) || (x < y ? -1 : x > y ? 1 : 0); // No leading zeros, so length first is numeric order at any size.
  if (xNum !== yNum) return xNum ? -1 : 1;
  return x < y ? -1 : x > y ? 1 : 0;
}
