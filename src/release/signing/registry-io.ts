// The few registry reads and writes signing needs, over the RegistryClient
// port: small blobs whole (payloads and statements are kilobytes), and
// manifests that may be absent.
import { Readable } from "node:stream";
import { SlipwayError } from "../../domain/errors.js";
import { computeDigest } from "../../registry/digest.js";
import type { Descriptor, FetchedManifest, RegistryClient } from "../../registry/types.js";

/** Stores `bytes` as a blob (the registry checks the digest) and describes it. */
export async function pushSmallBlob(client: RegistryClient, repository: string, bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  const digest = computeDigest(bytes);
  if ((await client.headBlob(repository, digest)) === undefined) {
    await client.pushBlob(repository, Readable.from([Buffer.from(bytes)]), { digest, size: bytes.length });
  }
  return { mediaType, digest, size: bytes.length };
}

/**
 * Reads a small blob whole. The client's stream fails with DIGEST_MISMATCH
 * when the bytes do not hash to `digest`; more than `limit` bytes is refused
 * before it is all read.
 */
export async function readSmallBlob(client: RegistryClient, repository: string, digest: string, limit: number): Promise<Uint8Array> {
  const blob = await client.getBlob(repository, digest);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of blob.stream) {
    total += (chunk as Buffer).length;
    if (total > limit) {
      blob.stream.destroy();
      throw new SlipwayError("REGISTRY_REFUSED", `blob ${digest} of ${repository} is larger than the ${limit} bytes a signature payload or statement may have`, { hint: "this is not content slipway attached" });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The manifest under a tag or digest, or undefined when there is none. */
export async function findManifest(client: RegistryClient, repository: string, reference: string): Promise<FetchedManifest | undefined> {
  const descriptor = await client.headManifest(repository, reference);
  if (descriptor === undefined) return undefined;
  // Read by digest, so what is checked is what the HEAD named even if the tag moves meanwhile.
  return client.getManifest(repository, descriptor.digest);
}
