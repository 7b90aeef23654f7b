// Reads the attestations of an image digest from a registry and judges each:
// the envelope must verify with a key `trust:` lists, that key must be
// allowed to sign this kind of evidence, and the signed statement must name
// this exact digest. Only then do its facts count. Everything is read fresh
// from the registry; the caller caches what passed.
import type { KeyObject } from "node:crypto";
import { SlipwayError } from "../../domain/errors.js";
import type { Descriptor, RegistryClient } from "../../registry/types.js";
import { findManifest, readSmallBlob } from "../signing/registry-io.js";
import { EVIDENCE_ANNOTATION } from "./attach.js";
import { DSSE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE, parseEnvelope, verifyEnvelope } from "./dsse.js";
import { evidenceKinds, namesDigest, readStatement, type EvidenceFacts, type EvidenceKind } from "./statements.js";

export interface TrustedKey {
  /** The team or CI identity the key belongs to, as named under trust: in slipway.yaml. */
  identity: string;
  keyId: string;
  publicKey: KeyObject;
  /** The kinds of evidence this key may sign. */
  may: readonly EvidenceKind[];
}

export type AttestationFailure = "malformed" | "missing-blob" | "unsigned" | "untrusted-key" | "bad-signature" | "not-allowed" | "other-digest";

export type AttestationVerdict =
  | { ok: true; artifact: string; kind: EvidenceKind; signer: string; keyId: string; facts: EvidenceFacts & Record<string, unknown>; detail: string }
  | { ok: false; artifact: string; kind?: EvidenceKind; reason: AttestationFailure; detail: string };

const ENVELOPE_LIMIT = 4 * 1024 * 1024;

/** Every DSSE attestation referring to `digest` in `repository`, judged. Registry failures throw. */
export async function readEvidence(client: RegistryClient, repository: string, digest: string, trust: readonly TrustedKey[]): Promise<AttestationVerdict[]> {
  const referrers = await client.referrers(repository, digest, { artifactType: DSSE_MEDIA_TYPE });
  const verdicts: AttestationVerdict[] = [];
  for (const referrer of referrers) verdicts.push(await judge(client, repository, referrer, digest, trust));
  return verdicts;
}

async function judge(client: RegistryClient, repository: string, referrer: Descriptor, digest: string, trust: readonly TrustedKey[]): Promise<AttestationVerdict> {
  const hinted = referrer.annotations?.[EVIDENCE_ANNOTATION];
  const hint = (evidenceKinds as readonly string[]).includes(hinted ?? "") ? (hinted as EvidenceKind) : undefined;
  const fail = (reason: AttestationFailure, detail: string): AttestationVerdict => ({ ok: false, artifact: referrer.digest, ...(hint ? { kind: hint } : {}), reason, detail });
  const artifact = await findManifest(client, repository, referrer.digest);
  if (artifact === undefined) return fail("missing-blob", "listed as a referrer but not in the registry");
  if (artifact.kind !== "manifest") return fail("malformed", "an index, not an attestation manifest");
  if (artifact.manifest.subject?.digest !== digest) return fail("other-digest", `refers to ${artifact.manifest.subject?.digest ?? "nothing"}, not ${digest}`);
  const layer = artifact.manifest.layers.find((l) => l.mediaType === DSSE_MEDIA_TYPE);
  if (layer === undefined) return fail("malformed", `has no ${DSSE_MEDIA_TYPE} layer`);
  let bytes: Uint8Array;
  try {
    bytes = await readSmallBlob(client, repository, layer.digest, ENVELOPE_LIMIT);
  } catch (err) {
    if (err instanceof SlipwayError && err.code === "REGISTRY_NOT_FOUND") return fail("missing-blob", `its envelope ${layer.digest} is not in the registry (an interrupted upload?)`);
    if (err instanceof SlipwayError && err.code === "DIGEST_MISMATCH") return fail("bad-signature", `its envelope does not hash to ${layer.digest}: altered in the registry`);
    throw err;
  }
  let envelope;
  try {
    envelope = parseEnvelope(bytes);
  } catch (err) {
    return fail("malformed", (err as Error).message);
  }
  if (envelope.payloadType !== IN_TOTO_PAYLOAD_TYPE) return fail("malformed", `the envelope carries ${envelope.payloadType}, not an in-toto statement`);
  const keys = new Map(trust.map((t) => [t.keyId, t.publicKey]));
  const check = verifyEnvelope(envelope, keys);
  if (!check.ok) return fail(check.reason, check.detail);
  const signer = trust.find((t) => t.keyId === check.keyId);
  let read;
  try {
    read = readStatement(check.payload);
  } catch (err) {
    return fail("malformed", `signed, but ${(err as Error).message}`);
  }
  const kind = read.facts.kind;
  const failSigned = (reason: AttestationFailure, detail: string): AttestationVerdict => ({ ok: false, artifact: referrer.digest, kind, reason, detail });
  if (!namesDigest(read.statement, digest)) {
    const named = read.statement.subject.map((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`).join(",")).join("; ");
    return failSigned("other-digest", `the signed statement is about ${named}, not ${digest}: copied from another image`);
  }
  if (signer === undefined || !signer.may.includes(kind)) {
    return failSigned("not-allowed", `signed by ${signer?.identity ?? check.keyId.slice(0, 12)}, which trust: does not allow to sign ${kind} evidence (it may sign: ${signer?.may.join(", ") || "nothing"})`);
  }
  return { ok: true, artifact: referrer.digest, kind, signer: signer.identity, keyId: signer.keyId, facts: read.facts, detail: `${kind} ${read.facts.status}, signed by ${signer.identity}${read.facts.runId ? `, run ${read.facts.runId}` : ""}` };
}

export interface KindStanding {
  /** A verified attestation says it passed. */
  passed: boolean;
  /** Why it does not count, naming the stage; undefined when it passed. */
  reason?: string;
  /** The verified attestation that decided, if any. */
  accepted?: Extract<AttestationVerdict, { ok: true }>;
}

/** Whether `kind` passed by the verified attestations; a refused one only explains. Newest verified wins. */
export function standingOf(verdicts: readonly AttestationVerdict[], kind: EvidenceKind, digest: string): KindStanding {
  const verified = verdicts.filter((v): v is Extract<AttestationVerdict, { ok: true }> => v.ok && v.kind === kind);
  const passed = verified.filter((v) => v.facts.status === "passed").sort((a, b) => a.facts.finishedOn.localeCompare(b.facts.finishedOn)).at(-1);
  if (passed !== undefined) return { passed: true, accepted: passed };
  const latest = verified.sort((a, b) => a.facts.finishedOn.localeCompare(b.facts.finishedOn)).at(-1);
  if (latest !== undefined) return { passed: false, accepted: latest, reason: `${kind}: the signed attestation says ${latest.facts.status} (${latest.detail})` };
  const refused = verdicts.filter((v) => !v.ok && v.kind === kind);
  if (refused.length > 0) return { passed: false, reason: `${kind}: ${refused.map((v) => `attestation ${v.artifact.slice(0, 19)} refused: ${v.detail}`).join("; ")}` };
  return { passed: false, reason: `${kind}: no attestation of this stage refers to ${digest}` };
}
