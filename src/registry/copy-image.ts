// Copies an image, every platform of it, from one repository to another,
// within a registry or across two, through the registry port. Order is what
// keeps a failed copy harmless: blobs first, then child manifests, then the
// top manifest by digest, and the tag last, so a tag never points at
// something incomplete. Blobs stream from source to target and are skipped
// when the target has them, or mounted when both are one registry.
import type { Readable } from "node:stream";
import { SlipwayError } from "../domain/errors.js";
import { mapConcurrently } from "./concurrency.js";
import { formatReference } from "./reference.js";
import { MediaTypes, type Descriptor, type FetchedManifest, type RegistryClient } from "./types.js";

export interface CopyImageOptions {
  /** Tag to set in the target once everything else is there. */
  tag?: string;
  /** Blobs and manifests in flight at once. */
  concurrency?: number;
}

export interface CopyImageResult {
  digest: string;
  mediaType: string;
  manifests: { copied: number; skipped: number };
  blobs: { copied: number; mounted: number; skipped: number };
  bytes: { copied: number; mounted: number; skipped: number };
}

/** Indexes of indexes are legal but rare; deeper than this is a loop or an attack. */
const MAX_DEPTH = 4;

export async function copyImage(source: RegistryClient, sourceRepository: string, reference: string, target: RegistryClient, targetRepository: string, options: CopyImageOptions = {}): Promise<CopyImageResult> {
  const concurrency = options.concurrency ?? 4;
  const top = await source.getManifest(sourceRepository, reference);
  const levels = await collectChildren(source, sourceRepository, top, concurrency);
  const result: CopyImageResult = {
    digest: top.descriptor.digest,
    mediaType: top.descriptor.mediaType,
    manifests: { copied: 0, skipped: 0 },
    blobs: { copied: 0, mounted: 0, skipped: 0 },
    bytes: { copied: 0, mounted: 0, skipped: 0 },
  };

  const blobs = uniqueBlobs([top, ...levels.flat()]);
  const sameRegistry = source.registry === target.registry;
  await mapConcurrently(blobs, concurrency, async (blob) => {
    const outcome = await copyBlob(blob, { source, sourceRepository, target, targetRepository, sameRegistry });
    result.blobs[outcome]++;
    result.bytes[outcome] += blob.size;
  });

  // Deepest manifests first: a registry checks that what a manifest names exists.
  for (const level of [...levels].reverse()) {
    await mapConcurrently(level, concurrency, async (child) => {
      result.manifests[(await putIfMissing(target, targetRepository, child)) ? "copied" : "skipped"]++;
    });
  }
  result.manifests[(await putIfMissing(target, targetRepository, top)) ? "copied" : "skipped"]++;

  if (options.tag !== undefined) {
    const tagged = await target.putManifest(targetRepository, options.tag, top.bytes, top.descriptor.mediaType);
    assertSameDigest(tagged, top.descriptor.digest, `${target.registry}/${formatReference(targetRepository, options.tag)}`);
  }
  return result;
}

/** Child manifests of an index, level by level (level 0 = the top's children). */
async function collectChildren(source: RegistryClient, repository: string, top: FetchedManifest, concurrency: number): Promise<FetchedManifest[][]> {
  const levels: FetchedManifest[][] = [];
  let parents = [top];
  while (parents.some((p) => p.kind === "index")) {
    if (levels.length === MAX_DEPTH) {
      throw new SlipwayError("REGISTRY_REFUSED", `${source.registry}/${repository}: indexes nest deeper than ${MAX_DEPTH} levels`, { hint: "an index that deep is malformed or a loop" });
    }
    const children = parents.flatMap((p) => (p.kind === "index" ? p.manifest.manifests : []));
    const unique = [...new Map(children.map((d) => [d.digest, d])).values()];
    const level = await mapConcurrently(unique, concurrency, (d) => source.getManifest(repository, d.digest));
    levels.push(level);
    parents = level;
  }
  return levels;
}

/** Config and layers of every single-platform manifest, once each; foreign layers stay where their URLs point. */
function uniqueBlobs(manifests: readonly FetchedManifest[]): Descriptor[] {
  const byDigest = new Map<string, Descriptor>();
  for (const m of manifests) {
    if (m.kind !== "manifest") continue;
    for (const blob of [m.manifest.config, ...m.manifest.layers]) {
      if (blob.mediaType === MediaTypes.dockerForeignLayer || (blob.urls?.length ?? 0) > 0) continue;
      byDigest.set(blob.digest, blob);
    }
  }
  return [...byDigest.values()];
}

interface BlobRoute {
  source: RegistryClient;
  sourceRepository: string;
  target: RegistryClient;
  targetRepository: string;
  sameRegistry: boolean;
}

async function copyBlob(blob: Descriptor, route: BlobRoute): Promise<"copied" | "mounted" | "skipped"> {
  const { source, sourceRepository, target, targetRepository } = route;
  if ((await target.headBlob(targetRepository, blob.digest)) !== undefined) return "skipped";
  const open = async (): Promise<Readable> => (await source.getBlob(sourceRepository, blob.digest)).stream;
  if (route.sameRegistry) return (await target.mountBlob(targetRepository, blob, sourceRepository, open)) === "mounted" ? "mounted" : "copied";
  await target.pushBlob(targetRepository, await open(), { digest: blob.digest, size: blob.size });
  return "copied";
}

/** Writes a manifest by digest unless the target has it; true when written. */
async function putIfMissing(target: RegistryClient, repository: string, manifest: FetchedManifest): Promise<boolean> {
  const { digest, mediaType } = manifest.descriptor;
  if ((await target.headManifest(repository, digest)) !== undefined) return false;
  assertSameDigest(await target.putManifest(repository, digest, manifest.bytes, mediaType), digest, `${target.registry}/${formatReference(repository, digest)}`);
  return true;
}

function assertSameDigest(actual: string, expected: string, where: string): void {
  if (actual !== expected) {
    throw new SlipwayError("DIGEST_MISMATCH", `the copy at ${where} has digest ${actual}, the source ${expected}`, { hint: "the target registry rewrote the manifest; do not promote this copy" });
  }
}
