// Cosign's own place for attestations: the image tagged `sha256-<hex>.att`,
// one DSSE envelope per layer (annotated with its predicateType), the same
// layout as a cosign signature image. Written beside the OCI referrer so
// `cosign verify-attestation --key` (v2) finds slipway's attestations; an
// envelope already there is not appended twice.
import { parseDigest } from "../../registry/reference.js";
import { MediaTypes, type Descriptor, type RegistryClient } from "../../registry/types.js";
import { nextSignatureConfig, SIGNATURE_ANNOTATION, signatureManifest } from "../signing/cosign.js";
import { findManifest, pushSmallBlob, readSmallBlob } from "../signing/registry-io.js";
import { DSSE_MEDIA_TYPE } from "./dsse.js";

/** `sha256:abc…` → `sha256-abc….att`. */
export function attestationTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}.att`;
}

export async function appendCosignAttestation(client: RegistryClient, repository: string, digest: string, envelope: Descriptor, predicateType: string, now: Date): Promise<void> {
  const tag = attestationTag(digest);
  const existing = await findManifest(client, repository, tag);
  const previous = existing?.kind === "manifest" ? existing.manifest.layers : [];
  if (previous.some((l) => l.digest === envelope.digest)) return;
  const layers: Descriptor[] = [...previous, { mediaType: DSSE_MEDIA_TYPE, size: envelope.size, digest: envelope.digest, annotations: { [SIGNATURE_ANNOTATION]: "", predicateType } }];
  let previousConfig: Record<string, unknown> | undefined;
  if (existing?.kind === "manifest") {
    try {
      previousConfig = JSON.parse(Buffer.from(await readSmallBlob(client, repository, existing.manifest.config.digest, 1024 * 1024)).toString("utf8")) as Record<string, unknown>;
    } catch {
      previousConfig = undefined;
    }
  }
  const config = await pushSmallBlob(client, repository, nextSignatureConfig(previousConfig, layers, now), MediaTypes.ociConfig);
  const manifest = signatureManifest(config, layers);
  await client.putManifest(repository, tag, manifest, MediaTypes.ociManifest);
}
