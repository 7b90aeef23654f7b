// DSSE (Dead Simple Signing Envelope) v1, as in-toto and cosign use it: the
// signature covers PAE(payloadType, payload) — the type is signed too, so a
// payload cannot be re-read as another kind — with ECDSA-SHA256 (DER,
// base64), the cosign key format slipway already keeps. `keyid` is the hex
// SHA-256 of the signer's SPKI: a hint for picking the key, never trusted on
// its own. Pure: bytes in, bytes out.
import { sign, verify, type KeyObject } from "node:crypto";
import { keyIdOf } from "../signing/keys.js";

/** The envelope's own media type, used as the OCI artifact type and layer type. */
export const DSSE_MEDIA_TYPE = "application/vnd.dsse.envelope.v1+json";
/** payloadType of an in-toto Statement. */
export const IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json";

export interface DsseSignature {
  keyid: string;
  /** base64 of a DER ECDSA-SHA256 signature over PAE. */
  sig: string;
}

export interface DsseEnvelope {
  payloadType: string;
  /** base64 of the payload bytes. */
  payload: string;
  signatures: DsseSignature[];
}

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes. */
export function preAuthEncoding(payloadType: string, payload: Uint8Array): Uint8Array {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), Buffer.from(payload)]);
}

export function signEnvelope(payloadType: string, payload: Uint8Array, privateKey: KeyObject): DsseEnvelope {
  const sig = sign("sha256", preAuthEncoding(payloadType, payload), { key: privateKey, dsaEncoding: "der" }).toString("base64");
  return { payloadType, payload: Buffer.from(payload).toString("base64"), signatures: [{ keyid: keyIdOf(privateKey), sig }] };
}

export type EnvelopeCheck = { ok: true; keyId: string; payload: Uint8Array } | { ok: false; reason: "malformed" | "unsigned" | "untrusted-key" | "bad-signature"; detail: string };

/**
 * Checks the envelope against the trusted keys (by key id). Passes when one
 * signature verifies with one of them. Names what failed otherwise: a
 * signature by a key nobody trusts, or one that claims a trusted key but does
 * not verify (altered payload or signature).
 */
export function verifyEnvelope(envelope: DsseEnvelope, trusted: ReadonlyMap<string, KeyObject>): EnvelopeCheck {
  if (envelope.signatures.length === 0) return { ok: false, reason: "unsigned", detail: "the envelope carries no signature" };
  const payload = Buffer.from(envelope.payload, "base64");
  const pae = preAuthEncoding(envelope.payloadType, payload);
  const strangers: string[] = [];
  for (const signature of envelope.signatures) {
    const der = Buffer.from(signature.sig, "base64");
    // Try the key it names first, then every trusted key: a keyid is only a hint.
    const named = trusted.get(signature.keyid);
    const candidates = named === undefined ? [...trusted.entries()] : [[signature.keyid, named] as const, ...[...trusted.entries()].filter(([id]) => id !== signature.keyid)];
    for (const [keyId, key] of candidates) {
      if (checks(pae, der, key)) return { ok: true, keyId, payload };
    }
    if (named === undefined) strangers.push(signature.keyid === "" ? "(no keyid)" : signature.keyid.slice(0, 12));
  }
  if (strangers.length === envelope.signatures.length) return { ok: false, reason: "untrusted-key", detail: `signed by key ${strangers.join(", ")}, which trust: in slipway.yaml does not list` };
  return { ok: false, reason: "bad-signature", detail: "the signature does not verify with the trusted key it names: the payload or signature was altered after signing" };
}

/** Reads envelope JSON; throws an Error saying what is wrong. */
export function parseEnvelope(bytes: Uint8Array): DsseEnvelope {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Error("the envelope is not JSON");
  }
  if (typeof json !== "object" || json === null) throw new Error("the envelope is not a JSON object");
  const { payloadType, payload, signatures } = json as Record<string, unknown>;
  if (typeof payloadType !== "string") throw new Error("the envelope has no payloadType");
  if (typeof payload !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(payload)) throw new Error("the envelope's payload is not base64");
  if (!Array.isArray(signatures)) throw new Error("the envelope has no signatures list");
  const parsed: DsseSignature[] = signatures.map((s: unknown, i) => {
    const { keyid, sig } = (typeof s === "object" && s !== null ? s : {}) as Record<string, unknown>;
    if (typeof sig !== "string") throw new Error(`signatures[${i}] has no sig`);
    return { keyid: typeof keyid === "string" ? keyid : "", sig };
  });
  return { payloadType, payload, signatures: parsed };
}

function checks(pae: Uint8Array, der: Buffer, key: KeyObject): boolean {
  try {
    return verify("sha256", pae, { key, dsaEncoding: "der" }, der);
  } catch {
    return false;
  }
}
