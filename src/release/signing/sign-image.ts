// Signs an image digest the way `cosign sign --key` does: a simple-signing
// payload blob, its signature in the layer annotation, the layer appended to
// the `sha256-<hex>.sig` image in the same repository. Signing what is
// already signed with the same key and claims changes nothing (cosign's dupe
// detector), so a retried promotion does not pile up layers. Two signers at
// once can lose one layer (read, append, write), as with cosign.
import { createPublicKey, type KeyObject } from "node:crypto";
import { SlipwayError } from "../../domain/errors.js";
import { parseDigest } from "../../registry/reference.js";
import { MediaTypes, type Descriptor, type RegistryClient } from "../../registry/types.js";
import { isSameSignature, KEY_ID_ANNOTATION, nextSignatureConfig, signatureLayer, signatureManifest, signatureTag, signPayload, simpleSigningPayload, SIMPLE_SIGNING_MEDIA_TYPE } from "./cosign.js";
import { keyIdOf } from "./keys.js";
import { findManifest, pushSmallBlob, readSmallBlob } from "./registry-io.js";

export interface SignImageOptions {
  /** Extra payload annotations (`optional`), as `cosign sign -a k=v`; slipway adds the key id. */
  annotations?: Record<string, string>;
  /** The signature image's `created` on first signing; now by default. */
  now?: Date;
}

const CONFIG_LIMIT = 1024 * 1024;

/** Signs `digest` in `repository` and returns the digest of the signature manifest now under `sha256-<hex>.sig`. */
export async function signImage(client: RegistryClient, repository: string, digest: string, privateKey: KeyObject, options: SignImageOptions = {}): Promise<string> {
  parseDigest(digest);
  if ((await client.headManifest(repository, digest)) === undefined) {
    throw new SlipwayError("REGISTRY_NOT_FOUND", `cannot sign ${repository}@${digest} at ${client.registry}: there is no such image`, { hint: "sign the digest after it was promoted to this registry" });
  }
  const publicKey = createPublicKey(privateKey);
  const payload = simpleSigningPayload({
    dockerReference: `${client.registry}/${repository}`,
    manifestDigest: digest,
    optional: { ...options.annotations, [KEY_ID_ANNOTATION]: keyIdOf(publicKey) },
  });
  const tag = signatureTag(digest);
  const existing = await findManifest(client, repository, tag);
  if (existing !== undefined && existing.kind !== "manifest") {
    throw new SlipwayError("SIGNATURE_INVALID", `${repository}:${tag} at ${client.registry} is an index, not a cosign signature image`, { hint: `delete the tag ${tag}; slipway writes it again when it signs` });
  }
  const previousLayers = existing?.manifest.layers ?? [];

  const payloadBlob = await pushSmallBlob(client, repository, payload, SIMPLE_SIGNING_MEDIA_TYPE);
  const wanted = signatureLayer(payloadBlob, "");
  if (existing !== undefined && previousLayers.some((layer) => isSameSignature(layer, wanted, payload, publicKey))) return existing.descriptor.digest;

  const layers: Descriptor[] = [...previousLayers, signatureLayer(payloadBlob, signPayload(payload, privateKey))];
  const previousConfig = existing === undefined ? undefined : await readConfig(client, repository, existing.manifest.config.digest);
  const config = await pushSmallBlob(client, repository, nextSignatureConfig(previousConfig, layers, options.now ?? new Date()), MediaTypes.ociConfig);
  return client.putManifest(repository, tag, signatureManifest(config, layers), MediaTypes.ociManifest);
}

/** The previous signature image's config, to keep its `created` and history as mutate.Append does; unreadable means start afresh. */
async function readConfig(client: RegistryClient, repository: string, digest: string): Promise<Record<string, unknown> | undefined> {
  try {
    const json: unknown = JSON.parse(Buffer.from(await readSmallBlob(client, repository, digest, CONFIG_LIMIT)).toString("utf8"));
    return typeof json === "object" && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
  } catch (err) {
    if (err instanceof SlipwayError && err.retryable) throw err;
    return undefined;
  }
}
