// Checks an image's cosign signature and its provenance, and says precisely
// what is wrong when one fails: no signature, another key, a signature for
// another image or repository, altered bytes. The signature passes when at
// least one layer of `sha256-<hex>.sig` verifies with the key (as cosign);
// claims in a payload are trusted only after its signature verified.
import type { KeyObject } from "node:crypto";
import { SlipwayError } from "../../domain/errors.js";
import { formatReference, parseReference } from "../../registry/reference.js";
import type { Descriptor, RegistryClient } from "../../registry/types.js";
import { checkPayloadSignature, KEY_ID_ANNOTATION, parseSimpleSigningPayload, SIGNATURE_ANNOTATION, signatureTag, SIMPLE_SIGNING_MEDIA_TYPE, type ParsedSimpleSigning } from "./cosign.js";
import { keyIdOf } from "./keys.js";
import { IN_TOTO_MEDIA_TYPE, parseProvenanceStatement, statementNamesDigest, type InTotoStatement } from "./provenance.js";
import { findManifest, readSmallBlob } from "./registry-io.js";

export type SignatureFailure = "missing" | "wrong-key" | "other-image" | "other-repository" | "tampered" | "malformed";
export type ProvenanceFailure = "missing" | "other-image" | "tampered" | "malformed";

/** One layer of the signature image and what its check found. */
export interface SignatureLayerVerdict {
  /** 0-based position in the signature image. */
  index: number;
  ok: boolean;
  reason?: SignatureFailure;
  detail: string;
}

export interface VerifyReport {
  /** `registry/repository`. */
  image: string;
  digest: string;
  signature: { ok: boolean; detail: string; reason?: SignatureFailure; layers: SignatureLayerVerdict[] };
  provenance: { ok: boolean; detail: string; reason?: ProvenanceFailure; statement?: InTotoStatement; artifactDigest?: string };
  ok: boolean;
}

const PAYLOAD_LIMIT = 1024 * 1024;
const STATEMENT_LIMIT = 4 * 1024 * 1024;
/** When every layer fails, the reason reported is the most alarming one found. */
const SEVERITY: readonly SignatureFailure[] = ["tampered", "other-image", "other-repository", "malformed", "wrong-key", "missing"];

/** Resolves `reference` (tag or digest) and checks the digest's signature and provenance. Registry failures throw; verification failures are in the report. */
export async function verifyImage(client: RegistryClient, repository: string, reference: string, publicKey: KeyObject): Promise<VerifyReport> {
  const ref = parseReference(reference);
  const image = await client.headManifest(repository, reference);
  if (image === undefined) {
    throw new SlipwayError("REGISTRY_NOT_FOUND", `there is no image ${formatReference(repository, reference)} at ${client.registry} to verify`, { hint: "check the repository and the tag or digest" });
  }
  // A digest asked for is the digest checked, whatever the registry answers.
  const digest = ref.kind === "digest" ? ref.digest : image.digest;
  const name = `${client.registry}/${repository}`;
  const signature = await verifySignature(client, repository, { digest, name }, publicKey);
  const provenance = await verifyProvenance(client, repository, digest);
  return { image: name, digest, signature, provenance, ok: signature.ok && provenance.ok };
}

/** The error a failed report means, for a command to exit with; undefined when it passed. */
export function verificationError(report: VerifyReport): SlipwayError | undefined {
  const at = `${report.image}@${report.digest}`;
  if (!report.signature.ok) {
    const code = report.signature.reason === "missing" ? "SIGNATURE_MISSING" : "SIGNATURE_INVALID";
    return new SlipwayError(code, `${at}: ${report.signature.detail}`, { hint: code === "SIGNATURE_MISSING" ? "promote the image again so slipway signs it" : "do not deploy this image; verify with the key slipway signed with (cosign.pub)" });
  }
  if (!report.provenance.ok) {
    const code = report.provenance.reason === "missing" ? "PROVENANCE_MISSING" : "PROVENANCE_INVALID";
    return new SlipwayError(code, `${at}: ${report.provenance.detail}`, { hint: "promote the image again so slipway attaches its provenance" });
  }
  return undefined;
}

