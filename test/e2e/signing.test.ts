// Signing and provenance against a real CNCF Distribution 2.8 registry on
// loopback (no referrers API, so provenance goes through the `sha256-<hex>`
// tag fallback): sign as cosign does, attach SLSA provenance, verify; then
// each way verification must fail: unsigned, another key, a signature copied
// from another image or repository, altered payload or signature, no or
// misattributed provenance.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import Docker from "dockerode";
import { SlipwayError } from "../../src/domain/errors.js";
import { parseRegistryUrl } from "../../src/domain/registry-address.js";
import { startDaemon, stopDaemon, type DaemonSpec } from "../../src/platform/daemon.js";
import { registryBinary, registryDaemonSpec } from "../../src/platform/registry-daemon.js";
import { computeDigest } from "../../src/registry/digest.js";
import { OciRegistryClient } from "../../src/registry/oci/oci-registry-client.js";
import { referrersTag } from "../../src/registry/referrers.js";
import { MediaTypes, type Descriptor, type Manifest, type RegistryClient } from "../../src/registry/types.js";
import { attachProvenance } from "../../src/release/signing/attach-provenance.js";
import { KEY_ID_ANNOTATION, SIGNATURE_ANNOTATION, signatureTag, SIMPLE_SIGNING_MEDIA_TYPE } from "../../src/release/signing/cosign.js";
import { ensureSigningKey, loadPublicKey, PUBLIC_KEY_FILE, type SigningKey } from "../../src/release/signing/keys.js";
import { buildProvenanceStatement, IN_TOTO_MEDIA_TYPE, type ProvenanceInput } from "../../src/release/signing/provenance.js";
import { signImage } from "../../src/release/signing/sign-image.js";
import { verificationError, verifyImage, type VerifyReport } from "../../src/release/signing/verify.js";

const PORT = 15701;
const REPO = "e2e/shop/api";
const root = mkdtempSync(join(tmpdir(), "slipway-signing-e2e-"));
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const debianRepo = `127.0.0.1:${PORT}/e2e/debian`;
let daemon: DaemonSpec | undefined;
let client: RegistryClient;
let key: SigningKey;
let otherKey: SigningKey;

const input: ProvenanceInput = {
  sourceRepository: "https://git.example.com/shop/api.git",
  commit: "0123456789abcdef0123456789abcdef01234567",
  service: "api",
  version: "2.1.0",
  runId: "run-e2e-1",
  contentHash: "e".repeat(64),
  buildImage: "debian:bookworm-slim",
  testResults: [{ stage: "unit-test", status: "passed", durationMs: 10 }],
  startedOn: "2024-05-01T10:00:00Z",
  finishedOn: "2024-05-01T10:01:00Z",
};

before(async () => {
  const binary = registryBinary();
  assert.ok(binary, "docker-registry is not installed (scripts/setup-host.sh installs it)");
  daemon = registryDaemonSpec(join(root, "state"), "prod", parseRegistryUrl(`127.0.0.1:${PORT}`), binary);
  await startDaemon(daemon);
  client = new OciRegistryClient(parseRegistryUrl(`127.0.0.1:${PORT}`), { retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 } });
  key = ensureSigningKey(join(root, "keys"));
  otherKey = ensureSigningKey(join(root, "other-keys"));
});

