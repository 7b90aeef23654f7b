import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { keyIdOf } from "../signing/keys.js";
import { parseEnvelope, preAuthEncoding, signEnvelope, verifyEnvelope } from "./dsse.js";

const pair = () => generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const payload = new TextEncoder().encode('{"hello":"world"}');

describe("preAuthEncoding", () => {
  it("is the DSSE spec's example, byte for byte", () => {
    assert.equal(Buffer.from(preAuthEncoding("http://example.com/HelloWorld", new TextEncoder().encode("hello world"))).toString(), "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
  });
  it("counts bytes, not characters", () => {
    assert.equal(Buffer.from(preAuthEncoding("t", new TextEncoder().encode("é"))).toString(), "DSSEv1 1 t 2 é");
  });
});

describe("signEnvelope / verifyEnvelope", () => {
  const signer = pair();
  const trusted = new Map([[keyIdOf(signer.publicKey), signer.publicKey]]);
  const envelope = signEnvelope("application/vnd.in-toto+json", payload, signer.privateKey);

  it("round-trips through JSON and names the key", () => {
    const back = parseEnvelope(new TextEncoder().encode(JSON.stringify(envelope)));
    const check = verifyEnvelope(back, trusted);
    assert.equal(check.ok, true);
    if (check.ok) {
      assert.equal(check.keyId, keyIdOf(signer.publicKey));
      assert.deepEqual(Buffer.from(check.payload), Buffer.from(payload));
    }
  });
  it("refuses an altered payload", () => {
    const altered = { ...envelope, payload: Buffer.from('{"hello":"mars"}').toString("base64") };
    assert.deepEqual(pick(verifyEnvelope(altered, trusted)), { ok: false, reason: "bad-signature" });
  });
  it("refuses a changed payloadType: the type is signed too", () => {
    assert.deepEqual(pick(verifyEnvelope({ ...envelope, payloadType: "text/plain" }, trusted)), { ok: false, reason: "bad-signature" });
  });
  it("refuses a key trust does not list, naming it", () => {
    const other = pair();
    const check = verifyEnvelope(signEnvelope("application/vnd.in-toto+json", payload, other.privateKey), trusted);
    assert.deepEqual(pick(check), { ok: false, reason: "untrusted-key" });
    if (!check.ok) assert.match(check.detail, new RegExp(keyIdOf(other.publicKey).slice(0, 12)));
  });
  it("does not believe a keyid: an untrusted key claiming a trusted id fails", () => {
    const other = pair();
    const forged = signEnvelope("application/vnd.in-toto+json", payload, other.privateKey);
    forged.signatures[0] = { keyid: keyIdOf(signer.publicKey), sig: forged.signatures[0]?.sig ?? "" };
    assert.equal(verifyEnvelope(forged, trusted).ok, false);
  });
  it("finds the trusted key when keyid is empty", () => {
    const anonymous = { ...envelope, signatures: envelope.signatures.map((s) => ({ ...s, keyid: "" })) };
    assert.equal(verifyEnvelope(anonymous, trusted).ok, true);
  });
  it("refuses an unsigned envelope", () => {
    assert.deepEqual(pick(verifyEnvelope({ ...envelope, signatures: [] }, trusted)), { ok: false, reason: "unsigned" });
  });
});

describe("parseEnvelope", () => {
  const cases: [string, string, RegExp][] = [
    ["not JSON", "{", /not JSON/],
    ["no payloadType", '{"payload":"","signatures":[]}', /payloadType/],
    ["payload not base64", '{"payloadType":"t","payload":"!!","signatures":[]}', /base64/],
    ["no signatures", '{"payloadType":"t","payload":""}', /signatures/],
    ["a signature without sig", '{"payloadType":"t","payload":"","signatures":[{"keyid":"k"}]}', /signatures\[0\]/],
  ];
  for (const [name, json, message] of cases) it(`refuses ${name}`, () => assert.throws(() => parseEnvelope(new TextEncoder().encode(json)), message));
});

function pick(check: ReturnType<typeof verifyEnvelope>): { ok: boolean; reason?: string } {
  return check.ok ? { ok: true } : { ok: false, reason: check.reason };
}
