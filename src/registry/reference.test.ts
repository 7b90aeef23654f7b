import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../domain/errors.js";
import { formatReference, isValidRepository, parseImageReference, parseReference, tryParseDigest } from "./reference.js";

const HEX = "a".repeat(64);

describe("isValidRepository", () => {
  const cases: [string, boolean][] = [
    ["app", true],
    ["team/app", true],
    ["a.b_c__d--e/f", true],
    ["Team/app", false],
    ["team//app", false],
    ["-app", false],
    ["app_", false],
    ["a___b", false],
    ["", false],
    ["a/".repeat(128) + "a", false],
  ];
  for (const [name, valid] of cases) it(`${JSON.stringify(name.slice(0, 20))} is ${valid ? "valid" : "invalid"}`, () => assert.equal(isValidRepository(name), valid));
});

describe("tryParseDigest", () => {
  it("accepts sha256 and sha512 of the right length", () => {
    assert.deepEqual(tryParseDigest(`sha256:${HEX}`), { algorithm: "sha256", hex: HEX });
    assert.equal(tryParseDigest(`sha512:${"b".repeat(128)}`)?.algorithm, "sha512");
  });
  it("rejects wrong lengths, upper case and unknown algorithms", () => {
    for (const text of [`sha256:${HEX}0`, `sha256:${HEX.toUpperCase()}`, `md5:${HEX}`, "sha256:", HEX]) assert.equal(tryParseDigest(text), undefined, text);
  });
});

describe("parseReference", () => {
  it("tells tags from digests", () => {
    assert.deepEqual(parseReference("v1.2_rc-3"), { kind: "tag", tag: "v1.2_rc-3" });
    assert.deepEqual(parseReference(`sha256:${HEX}`), { kind: "digest", digest: `sha256:${HEX}` });
  });
  it("rejects what is neither, with a stable code", () => {
    for (const text of [".hidden", "-x", "a".repeat(129), "sha256:short", "a/b"]) {
      assert.throws(() => parseReference(text), (e: unknown) => e instanceof SlipwayError && e.code === "REFERENCE_INVALID", text);
    }
  });
});

describe("parseImageReference", () => {
  const cases: [string, ReturnType<typeof parseImageReference>][] = [
    ["debian", { registry: undefined, repository: "debian", tag: undefined, digest: undefined }],
    ["debian:bookworm-slim", { registry: undefined, repository: "debian", tag: "bookworm-slim", digest: undefined }],
    ["127.0.0.1:5001/team/app:1.2", { registry: "127.0.0.1:5001", repository: "team/app", tag: "1.2", digest: undefined }],
    ["localhost/app", { registry: "localhost", repository: "app", tag: undefined, digest: undefined }],
    ["ghcr.io/org/app@sha256:" + HEX, { registry: "ghcr.io", repository: "org/app", tag: undefined, digest: `sha256:${HEX}` }],
    ["team/app:1@sha256:" + HEX, { registry: undefined, repository: "team/app", tag: "1", digest: `sha256:${HEX}` }],
  ];
  for (const [text, expected] of cases) it(text.slice(0, 40), () => assert.deepEqual(parseImageReference(text), expected));
  it("rejects upper-case repositories and bad digests", () => {
    assert.throws(() => parseImageReference("Team/App"), /invalid repository name/);
    assert.throws(() => parseImageReference("app@sha256:zz"), /not a digest/);
  });
});

describe("formatReference", () => {
  it("joins tags with : and digests with @", () => {
    assert.equal(formatReference("a/b", "v1"), "a/b:v1");
    assert.equal(formatReference("a/b", `sha256:${HEX}`), `a/b@sha256:${HEX}`);
  });
});
