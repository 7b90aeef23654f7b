import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { SlipwayError } from "../domain/errors.js";
import { computeDigest, DigestingStream, matchesDigest } from "./digest.js";

const HELLO = new TextEncoder().encode("hello");
const HELLO_SHA256 = "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

async function drain(chunks: Buffer[], stream: DigestingStream): Promise<number> {
  let seen = 0;
  await pipeline(Readable.from(chunks), stream, new Writable({ write: (c: Buffer, _e, cb) => ((seen += c.length), cb()) }));
  return seen;
}

describe("computeDigest", () => {
  it("hashes the exact bytes", () => {
    assert.equal(computeDigest(HELLO), HELLO_SHA256);
    assert.equal(computeDigest(new Uint8Array()), "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.match(computeDigest(HELLO, "sha512"), /^sha512:[0-9a-f]{128}$/);
  });
  it("matches in the digest's own algorithm", () => {
    assert.equal(matchesDigest(HELLO, HELLO_SHA256), true);
    assert.equal(matchesDigest(HELLO, computeDigest(HELLO, "sha512")), true);
    assert.equal(matchesDigest(new Uint8Array([1]), HELLO_SHA256), false);
  });
});

describe("DigestingStream", () => {
  it("passes bytes through and reports their digest across chunk boundaries", async () => {
    const stream = new DigestingStream({ what: "test" });
    assert.equal(await drain([Buffer.from("he"), Buffer.from("llo")], stream), 5);
    assert.equal(stream.digest, HELLO_SHA256);
    assert.equal(stream.bytes, 5);
  });
  it("fails with DIGEST_MISMATCH when the bytes hash differently", async () => {
    const stream = new DigestingStream({ what: "blob x", digest: computeDigest(Buffer.from("other")) });
    await assert.rejects(drain([Buffer.from("hello")], stream), (e: unknown) => e instanceof SlipwayError && e.code === "DIGEST_MISMATCH" && e.message.includes("blob x hashes to " + HELLO_SHA256));
  });
  it("fails as soon as there are more bytes than expected, and when there are fewer", async () => {
    await assert.rejects(drain([Buffer.from("hello")], new DigestingStream({ what: "b", size: 3 })), /longer than the 3 bytes/);
    await assert.rejects(drain([Buffer.from("hello")], new DigestingStream({ what: "b", size: 9 })), /has 5 bytes, expected 9/);
  });
});
