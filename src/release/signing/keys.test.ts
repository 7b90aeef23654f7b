import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { inspect } from "node:util";
import { SlipwayError } from "../../domain/errors.js";
import { ensureSigningKey, keyIdOf, loadPublicKey, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from "./keys.js";

const root = mkdtempSync(join(tmpdir(), "slipway-keys-"));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const freshDir = (): string => join(root, `k${++n}`);
const mode = (path: string): number => statSync(path).mode & 0o777;
/** The base64 body of a PEM: what must never appear in a message. */
const pemBody = (pem: string): string[] => pem.split("\n").filter((l) => l !== "" && !l.startsWith("-----"));

function assertKeyError(fn: () => unknown, pattern: RegExp, secret?: string): SlipwayError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SlipwayError, `expected a SlipwayError, got ${String(caught)}`);
  assert.equal(caught.code, "SIGNING_KEY_INVALID");
  assert.match(`${caught.message} ${caught.hint ?? ""}`, pattern);
  if (secret !== undefined) {
    const text = JSON.stringify(caught.toJSON()) + caught.message + (caught.hint ?? "");
    for (const line of pemBody(secret)) assert.ok(!text.includes(line), "key material leaked into the error");
  }
  return caught;
}

describe("ensureSigningKey", () => {
  it("creates cosign.key (PKCS#8, 0600) and cosign.pub (SPKI) in a 0700 folder, and reuses them", () => {
    const dir = freshDir();
    const first = ensureSigningKey(dir);
    assert.equal(first.created, true);
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, PRIVATE_KEY_FILE)), 0o600);
    assert.match(readFileSync(join(dir, PRIVATE_KEY_FILE), "utf8"), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(readFileSync(join(dir, PUBLIC_KEY_FILE), "utf8"), first.publicKeyPem);
    assert.match(first.publicKeyPem, /^-----BEGIN PUBLIC KEY-----\n/);
    assert.equal(first.privateKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.match(first.keyId, /^[0-9a-f]{64}$/);
    assert.equal(keyIdOf(first.privateKey), first.keyId);

    const again = ensureSigningKey(dir);
    assert.equal(again.created, false);
    assert.equal(again.keyId, first.keyId);
  });

  it("writes the key 0600 exactly even under a umask that would strip the owner's bits", () => {
    const dir = freshDir();
    const previous = process.umask(0o277);
    try {
      ensureSigningKey(dir);
    } finally {
      process.umask(previous);
    }
    assert.equal(mode(join(dir, PRIVATE_KEY_FILE)), 0o600);
  });

  it("keeps key material out of inspect() and JSON", () => {
    const dir = freshDir();
    const key = ensureSigningKey(dir);
    const secret = readFileSync(join(dir, PRIVATE_KEY_FILE), "utf8");
    const shown = inspect(key, { depth: 5 }) + JSON.stringify(key);
    for (const line of pemBody(secret)) assert.ok(!shown.includes(line));
  });

  for (const loose of [0o644, 0o640, 0o604, 0o660]) {
    it(`refuses a key file with mode ${loose.toString(8)} and says how to fix it`, () => {
      const dir = freshDir();
      ensureSigningKey(dir);
      const path = join(dir, PRIVATE_KEY_FILE);
      const secret = readFileSync(path, "utf8");
      chmodSync(path, loose);
      const err = assertKeyError(() => ensureSigningKey(dir), new RegExp(`mode 0${loose.toString(8)}`), secret);
      assert.equal(err.hint, `chmod 600 ${path}`);
    });
  }

  it("quotes a path with spaces in the chmod hint", () => {
    const dir = join(root, "with space");
    ensureSigningKey(dir);
    chmodSync(join(dir, PRIVATE_KEY_FILE), 0o644);
    const err = assertKeyError(() => ensureSigningKey(dir), /others could read it/);
    assert.equal(err.hint, `chmod 600 '${join(dir, PRIVATE_KEY_FILE)}'`);
  });

  it("writes a missing cosign.pub again from cosign.key", () => {
    const dir = freshDir();
    const first = ensureSigningKey(dir);
    rmSync(join(dir, PUBLIC_KEY_FILE));
    assert.equal(ensureSigningKey(dir).publicKeyPem, first.publicKeyPem);
    assert.equal(readFileSync(join(dir, PUBLIC_KEY_FILE), "utf8"), first.publicKeyPem);
  });

  it("refuses a cosign.pub that is not the public half of cosign.key", () => {
    const dir = freshDir();
    ensureSigningKey(dir);
    const other = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    writeFileSync(join(dir, PUBLIC_KEY_FILE), other);
    assertKeyError(() => ensureSigningKey(dir), /not the public half/);
  });

  it("refuses an encrypted key, a non-PEM file and a key on another curve", () => {
    const encrypted = freshDir();
    ensureSigningKey(encrypted);
    writeFileSync(join(encrypted, PRIVATE_KEY_FILE), "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n");
    assertKeyError(() => ensureSigningKey(encrypted), /is encrypted/);

    const garbage = freshDir();
    ensureSigningKey(garbage);
    writeFileSync(join(garbage, PRIVATE_KEY_FILE), "not a key");
    assertKeyError(() => ensureSigningKey(garbage), /not a PEM private key/);

    const p384 = freshDir();
    ensureSigningKey(p384);
    rmSync(join(p384, PUBLIC_KEY_FILE));
    const secret = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    writeFileSync(join(p384, PRIVATE_KEY_FILE), secret);
    assertKeyError(() => ensureSigningKey(p384), /ECDSA secp384r1 key; slipway signs and verifies with ECDSA P-256/, secret);
  });
});

describe("loadPublicKey", () => {
  const dir = freshDir();
  const key = ensureSigningKey(dir);

  it("reads cosign.pub by path or as PEM text", () => {
    assert.equal(keyIdOf(loadPublicKey(join(dir, PUBLIC_KEY_FILE))), key.keyId);
    assert.equal(keyIdOf(loadPublicKey(key.publicKeyPem)), key.keyId);
  });

  it("refuses the private key, a missing file, garbage and RSA", () => {
    assertKeyError(() => loadPublicKey(join(dir, PRIVATE_KEY_FILE)), /is a private key/);
    assertKeyError(() => loadPublicKey(join(dir, "nope.pub")), /cannot read the public key .*ENOENT/);
    assertKeyError(() => loadPublicKey("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"), /not a PEM public key/);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    assertKeyError(() => loadPublicKey(rsa), /rsa key/);
  });
});
