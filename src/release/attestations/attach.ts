// Attaches a signed statement to an image as an OCI 1.1 artifact: the DSSE
// envelope is the one layer, the image is the `subject`, so the referrers API
// (or the `sha256-<hex>` tag index on registries without it) lists it. Blobs
// go first and the manifest last: an upload cut short leaves blobs no
// manifest names, which no reader lists — nothing half-written can count.
import { computeDigest } from "../../registry/digest.js";
import { MediaTypes, type Descriptor, type Manifest, type RegistryClient } from "../../registry/types.js";
import { EMPTY_CONFIG } from "../signing/provenance.js";
import { pushSmallBlob } from "../signing/registry-io.js";
import { DSSE_MEDIA_TYPE, type DsseEnvelope } from "./dsse.js";
import type { Statement } from "./statements.js";

/** Unsigned hints in the artifact's annotations, so a failed check can still say which stage it was about. */
export const EVIDENCE_ANNOTATION = "dev.slipway.evidence";
export const PREDICATE_ANNOTATION = "in-toto.io/predicate-type";

/** Describes the artifact manifest and its envelope blob. `image` describes the manifest the statement is about. */
export async function attachAttestation(client: RegistryClient, repository: string, image: Descriptor, envelope: DsseEnvelope, about: { kind: string; statement: Statement; created: string }): Promise<Descriptor & { envelope: Descriptor }> {
  await pushSmallBlob(client, repository, new TextEncoder().encode("{}"), EMPTY_CONFIG.mediaType);
  const layer = await pushSmallBlob(client, repository, new TextEncoder().encode(JSON.stringify(envelope)), DSSE_MEDIA_TYPE);
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    artifactType: DSSE_MEDIA_TYPE,
    config: EMPTY_CONFIG,
    layers: [{ mediaType: DSSE_MEDIA_TYPE, digest: layer.digest, size: layer.size }],
    subject: { mediaType: image.mediaType, digest: image.digest, size: image.size },
    annotations: { [EVIDENCE_ANNOTATION]: about.kind, [PREDICATE_ANNOTATION]: about.statement.predicateType, "org.opencontainers.image.created": about.created },
  };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const digest = await client.putManifest(repository, computeDigest(bytes), bytes, MediaTypes.ociManifest);
  return { mediaType: MediaTypes.ociManifest, digest, size: bytes.length, artifactType: DSSE_MEDIA_TYPE, envelope: layer };
}
