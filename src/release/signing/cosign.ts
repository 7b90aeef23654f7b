// Cosign's key-based signature format, byte for byte where it matters, so
// `cosign verify --key cosign.pub` and slipway read each other's signatures:
// - the payload is a "simple signing" document, serialized as Go's
//   encoding/json writes sigstore's payload.SimpleContainerImage (fixed key
//   order, map keys sorted, HTML characters escaped, `"optional":null` when
//   there are no annotations);
// - the signature is ECDSA-SHA256 over the payload bytes, ASN.1 DER, base64
//   in the layer annotation `dev.cosignproject.cosign/signature`;
// - the signature image is an OCI image manifest under the tag
//   `<alg>-<hex>.sig` whose layers are the payloads
//   (`application/vnd.dev.cosign.simplesigning.v1+json`) and whose config is
//   what go-containerregistry's mutate.Append makes of an empty image.
// Pure: building, parsing and checking bytes; registry I/O is elsewhere.
import { sign, verify, type KeyObject } from "node:crypto";
import { parseDigest, tryParseDigest } from "../../registry/reference.js";
import { MediaTypes, type Descriptor, type Manifest } from "../../registry/types.js";

/** sigstore/cosign pkg/types: SimpleSigningMediaType. */
export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
/** sigstore/cosign pkg/oci/static: SignatureAnnotationKey. */
export const SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";
/** sigstore/sigstore pkg/signature/payload: CosignSignatureType, the value of critical.type. */
export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";
/** Payload `optional` entry naming the signing key, so a failed check can tell "another key" from "altered". */
export const KEY_ID_ANNOTATION = "dev.slipway/key-id";

/** Go's zero time.Time as JSON: what mutate.Append records as each layer's history `created`. */
const GO_ZERO_TIME = "0001-01-01T00:00:00Z";

export interface SimpleSigningClaims {
  /** `registry/repository`, as go-containerregistry's Repository.Name() writes it. */
  dockerReference: string;
  /** The signed image's manifest digest. */
  manifestDigest: string;
  /** Free-form annotations (`cosign sign -a k=v`); absent means JSON null, as cosign writes it. */
  optional?: Record<string, string>;
}

/** A parsed payload; `optional` as found (any JSON). */
export interface ParsedSimpleSigning {
  dockerReference: string;
  manifestDigest: string;
  optional: Record<string, unknown> | null;
}

/** `sha256:abc…` → `sha256-abc….sig`, the tag cosign stores signatures under. */
export function signatureTag(digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return `${algorithm}-${hex}.sig`;
}

/** The payload bytes cosign would sign for these claims. */
export function simpleSigningPayload(claims: SimpleSigningClaims): Uint8Array {
  parseDigest(claims.manifestDigest);
  const optional = claims.optional === undefined ? "null" : goMap(claims.optional);
  const json =
    `{"critical":{"identity":{"docker-reference":${goString(claims.dockerReference)}},` +
    `"image":{"docker-manifest-digest":${goString(claims.manifestDigest)}},` +
    `"type":${goString(COSIGN_SIGNATURE_TYPE)}},"optional":${optional}}`;
  return new TextEncoder().encode(json);
}

/** Reads a payload as cosign does: any key order, `critical.type` must be cosign's. Throws an Error saying what is wrong. */
export function parseSimpleSigningPayload(bytes: Uint8Array): ParsedSimpleSigning {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Error("the payload is not JSON");
  }
  const critical = field(json, "critical");
  const type = field(critical, "type");
  if (type !== COSIGN_SIGNATURE_TYPE) throw new Error(`critical.type is ${JSON.stringify(type) ?? "missing"}, not "${COSIGN_SIGNATURE_TYPE}"`);
  const dockerReference = field(field(critical, "identity"), "docker-reference");
  const manifestDigest = field(field(critical, "image"), "docker-manifest-digest");
  if (typeof dockerReference !== "string" || dockerReference === "") throw new Error("critical.identity.docker-reference is missing");
  if (typeof manifestDigest !== "string" || tryParseDigest(manifestDigest) === undefined) throw new Error("critical.image.docker-manifest-digest is not a digest");
  const optional = field(json, "optional");
  return { dockerReference, manifestDigest, optional: isObject(optional) ? optional : null };
}

/** ECDSA-SHA256 over the exact payload bytes, DER-encoded, base64: the annotation's value. */
export function signPayload(payload: Uint8Array, privateKey: KeyObject): string {
  return sign("sha256", payload, { key: privateKey, dsaEncoding: "der" }).toString("base64");
}

