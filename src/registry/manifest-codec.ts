// Which manifest formats slipway asks for and how it reads what comes back.
// A registry may label a manifest by Content-Type, by the `mediaType` field,
// or (OCI allows it) by neither; the field wins, then the header, then shape.
import { createRequire } from "node:module";
import type { z } from "zod";
import { tryParseDigest } from "./reference.js";
import { IMAGE_MANIFEST_MEDIA_TYPES, INDEX_MEDIA_TYPES, MediaTypes, type Index, type Manifest } from "./types.js";

/** Accept header for manifest GET/HEAD: every format slipway reads, single-platform first. */
export const MANIFEST_ACCEPT = [...IMAGE_MANIFEST_MEDIA_TYPES, ...INDEX_MEDIA_TYPES].join(", ");

export type ManifestKind = "manifest" | "index";

export type DecodedManifest = { kind: "manifest"; mediaType: string; manifest: Manifest } | { kind: "index"; mediaType: string; manifest: Index };

/** The media type without parameters: `application/json; charset=utf-8` → `application/json`. */
export function essence(contentType: string | undefined): string | undefined {
  const value = contentType?.split(";")[0]?.trim().toLowerCase();
  return value === "" ? undefined : value;
}

export function kindOf(mediaType: string): ManifestKind | undefined {
  if (IMAGE_MANIFEST_MEDIA_TYPES.includes(mediaType)) return "manifest";
  if (INDEX_MEDIA_TYPES.includes(mediaType)) return "index";
  return undefined;
}

/**
 * Decides a manifest's media type from the body's `mediaType` field, the
 * Content-Type header and the JSON's shape; undefined when it is none slipway reads.
 */
export function negotiateMediaType(bodyMediaType: unknown, contentType: string | undefined, shape: { manifests: boolean; layers: boolean }): string | undefined {
  if (typeof bodyMediaType === "string") return kindOf(bodyMediaType) === undefined ? undefined : bodyMediaType;
  const header = essence(contentType);
  if (header !== undefined && kindOf(header) !== undefined) return header;
  // OCI lets mediaType be omitted; generic JSON labels then say nothing either.
  if (header !== undefined && header !== "application/json" && header !== "application/octet-stream") return undefined;
  if (shape.manifests) return MediaTypes.ociIndex;
  if (shape.layers) return MediaTypes.ociManifest;
  return undefined;
}

// zod is loaded on the first manifest read, not at start-up: a no-op `slipway ci`
// only asks the registry HEADs and should not pay ~50 ms for a validator it never uses.
const requireModule = createRequire(import.meta.url);
let schemas: { manifest: z.ZodType<Manifest>; index: z.ZodType<Index> } | undefined;

function manifestSchemas(): { manifest: z.ZodType<Manifest>; index: z.ZodType<Index> } {
  if (schemas !== undefined) return schemas;
  const { z: zod } = requireModule("zod") as typeof import("zod");
  const descriptor = zod.looseObject({
    mediaType: zod.string(),
    digest: zod.string().refine((d) => tryParseDigest(d) !== undefined, "not a sha256/sha512 digest"),
    size: zod.number().int().nonnegative(),
    urls: zod.array(zod.string()).optional(),
    annotations: zod.record(zod.string(), zod.string()).optional(),
    data: zod.string().optional(),
    platform: zod.looseObject({ architecture: zod.string(), os: zod.string(), variant: zod.string().optional() }).optional(),
    artifactType: zod.string().optional(),
  });
  const common = {
    schemaVersion: zod.literal(2),
    mediaType: zod.string().optional(),
    artifactType: zod.string().optional(),
    subject: descriptor.optional(),
    annotations: zod.record(zod.string(), zod.string()).optional(),
  };
  schemas = {
    manifest: zod.looseObject({ ...common, config: descriptor, layers: zod.array(descriptor) }) as unknown as z.ZodType<Manifest>,
    index: zod.looseObject({ ...common, manifests: zod.array(descriptor) }) as unknown as z.ZodType<Index>,
  };
  return schemas;
}

/** Parses manifest bytes; throws an Error saying what is wrong (callers add where it came from). */
export function decodeManifest(bytes: Uint8Array, contentType: string | undefined): DecodedManifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Error("the manifest is not JSON");
  }
  if (typeof json !== "object" || json === null) throw new Error("the manifest is not a JSON object");
  const body = json as Record<string, unknown>;
  const mediaType = negotiateMediaType(body["mediaType"], contentType, { manifests: Array.isArray(body["manifests"]), layers: Array.isArray(body["layers"]) });
  if (mediaType === undefined) {
    const named = typeof body["mediaType"] === "string" ? body["mediaType"] : (essence(contentType) ?? "none");
    throw new Error(`the manifest's media type (${named}) is not one slipway reads: ${MANIFEST_ACCEPT}`);
  }
  if (kindOf(mediaType) === "index") return { kind: "index", mediaType, manifest: validate(manifestSchemas().index, json) };
  return { kind: "manifest", mediaType, manifest: validate(manifestSchemas().manifest, json) };
}

function validate<T>(schema: z.ZodType<T>, json: unknown): T {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new Error(`the manifest is malformed: ${issue === undefined ? "invalid" : `${issue.path.join(".") || "(root)"}: ${issue.message}`}`);
}

/** Serializes a manifest or index slipway builds itself. */
export function encodeManifest(manifest: Manifest | Index): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(manifest));
}
