import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { filterByArtifactType, referrerDescriptor, referrersTag, withReferrer } from "./referrers.js";
import { MediaTypes, type Descriptor, type Manifest } from "./types.js";

const d = (c: string): string => `sha256:${c.repeat(64)}`;

describe("referrersTag", () => {
  it("replaces the colon with a dash", () => assert.equal(referrersTag(d("a")), `sha256-${"a".repeat(64)}`));
  it("truncates to the 128 characters a tag may have", () => assert.equal(referrersTag(`sha512:${"b".repeat(128)}`).length, 128));
});

describe("referrerDescriptor", () => {
  const empty = { mediaType: MediaTypes.ociEmpty, digest: d("e"), size: 2 };
  it("takes artifactType from the manifest, else from its config", () => {
    const sbom: Manifest = { schemaVersion: 2, artifactType: "application/spdx+json", config: empty, layers: [], annotations: { a: "1" } };
    assert.deepEqual(referrerDescriptor(sbom, MediaTypes.ociManifest, d("1"), 10), { mediaType: MediaTypes.ociManifest, digest: d("1"), size: 10, artifactType: "application/spdx+json", annotations: { a: "1" } });
    const legacy: Manifest = { schemaVersion: 2, config: { ...empty, mediaType: "application/vnd.example.sig" }, layers: [] };
    assert.equal(referrerDescriptor(legacy, MediaTypes.ociManifest, d("2"), 10).artifactType, "application/vnd.example.sig");
  });
});

describe("withReferrer", () => {
  const one: Descriptor = { mediaType: MediaTypes.ociManifest, digest: d("1"), size: 1, artifactType: "x" };
  const two: Descriptor = { mediaType: MediaTypes.ociManifest, digest: d("2"), size: 1, artifactType: "y" };
  it("starts a new OCI index", () => assert.deepEqual(withReferrer(undefined, one), { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests: [one] }));
  it("appends, and changes nothing when already listed", () => {
    const first = withReferrer(undefined, one);
    assert.deepEqual(withReferrer(first, two)?.manifests, [one, two]);
    assert.equal(withReferrer(first, one), undefined);
  });
  it("filters by artifact type", () => {
    assert.deepEqual(filterByArtifactType([one, two], "y"), [two]);
    assert.deepEqual(filterByArtifactType([one, two], undefined), [one, two]);
  });
});