export type SignatureCheck = "valid" | "mismatch" | "malformed";

/**
 * "mismatch": a well-formed signature that these bytes and this key do not
 * produce; "malformed": the annotation is not base64 of a DER ECDSA signature.
 */
export function checkPayloadSignature(payload: Uint8Array, base64Signature: string, publicKey: KeyObject): SignatureCheck {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64Signature) || base64Signature.length % 4 !== 0) return "malformed";
  const der = Buffer.from(base64Signature, "base64");
  if (!isDerEcdsaSignature(der)) return "malformed";
  try {
    return verify("sha256", payload, { key: publicKey, dsaEncoding: "der" }, der) ? "valid" : "mismatch";
  } catch {
    return "malformed";
  }
}

/** A cosign signature layer: the payload blob's descriptor with the signature annotation. */
export function signatureLayer(payload: Descriptor, base64Signature: string): Descriptor {
  return { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, size: payload.size, digest: payload.digest, annotations: { [SIGNATURE_ANNOTATION]: base64Signature } };
}

/**
 * The config of a signature image after appending one layer, as
 * go-containerregistry's mutate.Append writes it: the previous config's
 * fields kept, one history entry and one diff ID (a payload's diff ID is its
 * digest: it is stored uncompressed) per layer, `created` set once.
 */
export function nextSignatureConfig(previous: Record<string, unknown> | undefined, layers: readonly Descriptor[], now: Date): Uint8Array {
  const base = previous ?? {};
  const history = Array.isArray(base["history"]) ? [...(base["history"] as unknown[])] : [];
  const created = typeof base["created"] === "string" && base["created"] !== GO_ZERO_TIME ? base["created"] : goTime(now);
  const config = {
    architecture: typeof base["architecture"] === "string" ? base["architecture"] : "",
    ...base,
    created,
    history: [...history, { created: GO_ZERO_TIME }],
    os: typeof base["os"] === "string" ? base["os"] : "",
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
    config: isObject(base["config"]) ? base["config"] : {},
  };
  return new TextEncoder().encode(JSON.stringify(config));
}

/** The signature image manifest (OCI; field order as go-containerregistry writes it). */
export function signatureManifest(config: Descriptor, layers: readonly Descriptor[]): Uint8Array {
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    config: { mediaType: MediaTypes.ociConfig, size: config.size, digest: config.digest },
    layers: layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest, ...(l.annotations === undefined ? {} : { annotations: l.annotations }) })),
  };
  return new TextEncoder().encode(JSON.stringify(manifest));
}

/** True when `layer` already carries an equivalent signature (cosign's dupe detector): same payload, same annotations, verifies with `publicKey`. */
export function isSameSignature(layer: Descriptor, wanted: Descriptor, payload: Uint8Array, publicKey: KeyObject): boolean {
  if (layer.digest !== wanted.digest || layer.mediaType !== wanted.mediaType) return false;
  const existing = layer.annotations ?? {};
  for (const [key, value] of Object.entries(wanted.annotations ?? {})) {
    if (key !== SIGNATURE_ANNOTATION && existing[key] !== value) return false;
  }
  const signature = existing[SIGNATURE_ANNOTATION];
  return signature !== undefined && checkPayloadSignature(payload, signature, publicKey) === "valid";
}

/** A JSON string as Go's encoding/json writes it: <, >, & and U+2028/9 escaped. */
function goString(text: string): string {
  return JSON.stringify(text).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** RFC 3339 in whole seconds: cosign's signature configs carry `created` so (their 233-byte size for one layer shows it). */
function goTime(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

/** A map[string]string as Go writes it: keys in byte order. */
function goMap(map: Record<string, string>): string {
  const keys = Object.keys(map).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return `{${keys.map((k) => `${goString(k)}:${goString(map[k] ?? "")}`).join(",")}}`;
}

/** SEQUENCE { INTEGER r, INTEGER s } with definite lengths that add up. */
function isDerEcdsaSignature(der: Buffer): boolean {
  if (der.length < 8 || der[0] !== 0x30 || der[1] !== der.length - 2) return false;
  let offset = 2;
  for (let i = 0; i < 2; i++) {
    if (der[offset] !== 0x02) return false;
    const length = der[offset + 1] ?? 0;
    if (length === 0 || length > 33) return false;
    offset += 2 + length;
  }
  return offset === der.length;
}

function field(value: unknown, key: string): unknown {
  return isObject(value) ? value[key] : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
