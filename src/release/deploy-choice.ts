// Which release a plain `slipway deploy <service> --env <prod-like env>`
// rolls out: the highest released version, except one whose rollout was
// aborted in that environment — an aborted canary must not come back by
// itself. --version or --digest still deploys it (a person decided).
import { compareSemver, parseSemver } from "../domain/semver.js";
import type { ReleaseRecord } from "./types.js";

/** An aborted rollout of a digest in the environment, as the rollout store records it. */
export interface AbortedMark {
  digest: string;
  rolloutId: string;
  reason?: string;
}

export interface SkippedRelease {
  release: ReleaseRecord;
  aborted: AbortedMark;
}

export type ReleaseChoice =
  | { kind: "chosen"; release: ReleaseRecord; skipped: SkippedRelease[] }
  | { kind: "none-released" }
  | { kind: "all-aborted"; skipped: SkippedRelease[] };

export function chooseRelease(releases: readonly ReleaseRecord[], aborted: readonly AbortedMark[]): ReleaseChoice {
  const released = releases
    .filter((r) => r.status === "released")
    .map((r) => ({ r, v: parseSemver(r.version) }))
    .filter((x): x is { r: ReleaseRecord; v: NonNullable<typeof x.v> } => x.v !== undefined)
    .sort((a, b) => compareSemver(b.v, a.v))
    .map((x) => x.r);
  if (released.length === 0) return { kind: "none-released" };
  const skipped: SkippedRelease[] = [];
  for (const release of released) {
    const mark = aborted.find((a) => a.digest === release.digest);
    if (mark === undefined) return { kind: "chosen", release, skipped };
    skipped.push({ release, aborted: mark });
  }
  return { kind: "all-aborted", skipped };
}

/** "aborted in prod (rollout r-…: analysis failed)" */
export function describeAborted(mark: AbortedMark, environment: string): string {
  return `aborted in ${environment} (rollout ${mark.rolloutId}${mark.reason ? `: ${mark.reason}` : ""})`;
}
