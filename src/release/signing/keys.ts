// The signing key slipway creates and keeps: an ECDSA P-256 pair as
// `cosign.key` (PKCS#8 PEM, mode 0600) and `cosign.pub` (SPKI PEM), which
// `cosign verify --key cosign.pub` also reads. The private key is unencrypted
// so unattended promotion can sign; file permissions are its only guard, so a
// key file others can read is refused rather than used. Nothing here logs or
// puts key material into messages.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { closeSync, existsSync, fchmodSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SlipwayError } from "../../domain/errors.js";

export const PRIVATE_KEY_FILE = "cosign.key";
export const PUBLIC_KEY_FILE = "cosign.pub";

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** SPKI PEM, as written to cosign.pub. */
  publicKeyPem: string;
  /** Hex SHA-256 of the public key's DER (SPKI): names the key in payloads and messages. */
  keyId: string;
  /** True when this call generated the pair. */
  created: boolean;
}

/** Loads the pair in `dir`, creating it (and `dir`, mode 0700) on first use. */
export function ensureSigningKey(dir: string): SigningKey {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  let created = false;
  if (!existsSync(privatePath)) created = writeNewPrivateKey(privatePath);
  const privateKey = readPrivateKey(privatePath);
  const publicKey = createPublicKey(privateKey);
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  syncPublicKeyFile(join(dir, PUBLIC_KEY_FILE), publicKeyPem, privatePath);
  return { privateKey, publicKey, publicKeyPem, keyId: keyIdOf(publicKey), created };
}

/** A verification key from a PEM text or a file holding one (SPKI "PUBLIC KEY", ECDSA P-256). */
export function loadPublicKey(pathOrPem: string): KeyObject {
  const isPem = pathOrPem.trimStart().startsWith("-----BEGIN");
  const where = isPem ? "the public key given" : pathOrPem;
  let pem: string;
  try {
    pem = isPem ? pathOrPem : readFileSync(pathOrPem, "utf8");
  } catch (err) {
    throw keyError(`cannot read the public key ${where}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`, "pass the path of cosign.pub (or its PEM text)", err);
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    throw keyError(`${where} is a private key; verification takes the public key`, `pass ${PUBLIC_KEY_FILE}, never ${PRIVATE_KEY_FILE}`);
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: "pem" });
  } catch (err) {
    throw keyError(`${where} is not a PEM public key`, "expected a \"-----BEGIN PUBLIC KEY-----\" block as in cosign.pub", err);
  }
  assertP256(key, where);
  return key;
}

/** Hex SHA-256 of the DER SPKI encoding: the same for the private key and its public half. */
export function keyIdOf(key: KeyObject): string {
  const publicKey = key.type === "private" ? createPublicKey(key) : key;
  return createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex");
}

/**
 * Writes a fresh key as 0600 from its first byte (O_EXCL on a temp name, then
 * a hard link, which fails rather than replaces): a concurrent slipway that
 * wins the race keeps its key and this one reads it. Returns true when ours won.
 */
function writeNewPrivateKey(path: string): boolean {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(temp, "wx", 0o600);
  try {
    fchmodSync(fd, 0o600); // the umask may have taken bits away; 0600 exactly is what the check expects
    writeFileSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw keyError(`cannot create the signing key ${path}: ${(err as NodeJS.ErrnoException).code ?? "write failed"}`, "check that slipway may write to its state directory", err);
  } finally {
    rmSync(temp, { force: true });
  }
}

function readPrivateKey(path: string): KeyObject {
  assertOwnerOnly(path);
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    throw keyError(`cannot read the signing key ${path}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`, "check the file's owner: slipway must run as the user that owns it", err);
  }
  if (pem.includes("ENCRYPTED")) {
    throw keyError(`the signing key ${path} is encrypted; slipway signs unattended and reads only an unencrypted PKCS#8 key kept at mode 0600`, `move it away and let slipway create ${PRIVATE_KEY_FILE}, or export it unencrypted as PKCS#8 PEM`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    // The cause is Node's decoder message; it never quotes the key.
    throw keyError(`the signing key ${path} is not a PEM private key`, `move it away and let slipway create a new ${PRIVATE_KEY_FILE}`, err);
  }
  assertP256(key, path);
  return key;
}

/** Refuses a key file that group or others may read or write, naming the fix. */
function assertOwnerOnly(path: string): void {
  const stats = statSync(path);
  if (!stats.isFile()) throw keyError(`the signing key ${path} is not a regular file`, `remove it; slipway creates ${PRIVATE_KEY_FILE} itself`);
  if (process.platform === "win32") return; // POSIX mode bits mean nothing there
  const loose = stats.mode & 0o077;
  if (loose !== 0) {
    throw keyError(`the signing key ${path} has mode ${(stats.mode & 0o777).toString(8).padStart(4, "0")}: others could read it and sign as you`, `chmod 600 ${shellQuote(path)}`);
  }
}

/** Writes cosign.pub when absent; a different one present means someone mixed up keys. */
function syncPublicKeyFile(path: string, pem: string, privatePath: string): void {
  if (existsSync(path)) {
    const present = readFileSync(path, "utf8");
    let matches = false;
    try {
      matches = keyIdOf(createPublicKey(present)) === keyIdOf(createPublicKey(pem));
    } catch {
      matches = false;
    }
    if (!matches) throw keyError(`${path} is not the public half of ${privatePath}`, `delete ${shellQuote(path)}; slipway writes it again from ${PRIVATE_KEY_FILE}`);
    return;
  }
  const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fd = openSync(temp, "wx", 0o644);
  try {
    writeFileSync(fd, pem);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

function assertP256(key: KeyObject, where: string): void {
  if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    const kind = key.asymmetricKeyType === "ec" ? `ECDSA ${key.asymmetricKeyDetails?.namedCurve ?? "?"}` : (key.asymmetricKeyType ?? "unknown");
    throw keyError(`${where} is a ${kind} key; slipway signs and verifies with ECDSA P-256`, "use the key pair slipway created (cosign.key / cosign.pub)");
  }
}

function keyError(message: string, hint: string, cause?: unknown): SlipwayError {
  return new SlipwayError("SIGNING_KEY_INVALID", message, { hint, ...(cause === undefined ? {} : { cause }) });
}

function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, "'\\''")}'`;
}

/** The environment variable a CI runner puts its signing key (PKCS#8 PEM) in, from its secret store. */
export const SIGNING_KEY_ENV = "SLIPWAY_SIGNING_KEY";

/**
 * The key CI and releases sign with: SLIPWAY_SIGNING_KEY when set (a CI
 * secret; never a file in the repository), else the pair kept in `dir`.
 * Never puts the key's text into a message.
 */
export function signingKeyFor(env: Readonly<Record<string, string | undefined>>, dir: string): SigningKey {
  const pem = env[SIGNING_KEY_ENV];
  if (pem === undefined || pem.trim() === "") return ensureSigningKey(dir);
  if (pem.includes("ENCRYPTED")) throw keyError(`${SIGNING_KEY_ENV} holds an encrypted key; slipway signs unattended and reads only an unencrypted PKCS#8 PEM key`, "store the key unencrypted in the CI system's secret store");
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: pem, format: "pem" });
  } catch (err) {
    throw keyError(`${SIGNING_KEY_ENV} is set but is not a PEM private key`, "put the whole of cosign.key (-----BEGIN PRIVATE KEY----- …) in the secret", err);
  }
  assertP256(privateKey, SIGNING_KEY_ENV);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(), keyId: keyIdOf(publicKey), created: false };
}
