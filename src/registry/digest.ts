// Content digests: computed over the exact bytes, checked while they stream
// past so a blob is never held whole to be verified.
import { createHash, type Hash } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import { SlipwayError } from "../domain/errors.js";
import { parseDigest, type ParsedDigest } from "./reference.js";

export function computeDigest(bytes: Uint8Array, algorithm: ParsedDigest["algorithm"] = "sha256"): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
}

/** True when `bytes` hash to `digest`, in whichever algorithm the digest names. */
export function matchesDigest(bytes: Uint8Array, digest: string): boolean {
  return computeDigest(bytes, parseDigest(digest).algorithm) === digest;
}

export interface DigestExpectation {
  digest?: string;
  size?: number;
  /** Names the content in the error, e.g. "blob sha256:… of team/app in registry 127.0.0.1:5001". */
  what: string;
}

/**
 * Passes bytes through unchanged while hashing and counting them. At the end
 * it fails with DIGEST_MISMATCH if they differ from what was expected.
 */
export class DigestingStream extends Transform {
  readonly #hash: Hash;
  readonly #algorithm: ParsedDigest["algorithm"];
  readonly #expected: DigestExpectation;
  #bytes = 0;
  #digest: string | undefined;

  constructor(expected: DigestExpectation) {
    super();
    this.#expected = expected;
    this.#algorithm = expected.digest === undefined ? "sha256" : parseDigest(expected.digest).algorithm;
    this.#hash = createHash(this.#algorithm);
  }

  /** True when this stream already checks for exactly `digest`, so another check would hash every byte twice. */
  verifies(digest: string, size: number | undefined): boolean {
    return this.#expected.digest === digest && (size === undefined || this.#expected.size === size);
  }

  /** Bytes seen so far. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The digest of all bytes; only once the stream has ended. */
  get digest(): string {
    if (this.#digest === undefined) throw new Error("DigestingStream.digest read before the stream ended");
    return this.#digest;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    if (this.#expected.size !== undefined && this.#bytes > this.#expected.size) {
      callback(mismatch(`${this.#expected.what} is longer than the ${this.#expected.size} bytes expected`));
      return;
    }
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.#digest = `${this.#algorithm}:${this.#hash.digest("hex")}`;
    const { digest, size, what } = this.#expected;
    if (size !== undefined && this.#bytes !== size) return callback(mismatch(`${what} has ${this.#bytes} bytes, expected ${size}`));
    if (digest !== undefined && this.#digest !== digest) return callback(mismatch(`${what} hashes to ${this.#digest}, expected ${digest}`));
    callback();
  }
}

function mismatch(message: string): SlipwayError {
  return new SlipwayError("DIGEST_MISMATCH", message, {
    hint: "the content changed or was corrupted in transit; nothing was stored under the expected digest",
  });
}
