import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { describe, it } from "node:test";
import { computeDigest } from "../../registry/digest.js";
import { MediaTypes, type Descriptor } from "../../registry/types.js";
import {
  checkPayloadSignature,
  isSameSignature,
  nextSignatureConfig,
  parseSimpleSigningPayload,
  SIGNATURE_ANNOTATION,
  signatureLayer,
  signatureManifest,
  signatureTag,
  signPayload,
  simpleSigningPayload,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from "./cosign.js";

const digestA = `sha256:${"a".repeat(64)}`;
const digestB = `sha256:${"b".repeat(64)}`;
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const p256 = (): { privateKey: ReturnType<typeof generateKeyPairSync>["privateKey"]; publicKey: ReturnType<typeof generateKeyPairSync>["publicKey"] } => generateKeyPairSync("ec", { namedCurve: "prime256v1" });

/**
 * A signature cosign itself made (a public test fixture for the image
 * wabbitnetworks.azurecr.io/test/cosign-image): its payload was stored as
 * blob sha256:d1226e36…, and the signature verifies with this P-256 key.
 */
const cosignFixture = {
  dockerReference: "wabbitnetworks.azurecr.io/test/cosign-image",
  manifestDigest: "sha256:623621b56649b5e0c2c7cf3ffd987932f8f9a5a01036e00d6f3ae9480087621c",
  payloadDigest: "sha256:d1226e36bc8502978324cb2cb2116c6aa48edb2ea8f15b1c6f6f256ed43388f6",
  signature: "MEUCIFBlKbxxg1Ni++g99jeWO8Of3g5L0Xd+qMzdqCZySQ8DAiEA3lcOJPJ1FQOahtWaRU0hG0XxFEsbcVx6SIyzYQMMR0A=",
  publicKeyPem: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE7eKu8pk7g2/IRhRy2P/2HcsSBcX6\nBZhOCIslH05AXqK5eKBFO0eM+hHqqiima4Tnwzc1sOot8tTFw9yDDmxpNA==\n-----END PUBLIC KEY-----\n",
};

describe("simpleSigningPayload", () => {
  it("writes the bytes cosign writes: fixed key order, optional null without annotations", () => {
    const payload = simpleSigningPayload({ dockerReference: "127.0.0.1:5000/team/app", manifestDigest: digestA });
    assert.equal(
      text(payload),
      `{"critical":{"identity":{"docker-reference":"127.0.0.1:5000/team/app"},"image":{"docker-manifest-digest":"${digestA}"},"type":"cosign container image signature"},"optional":null}`,
    );
  });

  it("hashes to the digest under which cosign stored the same claims (known answer)", () => {
    const payload = simpleSigningPayload({ dockerReference: cosignFixture.dockerReference, manifestDigest: cosignFixture.manifestDigest });
    assert.equal(computeDigest(payload), cosignFixture.payloadDigest);
  });

  it("sorts annotations by key and escapes HTML characters as Go's encoding/json does", () => {
    const payload = simpleSigningPayload({ dockerReference: "r/x", manifestDigest: digestA, optional: { zeta: "1", alpha: "<a&b>", "line\u2028sep": "\"q\"" } });
    assert.match(text(payload), /,"optional":\{"alpha":"\\u003ca\\u0026b\\u003e","line\\u2028sep":"\\"q\\"","zeta":"1"\}\}$/);
    assert.deepEqual(parseSimpleSigningPayload(payload).optional, { alpha: "<a&b>", "line\u2028sep": "\"q\"", zeta: "1" });
  });

  it("refuses a digest that is not one", () => {
    assert.throws(() => simpleSigningPayload({ dockerReference: "r/x", manifestDigest: "latest" }), { code: "REFERENCE_INVALID" });
  });
});

describe("parseSimpleSigningPayload", () => {
  it("reads back what it wrote, in any key order", () => {
    assert.deepEqual(parseSimpleSigningPayload(simpleSigningPayload({ dockerReference: "h:1/r", manifestDigest: digestA })), { dockerReference: "h:1/r", manifestDigest: digestA, optional: null });
    const reordered = `{"optional":{"k":"v"},"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":"${digestB}"},"identity":{"docker-reference":"h/r"}}}`;
    assert.deepEqual(parseSimpleSigningPayload(new TextEncoder().encode(reordered)), { dockerReference: "h/r", manifestDigest: digestB, optional: { k: "v" } });
  });

  const cases: [string, string, RegExp][] = [
    ["not JSON", "{", /not JSON/],
    ["another type", `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"${digestA}"},"type":"atomic container signature"}}`, /critical\.type is "atomic container signature"/],
    ["no reference", `{"critical":{"identity":{},"image":{"docker-manifest-digest":"${digestA}"},"type":"cosign container image signature"}}`, /docker-reference is missing/],
    ["a bad digest", `{"critical":{"identity":{"docker-reference":"r"},"image":{"docker-manifest-digest":"sha256:xyz"},"type":"cosign container image signature"}}`, /not a digest/],
  ];
  for (const [name, json, message] of cases) {
    it(`refuses ${name}`, () => assert.throws(() => parseSimpleSigningPayload(new TextEncoder().encode(json)), message));
  }
});