after(async () => {
  client?.close();
  if (daemon !== undefined) await stopDaemon(daemon);
  await docker
    .getImage(`${debianRepo}:bookworm-slim`)
    .remove()
    .catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe("a promoted image, signed and with provenance", () => {
  it("is signed in cosign's format, carries SLSA provenance, and verifies with cosign.pub", async () => {
    const image = await pushDebianWithDocker();
    const repository = "e2e/debian";
    const signatureDigest = await signImage(client, repository, image.digest, key.privateKey);
    const artifactDigest = await attachProvenance(client, repository, image, statementFor(repository, image.digest));

    // The signature image, as cosign writes it.
    const tag = signatureTag(image.digest);
    assert.equal(tag, `sha256-${image.digest.slice(7)}.sig`);
    const signatures = await client.getManifest(repository, tag);
    assert.equal(signatures.descriptor.digest, signatureDigest);
    assert.equal(signatures.descriptor.mediaType, MediaTypes.ociManifest);
    const manifest = signatures.manifest as Manifest;
    assert.equal(manifest.config.mediaType, "application/vnd.oci.image.config.v1+json");
    assert.equal(manifest.layers.length, 1);
    const layer = manifest.layers[0] as Descriptor;
    assert.equal(layer.mediaType, "application/vnd.dev.cosign.simplesigning.v1+json");
    assert.match(layer.annotations?.[SIGNATURE_ANNOTATION] ?? "", /^ME[QUY][A-Za-z0-9+/]+=*$/, "base64 of a DER SEQUENCE");
    const payload = await readBlob(repository, layer.digest);
    assert.equal(
      payload.toString("utf8"),
      `{"critical":{"identity":{"docker-reference":"127.0.0.1:${PORT}/e2e/debian"},"image":{"docker-manifest-digest":"${image.digest}"},"type":"cosign container image signature"},"optional":{"${KEY_ID_ANNOTATION}":"${key.keyId}"}}`,
    );
    const config = JSON.parse((await readBlob(repository, manifest.config.digest)).toString("utf8")) as { rootfs: { diff_ids: string[] }; history: unknown[] };
    assert.deepEqual(config.rootfs.diff_ids, [layer.digest]);
    assert.equal(config.history.length, 1);

    // Provenance: an OCI artifact whose subject is the image, found through the tag fallback.
    const tags = await client.listTags(repository);
    assert.ok(tags.includes(tag) && tags.includes(referrersTag(image.digest)), `tags: ${tags.join(", ")}`);
    const referrers = await client.referrers(repository, image.digest, { artifactType: IN_TOTO_MEDIA_TYPE });
    assert.deepEqual(referrers.map((d) => d.digest), [artifactDigest]);
    const artifact = (await client.getManifest(repository, artifactDigest)).manifest as Manifest;
    assert.equal(artifact.artifactType, "application/vnd.in-toto+json");
    assert.equal(artifact.subject?.digest, image.digest);
    assert.deepEqual(artifact.layers.map((l) => l.mediaType), ["application/vnd.in-toto+json"]);

    const publicKey = loadPublicKey(join(root, "keys", PUBLIC_KEY_FILE));
    for (const reference of ["bookworm-slim", image.digest]) {
      const report = await verifyImage(client, repository, reference, publicKey);
      assert.equal(report.ok, true, JSON.stringify(report, null, 2));
      assert.equal(report.digest, image.digest);
      assert.match(report.signature.detail, new RegExp(`signed by key ${key.keyId.slice(0, 12)} for 127\\.0\\.0\\.1:${PORT}/e2e/debian@${image.digest}`));
      assert.equal(report.provenance.artifactDigest, artifactDigest);
      assert.deepEqual(report.provenance.statement?.predicate.buildDefinition.externalParameters, { sourceRepository: input.sourceRepository, commit: input.commit, service: "api", version: "2.1.0" });
      assert.equal(report.provenance.statement?.predicate.runDetails.metadata.invocationId, "run-e2e-1");
      assert.equal(verificationError(report), undefined);
    }
  });

  it("signing again with the same key adds nothing; another key appends a layer and keeps the first", async () => {
    const image = await pushSmallImage("resign");
    const first = await signImage(client, REPO, image.digest, key.privateKey);
    assert.equal(await signImage(client, REPO, image.digest, key.privateKey), first, "a retried signing must not pile up layers");
    const before = (await client.getManifest(REPO, signatureTag(image.digest))).manifest as Manifest;

    const second = await signImage(client, REPO, image.digest, otherKey.privateKey);
    assert.notEqual(second, first);
    const after = (await client.getManifest(REPO, signatureTag(image.digest))).manifest as Manifest;
    assert.equal(after.layers.length, 2);
    assert.deepEqual(after.layers[0], before.layers[0]);
    await attachProvenance(client, REPO, image, statementFor(REPO, image.digest));

    assert.equal((await verifyImage(client, REPO, image.digest, key.publicKey)).ok, true);
    assert.equal((await verifyImage(client, REPO, image.digest, otherKey.publicKey)).ok, true);
    const stranger = ensureSigningKey(join(root, "stranger-keys"));
    const report = await verifyImage(client, REPO, image.digest, stranger.publicKey);
    assert.equal(report.signature.reason, "wrong-key");
    assert.match(report.signature.detail, /none of the 2 signatures verifies: \[0\] signed with key .*; \[1\] signed with key /);
  });

  it("attaching the same provenance twice lists it once", async () => {
    const image = await pushSmallImage("twice");
    const statement = statementFor(REPO, image.digest);
    const first = await attachProvenance(client, REPO, image, statement);
    assert.equal(await attachProvenance(client, REPO, image, statement), first);
    assert.deepEqual((await client.referrers(REPO, image.digest)).map((d) => d.digest), [first]);
  });
});

describe("verification fails", () => {
  it("for an unsigned image without provenance", async () => {
    const image = await pushSmallImage("unsigned");
    const report = await verifyImage(client, REPO, "unsigned", key.publicKey);
    assert.equal(report.ok, false);
    assert.equal(report.signature.reason, "missing");
    assert.match(report.signature.detail, new RegExp(`not signed: there is no ${signatureTag(image.digest)}`));
    assert.equal(report.provenance.reason, "missing");
    assertError(report, "SIGNATURE_MISSING");
  });

  it("with another key", async () => {
    const image = await signedImageWithProvenance("other-key");
    const report = await verifyImage(client, REPO, image.digest, otherKey.publicKey);
    assert.equal(report.ok, false);
    assert.equal(report.signature.reason, "wrong-key");
    assert.equal(report.signature.detail, `signed with key ${key.keyId.slice(0, 12)}, not with the key given (${otherKey.keyId.slice(0, 12)})`);
    assert.equal(report.provenance.ok, true, "the provenance is fine; only the signature fails");
    assertError(report, "SIGNATURE_INVALID");
  });

  it("when the .sig tag holds a signature for another digest", async () => {
    const victim = await signedImageWithProvenance("victim");
    const donor = await signedImageWithProvenance("donor");
    const donorSignature = await client.getManifest(REPO, signatureTag(donor.digest));
    await client.putManifest(REPO, signatureTag(victim.digest), donorSignature.bytes, MediaTypes.ociManifest);

    const report = await verifyImage(client, REPO, victim.digest, key.publicKey);
    assert.equal(report.signature.reason, "other-image");
    assert.match(report.signature.detail, new RegExp(`the signature is for 127\\.0\\.0\\.1:${PORT}/${REPO}@${donor.digest}, not for ${victim.digest}`));
    assertError(report, "SIGNATURE_INVALID");
  });

  it("when the signature was made for the same digest in another repository", async () => {
    const image = await signedImageWithProvenance("moved");
    const elsewhere = "e2e/elsewhere/api";
    await copyManifestAndBlobs(REPO, image.digest, elsewhere);
    await copyManifestAndBlobs(REPO, signatureTag(image.digest), elsewhere, signatureTag(image.digest));
    await attachProvenance(client, elsewhere, image, statementFor(elsewhere, image.digest));

    const report = await verifyImage(client, elsewhere, image.digest, key.publicKey);
    assert.equal(report.signature.reason, "other-repository");
    assert.equal(report.signature.detail, `the signature is for 127.0.0.1:${PORT}/${REPO}, not for 127.0.0.1:${PORT}/${elsewhere}`);
  });

  it("when the payload was altered to cover another image (new payload blob and manifest under its .sig tag)", async () => {
    const signed = await signedImageWithProvenance("signed");
    const target = await pushSmallImage("target");
    await attachProvenance(client, REPO, target, statementFor(REPO, target.digest));
    const original = (await client.getManifest(REPO, signatureTag(signed.digest))).manifest as Manifest;
    const layer = original.layers[0] as Descriptor;
    const forged = (await readBlob(REPO, layer.digest)).toString("utf8").replace(signed.digest, target.digest);
    const forgedBlob = await pushBytes(REPO, Buffer.from(forged), SIMPLE_SIGNING_MEDIA_TYPE);
    const forgedManifest: Manifest = { ...original, layers: [{ ...layer, digest: forgedBlob.digest, size: forgedBlob.size }] };
    await client.putManifest(REPO, signatureTag(target.digest), new TextEncoder().encode(JSON.stringify(forgedManifest)), MediaTypes.ociManifest);

    const report = await verifyImage(client, REPO, target.digest, key.publicKey);
    assert.equal(report.signature.reason, "tampered");
    assert.match(report.signature.detail, /the payload or its signature was altered after signing/);
    assertError(report, "SIGNATURE_INVALID");
  });

  it("when the signature annotation was altered or replaced by garbage", async () => {
    const image = await signedImageWithProvenance("resigned");
    const original = (await client.getManifest(REPO, signatureTag(image.digest))).manifest as Manifest;
    const layer = original.layers[0] as Descriptor;
    const der = Buffer.from(layer.annotations?.[SIGNATURE_ANNOTATION] ?? "", "base64");
    der.writeUInt8(der.readUInt8(der.length - 1) ^ 0x01, der.length - 1);
    const withSignature = (signature: string): Uint8Array => new TextEncoder().encode(JSON.stringify({ ...original, layers: [{ ...layer, annotations: { [SIGNATURE_ANNOTATION]: signature } }] }));

    await client.putManifest(REPO, signatureTag(image.digest), withSignature(der.toString("base64")), MediaTypes.ociManifest);
    const flipped = await verifyImage(client, REPO, image.digest, key.publicKey);
    assert.equal(flipped.signature.reason, "tampered");

    await client.putManifest(REPO, signatureTag(image.digest), withSignature("bm90IGEgc2lnbmF0dXJl"), MediaTypes.ociManifest);
    const garbage = await verifyImage(client, REPO, image.digest, key.publicKey);
    assert.equal(garbage.signature.reason, "malformed");
    assert.match(garbage.signature.detail, /not a base64 DER ECDSA signature/);
  });

  it("when the image is signed but has no provenance", async () => {
    const image = await pushSmallImage("no-provenance");
    await signImage(client, REPO, image.digest, key.privateKey);
    const report = await verifyImage(client, REPO, image.digest, key.publicKey);
    assert.equal(report.signature.ok, true);
    assert.equal(report.provenance.reason, "missing");
    assert.equal(report.ok, false);
    assertError(report, "PROVENANCE_MISSING");
  });

  it("when the image's referrers list provenance about another image", async () => {
    const image = await pushSmallImage("misattributed");
    await signImage(client, REPO, image.digest, key.privateKey);
    const other = await pushSmallImage("attributed");
    const otherArtifact = await attachProvenance(client, REPO, other, statementFor(REPO, other.digest));
    const listed = await client.getManifest(REPO, referrersTag(other.digest));
    await client.putManifest(REPO, referrersTag(image.digest), listed.bytes, MediaTypes.ociIndex);

    const report = await verifyImage(client, REPO, image.digest, key.publicKey);
    assert.equal(report.provenance.reason, "other-image");
    assert.equal(report.provenance.detail, `provenance ${otherArtifact}: refers to ${other.digest}, not to ${image.digest}`);
    assertError(report, "PROVENANCE_INVALID");
  });
});

describe("refusals", () => {
  it("does not sign a digest the registry does not have", async () => {
    await assert.rejects(signImage(client, REPO, computeDigest(randomBytes(8)), key.privateKey), { code: "REGISTRY_NOT_FOUND" });
  });

  it("does not attach a statement about another digest", async () => {
    const image = await pushSmallImage("refuse-statement");
    await assert.rejects(attachProvenance(client, REPO, image, statementFor(REPO, computeDigest(randomBytes(8)))), { code: "PROVENANCE_INVALID" });
  });

  it("does not verify an image that is not there", async () => {
    await assert.rejects(verifyImage(client, REPO, "no-such-tag", key.publicKey), { code: "REGISTRY_NOT_FOUND" });
  });
});

// ——— helpers ———

function statementFor(repository: string, digest: string): ReturnType<typeof buildProvenanceStatement> {
  return buildProvenanceStatement(input, `127.0.0.1:${PORT}/${repository}`, digest);
}

function assertError(report: VerifyReport, code: string): void {
  const err = verificationError(report);
  assert.ok(err instanceof SlipwayError);
  assert.equal(err.code, code);
  assert.equal(err.exitCode, 6);
  assert.ok(err.message.startsWith(`127.0.0.1:${PORT}/`), err.message);
}

async function signedImageWithProvenance(tag: string): Promise<Descriptor> {
  const image = await pushSmallImage(tag);
  await signImage(client, REPO, image.digest, key.privateKey);
  await attachProvenance(client, REPO, image, statementFor(REPO, image.digest));
  return image;
}

async function pushBytes(repository: string, bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  const digest = computeDigest(bytes);
  await client.pushBlob(repository, Readable.from([Buffer.from(bytes)]), { digest, size: bytes.length });
  return { mediaType, digest, size: bytes.length };
}

/** A one-layer OCI image of random bytes, tagged; its descriptor. */
async function pushSmallImage(tag: string): Promise<Descriptor> {
  const layer = await pushBytes(REPO, randomBytes(1024), MediaTypes.ociLayerGzip);
  const config = await pushBytes(REPO, new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [layer.digest] } })), MediaTypes.ociConfig);
  const bytes = new TextEncoder().encode(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers: [layer] } satisfies Manifest));
  const digest = await client.putManifest(REPO, tag, bytes, MediaTypes.ociManifest);
  return { mediaType: MediaTypes.ociManifest, digest, size: bytes.length };
}

