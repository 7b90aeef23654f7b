// The version a service's next release gets, and why. Pure: the caller reads
// the last release from the store, the base version from slipway.service.yaml
// and the commits from git.
//
// In order: an explicit version wins (it must be above the last release);
// without any release, the base version is the first; otherwise the commits
// since the last release decide the bump (conventional-commits.ts). A last
// release that is itself a prerelease (1.4.0-rc.2) is finalised by the bump
// when its core already reflects it (semver.ts), and by releasing without
// --prerelease even when no commit calls for a bump: the candidate was tested,
// now it ships as 1.4.0. With `prerelease`, the result is the next
// `<core>-<id>.N`, counting the existing versions.
import { SlipwayError } from "../domain/errors.js";
import {
  bump as bumpVersion,
  compareSemver,
  diffSemver,
  formatSemver,
  isPrerelease,
  nextPrerelease,
  parseSemver,
  type Bump,
  type SemVer,
} from "../domain/semver.js";
import { bumpFromCommits, type CommitMessage } from "./conventional-commits.js";
import type { ChangeType } from "./types.js";

export interface NextVersionInput {
  service: string;
  /** The last released version, undefined before the first release. */
  current: string | undefined;
  /** The commit of the last release, named in "nothing to release". */
  currentSha?: string;
  /** `version` from slipway.service.yaml: the first release. */
  base: string;
  /** Commits touching the service since the last release, newest first. */
  commits: readonly CommitMessage[];
  /** --version: used as given, once validated. */
  explicit?: string;
  /** --prerelease: an identifier such as "rc", giving `<version>-rc.N`. */
  prerelease?: string;
  /** Versions that exist already (released, refused, tagged); unparseable ones are ignored. */
  existingVersions: readonly string[];
}

export interface NextVersion {
  version: string;
  /** The level the commits call for, or that --version moves past the last release; undefined for a first release or a finalised candidate. */
  bump: Bump | undefined;
  /** For ReleaseRecord.changeType: "initial", "prerelease", or how far the version moves past the last release. */
  changeType: ChangeType;
  reasons: string[];
}

export function nextVersion(input: NextVersionInput): NextVersion {
  const current = input.current === undefined ? undefined : parseStored(input.current, input.service);
  // The last release counts as existing even when the caller's list misses it, so rc.N never repeats.
  const existing = [...input.existingVersions.map(parseSemver).filter((v) => v !== undefined), ...(current === undefined ? [] : [current])];
  const candidate = (v: SemVer) => (input.prerelease === undefined ? v : nextPrerelease(v, input.prerelease, existing));

  if (input.explicit !== undefined) return fromExplicit(input, current, candidate);

  if (current === undefined) {
    const version = candidate(parseBase(input.base, input.service));
    const reason = `first release of ${input.service}: version ${input.base} in slipway.service.yaml`;
    return { version: formatSemver(version), bump: undefined, changeType: "initial", reasons: [reason] };
  }

  const decision = bumpFromCommits(input.commits);
  if (decision.bump !== undefined) return released(current, candidate(bumpVersion(current, decision.bump)), decision.bump, decision.reasons);
  if (isPrerelease(current) && input.prerelease === undefined) {
    const final = bumpVersion(current, "patch"); // The core of a prerelease.
    return released(current, final, undefined, [`release candidate ${input.current} becomes ${formatSemver(final)} (no feat/fix/breaking commits since)`]);
  }
  throw nothingToRelease(input, current);
}