describe("signatures", () => {
  const { privateKey, publicKey } = p256();
  const payload = simpleSigningPayload({ dockerReference: "h/r", manifestDigest: digestA });

  it("round-trips: DER ECDSA-SHA256, base64", () => {
    const signature = signPayload(payload, privateKey);
    const der = Buffer.from(signature, "base64");
    assert.equal(der[0], 0x30, "an ASN.1 SEQUENCE");
    assert.equal(checkPayloadSignature(payload, signature, publicKey), "valid");
    assert.equal(checkPayloadSignature(payload, signature, createPublicKey(privateKey)), "valid");
  });

  it("verifies a signature cosign made over the same bytes", () => {
    const bytes = simpleSigningPayload({ dockerReference: cosignFixture.dockerReference, manifestDigest: cosignFixture.manifestDigest });
    assert.equal(checkPayloadSignature(bytes, cosignFixture.signature, createPublicKey(cosignFixture.publicKeyPem)), "valid");
  });

  it("tells a mismatch (other bytes, other key) from a malformed annotation", () => {
    const signature = signPayload(payload, privateKey);
    const tampered = Buffer.from(payload);
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 3) ^ 1, tampered.length - 3);
    assert.equal(checkPayloadSignature(tampered, signature, publicKey), "mismatch");
    assert.equal(checkPayloadSignature(payload, signature, p256().publicKey), "mismatch");
    const flipped = Buffer.from(signature, "base64");
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] ?? 0) ^ 0xff;
    assert.equal(checkPayloadSignature(payload, flipped.toString("base64"), publicKey), "mismatch");
    for (const bad of ["", "not base64!", "AAAA", Buffer.from("a raw 64-byte r||s is not DER".padEnd(64)).toString("base64"), signature.slice(0, -4)]) {
      assert.equal(checkPayloadSignature(payload, bad, publicKey), "malformed", bad);
    }
  });
});

describe("the signature image", () => {
  const payload: Descriptor = { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, digest: digestA, size: 210 };

  it("is tagged <alg>-<hex>.sig", () => assert.equal(signatureTag(digestB), `sha256-${"b".repeat(64)}.sig`));

  it("has cosign's layer: simple-signing media type, signature annotation", () => {
    assert.deepEqual(signatureLayer(payload, "MEUC"), { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, size: 210, digest: digestA, annotations: { [SIGNATURE_ANNOTATION]: "MEUC" } });
  });

  it("has the config mutate.Append makes of an empty image (233 bytes for one layer, as cosign's)", () => {
    const layer = signatureLayer(payload, "x");
    const config = nextSignatureConfig(undefined, [layer], new Date("2024-05-01T10:20:30.456Z"));
    assert.equal(
      text(config),
      `{"architecture":"","created":"2024-05-01T10:20:30Z","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["${digestA}"]},"config":{}}`,
    );
    assert.equal(config.length, 233);
  });

  it("appends: keeps created, adds one history entry and the new diff ID", () => {
    const first = JSON.parse(text(nextSignatureConfig(undefined, [signatureLayer(payload, "x")], new Date("2024-01-01T00:00:00Z")))) as Record<string, unknown>;
    const second = JSON.parse(text(nextSignatureConfig(first, [signatureLayer(payload, "x"), signatureLayer({ ...payload, digest: digestB }, "y")], new Date("2025-01-01T00:00:00Z")))) as Record<string, unknown>;
    assert.equal(second["created"], "2024-01-01T00:00:00Z");
    assert.equal((second["history"] as unknown[]).length, 2);
    assert.deepEqual(second["rootfs"], { type: "layers", diff_ids: [digestA, digestB] });
    assert.deepEqual(Object.keys(second), ["architecture", "created", "history", "os", "rootfs", "config"]);
  });

  it("is an OCI image manifest with an OCI config, fields in go-containerregistry's order", () => {
    const config: Descriptor = { mediaType: MediaTypes.ociConfig, digest: digestB, size: 233 };
    const manifest = JSON.parse(text(signatureManifest(config, [signatureLayer(payload, "sig")]))) as Record<string, unknown>;
    assert.deepEqual(Object.keys(manifest), ["schemaVersion", "mediaType", "config", "layers"]);
    assert.equal(manifest["mediaType"], MediaTypes.ociManifest);
    assert.deepEqual(manifest["config"], { mediaType: "application/vnd.oci.image.config.v1+json", size: 233, digest: digestB });
    assert.deepEqual(Object.keys((manifest["layers"] as object[])[0] ?? {}), ["mediaType", "size", "digest", "annotations"]);
  });
});

describe("isSameSignature (cosign's dupe detector)", () => {
  const { privateKey, publicKey } = p256();
  const bytes = simpleSigningPayload({ dockerReference: "h/r", manifestDigest: digestA });
  const blob: Descriptor = { mediaType: SIMPLE_SIGNING_MEDIA_TYPE, digest: computeDigest(bytes), size: bytes.length };
  const existing = signatureLayer(blob, signPayload(bytes, privateKey));
  const wanted = signatureLayer(blob, "");

  it("finds a layer with the same payload that verifies with the key", () => assert.equal(isSameSignature(existing, wanted, bytes, publicKey), true));
  it("does not match another key's signature", () => assert.equal(isSameSignature(existing, wanted, bytes, p256().publicKey), false));
  it("does not match another payload", () => assert.equal(isSameSignature({ ...existing, digest: digestB }, wanted, bytes, publicKey), false));
  it("does not match when the new signature carries annotations the old lacks", () => {
    assert.equal(isSameSignature(existing, { ...wanted, annotations: { ...wanted.annotations, extra: "1" } }, bytes, publicKey), false);
  });
});