interface Expected {
  digest: string;
  /** `registry/repository`: what docker-reference must say. */
  name: string;
}

async function verifySignature(client: RegistryClient, repository: string, expected: Expected, publicKey: KeyObject): Promise<VerifyReport["signature"]> {
  const tag = signatureTag(expected.digest);
  const signatures = await findManifest(client, repository, tag);
  if (signatures === undefined) return { ok: false, reason: "missing", detail: `not signed: there is no ${tag} in ${expected.name}`, layers: [] };
  if (signatures.kind !== "manifest") return { ok: false, reason: "malformed", detail: `${tag} is an index, not a cosign signature image`, layers: [] };
  const candidates = signatures.manifest.layers;
  if (candidates.length === 0) return { ok: false, reason: "missing", detail: `not signed: ${tag} holds no signatures`, layers: [] };

  const keyId = keyIdOf(publicKey);
  const layers: SignatureLayerVerdict[] = [];
  for (const [index, layer] of candidates.entries()) layers.push({ index, ...(await checkSignatureLayer(client, repository, layer, expected, publicKey, keyId)) });
  const passed = layers.find((l) => l.ok);
  if (passed !== undefined) return { ok: true, detail: passed.detail, layers };
  const worst = SEVERITY.find((reason) => layers.some((l) => l.reason === reason)) ?? "malformed";
  const detail = layers.length === 1 ? (layers[0]?.detail ?? "") : `none of the ${layers.length} signatures verifies: ${layers.map((l) => `[${l.index}] ${l.detail}`).join("; ")}`;
  return { ok: false, reason: worst, detail, layers };
}

async function checkSignatureLayer(client: RegistryClient, repository: string, layer: Descriptor, expected: Expected, publicKey: KeyObject, keyId: string): Promise<Omit<SignatureLayerVerdict, "index">> {
  if (layer.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) return fail("malformed", `a ${layer.mediaType} layer, not a simple-signing payload`);
  const signature = layer.annotations?.[SIGNATURE_ANNOTATION];
  if (signature === undefined) return fail("malformed", `the layer has no ${SIGNATURE_ANNOTATION} annotation`);

  let payload: Uint8Array;
  try {
    payload = await readSmallBlob(client, repository, layer.digest, PAYLOAD_LIMIT);
  } catch (err) {
    if (err instanceof SlipwayError && err.code === "DIGEST_MISMATCH") return fail("tampered", `the payload blob does not hash to ${layer.digest}: it was altered in the registry`);
    if (err instanceof SlipwayError && err.code === "REGISTRY_NOT_FOUND") return fail("malformed", `the payload blob ${layer.digest} is not in the registry`);
    if (err instanceof SlipwayError && err.code === "REGISTRY_REFUSED" && !err.retryable) return fail("malformed", err.message);
    throw err;
  }

  let claims: ParsedSimpleSigning | undefined;
  let parseProblem = "";
  try {
    claims = parseSimpleSigningPayload(payload);
  } catch (err) {
    parseProblem = err instanceof Error ? err.message : String(err);
  }

  const check = checkPayloadSignature(payload, signature, publicKey);
  if (check === "malformed") return fail("malformed", "the signature annotation is not a base64 DER ECDSA signature: it was altered, or is not cosign's");
  if (check === "mismatch") {
    const signer = claims?.optional?.[KEY_ID_ANNOTATION];
    if (claims === undefined) return fail("tampered", `the signature does not verify and the payload is not cosign's (${parseProblem}): it was altered`);
    if (signer === keyId) return fail("tampered", `the payload or its signature was altered after signing: it names key ${short(keyId)}, the key given, but does not verify with it`);
    if (typeof signer === "string") return fail("wrong-key", `signed with key ${short(signer)}, not with the key given (${short(keyId)})`);
    return fail("wrong-key", `the signature does not verify with the key given (${short(keyId)}): signed with another key, or altered`);
  }
  if (claims === undefined) return fail("malformed", `the signature verifies but the payload is not a cosign simple-signing payload: ${parseProblem}`);
  if (claims.manifestDigest !== expected.digest) return fail("other-image", `the signature is for ${claims.dockerReference}@${claims.manifestDigest}, not for ${expected.digest}: it was copied from another image`);
  if (claims.dockerReference !== expected.name) return fail("other-repository", `the signature is for ${claims.dockerReference}, not for ${expected.name}`);
  return { ok: true, detail: `signed by key ${short(keyId)} for ${claims.dockerReference}@${claims.manifestDigest}` };
}

