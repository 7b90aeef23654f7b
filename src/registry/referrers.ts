// The OCI 1.1 referrers model. Registries without the referrers API (such as
// Distribution 2.8) keep an index tagged `<alg>-<hex>` of the subject's
// digest instead; clients read it and, after pushing a referrer, update it.
import { parseDigest } from "./reference.js";
import { MediaTypes, type Descriptor, type Index, type Manifest } from "./types.js";

/** The tag-schema fallback tag for a subject: `sha256:abc…` → `sha256-abc…`, at most 128 characters. */
export function referrersTag(subjectDigest: string): string {
  const { algorithm, hex } = parseDigest(subjectDigest);
  return `${algorithm}-${hex}`.slice(0, 128);
}

/** The descriptor a referrers list carries for a manifest: its artifact type and annotations ride along. */
export function referrerDescriptor(manifest: Manifest | Index, mediaType: string, digest: string, size: number): Descriptor {
  const artifactType = manifest.artifactType ?? ("config" in manifest ? manifest.config.mediaType : undefined);
  return {
    mediaType,
    digest,
    size,
    ...(artifactType === undefined ? {} : { artifactType }),
    ...(manifest.annotations === undefined ? {} : { annotations: manifest.annotations }),
  };
}

/** The fallback index with `referrer` in it, or undefined when it is already listed. */
export function withReferrer(current: Index | undefined, referrer: Descriptor): Index | undefined {
  const manifests = current?.manifests ?? [];
  if (manifests.some((d) => d.digest === referrer.digest)) return undefined;
  return { schemaVersion: 2, mediaType: MediaTypes.ociIndex, ...current, manifests: [...manifests, referrer] };
}

export function filterByArtifactType(descriptors: readonly Descriptor[], artifactType: string | undefined): Descriptor[] {
  return artifactType === undefined ? [...descriptors] : descriptors.filter((d) => d.artifactType === artifactType);
}