async function pushDebianWithDocker(): Promise<Descriptor> {
  await docker.getImage("debian:bookworm-slim").tag({ repo: debianRepo, tag: "bookworm-slim" });
  const output = await follow(await docker.getImage(`${debianRepo}:bookworm-slim`).push({ authconfig: { serveraddress: `127.0.0.1:${PORT}` } }));
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
  assert.ok(digest, `push reported no digest: ${output}`);
  const descriptor = await client.headManifest("e2e/debian", digest);
  assert.ok(descriptor);
  return descriptor;
}

async function readBlob(repository: string, digest: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of (await client.getBlob(repository, digest)).stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Copies a single-platform manifest and its blobs to another repository of the registry. */
async function copyManifestAndBlobs(from: string, reference: string, to: string, tag?: string): Promise<void> {
  const fetched = await client.getManifest(from, reference);
  const manifest = fetched.manifest as Manifest;
  for (const blob of [manifest.config, ...manifest.layers]) {
    await client.mountBlob(to, blob, from, async () => Readable.from([await readBlob(from, blob.digest)]));
  }
  await client.putManifest(to, tag ?? fetched.descriptor.digest, fetched.bytes, fetched.descriptor.mediaType);
}

function follow(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { status?: string; error?: string }[]) => {
      if (err) return reject(err);
      const failed = events.find((e) => e.error !== undefined);
      if (failed) return reject(new Error(failed.error));
      resolve(events.map((e) => e.status ?? "").join("\n"));
    });
  });
}
