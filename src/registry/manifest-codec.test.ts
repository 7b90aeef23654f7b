import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeManifest, encodeManifest, essence, MANIFEST_ACCEPT, negotiateMediaType } from "./manifest-codec.js";
import { MediaTypes } from "./types.js";

const DIGEST = `sha256:${"c".repeat(64)}`;
const blob = { mediaType: MediaTypes.ociLayerGzip, digest: DIGEST, size: 3 };
const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe("MANIFEST_ACCEPT", () => {
  it("asks for OCI and Docker, single and multi-platform", () => {
    for (const type of [MediaTypes.ociManifest, MediaTypes.ociIndex, MediaTypes.dockerManifest, MediaTypes.dockerManifestList]) assert.ok(MANIFEST_ACCEPT.includes(type), type);
  });
});

describe("negotiateMediaType", () => {
  const none = { manifests: false, layers: false };
  const cases: [string, unknown, string | undefined, { manifests: boolean; layers: boolean }, string | undefined][] = [
    ["the body's field wins over the header", MediaTypes.dockerManifest, MediaTypes.ociManifest, none, MediaTypes.dockerManifest],
    ["the header, without parameters, when the body has no field", undefined, `${MediaTypes.ociIndex}; charset=utf-8`, none, MediaTypes.ociIndex],
    ["shape for an unlabelled index", undefined, "application/json", { manifests: true, layers: false }, MediaTypes.ociIndex],
    ["shape for an unlabelled manifest", undefined, undefined, { manifests: false, layers: true }, MediaTypes.ociManifest],
    ["nothing for Docker schema 1", "application/vnd.docker.distribution.manifest.v1+prettyjws", undefined, { manifests: false, layers: false }, undefined],
    ["nothing for an unknown header", undefined, "text/html", { manifests: false, layers: true }, undefined],
  ];
  for (const [name, field, header, shape, expected] of cases) it(name, () => assert.equal(negotiateMediaType(field, header, shape), expected));
});

describe("decodeManifest", () => {
  it("reads a Docker v2 manifest", () => {
    const decoded = decodeManifest(bytes({ schemaVersion: 2, mediaType: MediaTypes.dockerManifest, config: { ...blob, mediaType: MediaTypes.dockerConfig }, layers: [blob] }), MediaTypes.dockerManifest);
    assert.equal(decoded.kind, "manifest");
    assert.equal(decoded.mediaType, MediaTypes.dockerManifest);
  });
  it("reads an OCI index and keeps platform and unknown fields", () => {
    const decoded = decodeManifest(bytes({ schemaVersion: 2, manifests: [{ ...blob, mediaType: MediaTypes.ociManifest, platform: { os: "linux", architecture: "arm64" } }], extra: 1 }), MediaTypes.ociIndex);
    assert.equal(decoded.kind, "index");
    if (decoded.kind === "index") assert.equal(decoded.manifest.manifests[0]?.platform?.architecture, "arm64");
  });
  it("says what is wrong", () => {
    assert.throws(() => decodeManifest(new TextEncoder().encode("<html>"), "text/html"), /not JSON/);
    assert.throws(() => decodeManifest(bytes({ schemaVersion: 1, name: "x" }), "application/vnd.docker.distribution.manifest.v1+prettyjws"), /not one slipway reads/);
    assert.throws(() => decodeManifest(bytes({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config: { ...blob, digest: "sha256:nope" }, layers: [] }), undefined), /config\.digest/);
  });
  it("round-trips what it encodes", () => {
    const index = { schemaVersion: 2 as const, mediaType: MediaTypes.ociIndex, manifests: [] };
    assert.deepEqual(decodeManifest(encodeManifest(index), undefined).manifest, index);
  });
});

describe("essence", () => {
  it("drops parameters and case", () => assert.equal(essence("Application/JSON ; charset=utf-8"), "application/json"));
});