async function verifyProvenance(client: RegistryClient, repository: string, digest: string): Promise<VerifyReport["provenance"]> {
  const referrers = await client.referrers(repository, digest, { artifactType: IN_TOTO_MEDIA_TYPE });
  if (referrers.length === 0) return { ok: false, reason: "missing", detail: `no provenance: no ${IN_TOTO_MEDIA_TYPE} artifact refers to ${digest}` };
  let firstFailure: VerifyReport["provenance"] | undefined;
  // Newest first: the fallback index lists referrers in the order they were attached.
  for (const referrer of [...referrers].reverse()) {
    const result = await checkProvenanceArtifact(client, repository, referrer.digest, digest);
    if (result.ok) return result;
    firstFailure ??= result;
  }
  return firstFailure ?? { ok: false, reason: "missing", detail: "no provenance" };
}

async function checkProvenanceArtifact(client: RegistryClient, repository: string, artifactDigest: string, digest: string): Promise<VerifyReport["provenance"]> {
  const failed = (reason: ProvenanceFailure, detail: string): VerifyReport["provenance"] => ({ ok: false, reason, detail: `provenance ${artifactDigest}: ${detail}`, artifactDigest });
  const artifact = await findManifest(client, repository, artifactDigest);
  if (artifact === undefined) return failed("missing", "listed as a referrer but not in the registry");
  if (artifact.kind !== "manifest") return failed("malformed", "an index, not an artifact manifest");
  const subject = artifact.manifest.subject?.digest;
  if (subject !== digest) return failed("other-image", `refers to ${subject ?? "no subject"}, not to ${digest}`);
  const layer = artifact.manifest.layers.find((l) => l.mediaType === IN_TOTO_MEDIA_TYPE);
  if (layer === undefined) return failed("malformed", `has no ${IN_TOTO_MEDIA_TYPE} layer`);

  let statement: InTotoStatement;
  try {
    statement = parseProvenanceStatement(await readSmallBlob(client, repository, layer.digest, STATEMENT_LIMIT));
  } catch (err) {
    if (err instanceof SlipwayError && err.code === "DIGEST_MISMATCH") return failed("tampered", `the statement blob does not hash to ${layer.digest}`);
    if (err instanceof SlipwayError && err.code === "REGISTRY_NOT_FOUND") return failed("malformed", `the statement blob ${layer.digest} is not in the registry`);
    if (err instanceof SlipwayError && err.code === "REGISTRY_REFUSED" && !err.retryable) return failed("malformed", err.message);
    if (err instanceof SlipwayError) throw err;
    return failed("malformed", err instanceof Error ? err.message : String(err));
  }
  if (!statementNamesDigest(statement, digest)) return failed("other-image", `the statement's subject is ${statement.subject.map((s) => JSON.stringify(s.digest)).join(", ")}, not ${digest}`);
  const params = statement.predicate.buildDefinition.externalParameters as Record<string, unknown>;
  const run = statement.predicate.runDetails.metadata?.invocationId ?? "?";
  return { ok: true, detail: `SLSA provenance ${artifactDigest}: ${String(params["service"])} ${String(params["version"])} from ${String(params["sourceRepository"])}@${String(params["commit"])}, run ${run}`, statement, artifactDigest };
}

function fail(reason: SignatureFailure, detail: string): Omit<SignatureLayerVerdict, "index"> {
  return { ok: false, reason, detail };
}

function short(keyId: string): string {
  return keyId.slice(0, 12);
}
