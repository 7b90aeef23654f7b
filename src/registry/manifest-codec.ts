// Which manifest formats slipway asks for and how it reads what comes back.
// A registry may label a manifest by Content-Type, by the `mediaType` field,
// or (OCI allows it) by neither; the field wins, then the header, then shape.
import { z } from "zod";
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

const descriptor = z.looseObject({
  mediaType: z.string(),
  digest: z.string().refine((d) => tryParseDigest(d) !== undefined, "not a sha256/sha512 digest"),
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  data: z.string().optional(),
  platform: z.looseObject({ architecture: z.string(), os: z.string(), variant: z.string().optional() }).optional(),
  artifactType: z.string().optional(),
});

const common = {
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  subject: descriptor.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
};

const manifestSchema = z.looseObject({ ...common, config: descriptor, layers: z.array(descriptor) });
const indexSchema = z.looseObject({ ...common, manifests: z.array(descriptor) });

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
  if (kindOf(mediaType) === "index") return { kind: "index", mediaType, manifest: validate(indexSchema, json) };
  return { kind: "manifest", mediaType, manifest: validate(manifestSchema, json) };
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