function fromExplicit(input: NextVersionInput, current: SemVer | undefined, candidate: (v: SemVer) => SemVer): NextVersion {
  const text = input.explicit ?? "";
  const explicit = parseSemver(text);
  if (explicit === undefined) {
    throw new SlipwayError("USAGE", `--version ${text} is not a semantic version`, {
      hint: "write MAJOR.MINOR.PATCH, e.g. 1.4.0, or 1.4.0-rc.1 for a release candidate (no leading v)",
    });
  }
  if (explicit.build.length > 0) {
    throw new SlipwayError("USAGE", `--version ${text} has build metadata, which an image tag can't hold ('+' is not allowed in OCI tags)`, {
      hint: `drop the +${explicit.build.join(".")} part`,
    });
  }
  if (isPrerelease(explicit) && input.prerelease !== undefined) {
    throw new SlipwayError("USAGE", `--version ${text} is already a prerelease, so --prerelease ${input.prerelease} has nothing to add`, {
      hint: `pass either --version ${text}, or --version ${formatSemver(bumpVersion(explicit, "patch"))} --prerelease ${input.prerelease}`,
    });
  }
  const version = candidate(explicit);
  const reasons = [`given: --version ${text}${input.prerelease === undefined ? "" : ` --prerelease ${input.prerelease}`}`];
  if (current === undefined) return { version: formatSemver(version), bump: undefined, changeType: "initial", reasons };
  if (compareSemver(version, current) <= 0) {
    const above = (["patch", "minor", "major"] as const).map((level) => formatSemver(bumpVersion(current, level)));
    throw new SlipwayError("USAGE", `--version ${formatSemver(version)} is not above ${input.service}'s last release ${input.current}`, {
      hint: `pass a higher version (${[...new Set(above)].join(", ")}), or leave --version out to derive it from the commits`,
    });
  }
  const diff = diffSemver(current, version);
  return released(current, version, diff === "prerelease" ? undefined : diff, reasons);
}

function released(current: SemVer, version: SemVer, bump: Bump | undefined, reasons: string[]): NextVersion {
  // Only a prerelease identifier that sorts below the current one gets here (rc.1, then beta).
  if (compareSemver(version, current) <= 0) {
    throw new SlipwayError("USAGE", `${formatSemver(version)} would sort below the last release ${formatSemver(current)}`, {
      hint: `prerelease identifiers sort in ASCII order; pick one after "${current.prerelease[0] ?? ""}", or pass --version`,
    });
  }
  const diff = diffSemver(current, version);
  const changeType = diff === undefined || diff === "prerelease" || isPrerelease(version) ? "prerelease" : diff;
  return { version: formatSemver(version), bump, changeType, reasons };
}

function nothingToRelease(input: NextVersionInput, current: SemVer): SlipwayError {
  const since = input.currentSha === undefined ? input.current : `${input.current} (${input.currentSha.slice(0, 7)})`;
  const n = input.commits.length;
  const looked = n === 0 ? "" : `${n} commit${n === 1 ? " touches" : "s touch"} it, none feat, fix, perf or breaking; `;
  const finalise = isPrerelease(current) ? `, or leave out --prerelease to release ${formatSemver(bumpVersion(current, "patch"))}` : "";
  return new SlipwayError("USAGE", `nothing to release: no feat/fix/breaking commits touch ${input.service} since ${since}`, {
    hint: `${looked}to release anyway, pass --version (e.g. --version ${formatSemver(bumpVersion(current, "patch"))})${finalise}`,
  });
}

// The store and the validated config hold these; one that does not parse is a
// bug or a hand-edited file, not something the command line can fix.
function parseStored(text: string, service: string): SemVer {
  const v = parseSemver(text);
  if (v === undefined) throw new SlipwayError("INTERNAL", `the last release of ${service}, "${text}", is not a semantic version`);
  return v;
}

function parseBase(text: string, service: string): SemVer {
  const v = parseSemver(text);
  if (v === undefined || v.build.length > 0) {
    throw new SlipwayError("CONFIG_INVALID", `version ${text} in ${service}'s slipway.service.yaml is not a semantic version without build metadata`, {
      hint: "write MAJOR.MINOR.PATCH, e.g. 0.1.0 or 1.0.0-rc.1; numeric prerelease parts have no leading zeros",
    });
  }
  return v;
}
