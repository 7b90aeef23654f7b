import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeDigest } from "../../registry/digest.js";
import { MediaTypes, type Descriptor } from "../../registry/types.js";
import { buildProvenanceStatement, EMPTY_CONFIG, IN_TOTO_MEDIA_TYPE, parseProvenanceStatement, provenanceManifest, SLIPWAY_BUILD_TYPE, statementNamesDigest, type ProvenanceInput } from "./provenance.js";

const digest = `sha256:${"c".repeat(64)}`;
const input: ProvenanceInput = {
  sourceRepository: "https://git.example.com/shop/drone.git",
  commit: "0123456789abcdef0123456789abcdef01234567",
  service: "ingestion",
  version: "1.4.0",
  runId: "run-42",
  contentHash: "f".repeat(64),
  buildImage: "node:20-bookworm",
  buildImageDigest: `sha256:${"d".repeat(64)}`,
  testResults: [
    { stage: "unit-test", status: "passed", durationMs: 1200 },
    { stage: "container-test", status: "passed", durationMs: 800 },
  ],
  startedOn: "2024-05-01T10:00:00Z",
  finishedOn: "2024-05-01T10:03:00Z",
};
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe("buildProvenanceStatement", () => {
  const statement = buildProvenanceStatement(input, "127.0.0.1:5001/shop/ingestion", digest);

  it("is an in-toto v1 statement about the image digest with an SLSA v1 predicate", () => {
    assert.equal(statement._type, "https://in-toto.io/Statement/v1");
    assert.deepEqual(statement.subject, [{ name: "127.0.0.1:5001/shop/ingestion", digest: { sha256: "c".repeat(64) } }]);
    assert.equal(statement.predicateType, "https://slsa.dev/provenance/v1");
  });

  it("records source, run, content hash, build image and tests where SLSA puts them", () => {
    const { buildDefinition, runDetails } = statement.predicate;
    assert.equal(buildDefinition.buildType, SLIPWAY_BUILD_TYPE);
    assert.deepEqual(buildDefinition.externalParameters, { sourceRepository: input.sourceRepository, commit: input.commit, service: "ingestion", version: "1.4.0" });
    assert.deepEqual(buildDefinition.internalParameters, { runId: "run-42", contentHash: input.contentHash });
    assert.deepEqual(buildDefinition.resolvedDependencies, [
      { name: "source", uri: `git+${input.sourceRepository}@${input.commit}`, digest: { gitCommit: input.commit } },
      { name: "build-image", uri: "oci://node:20-bookworm", digest: { sha256: "d".repeat(64) } },
    ]);
    assert.deepEqual(runDetails.metadata, { invocationId: "run-42", startedOn: input.startedOn, finishedOn: input.finishedOn });
    assert.deepEqual(runDetails.byproducts[0]?.annotations, { passed: 2, failed: 0, total: 2, stages: input.testResults });
  });

  it("leaves the build image's digest out when it is not known", () => {
    const withoutDigest: ProvenanceInput = { ...input };
    delete withoutDigest.buildImageDigest;
    const dependencies = buildProvenanceStatement(withoutDigest, "r", digest).predicate.buildDefinition.resolvedDependencies;
    assert.deepEqual(dependencies[1], { name: "build-image", uri: "oci://node:20-bookworm" });
  });

  it("parses back, and names its digest", () => {
    const parsed = parseProvenanceStatement(encode(statement));
    assert.deepEqual(parsed, statement);
    assert.equal(statementNamesDigest(parsed, digest), true);
    assert.equal(statementNamesDigest(parsed, `sha256:${"e".repeat(64)}`), false);
  });
});

describe("parseProvenanceStatement", () => {
  const good = buildProvenanceStatement(input, "r", digest);
  const cases: [string, unknown, RegExp][] = [
    ["not JSON", undefined, /not JSON/],
    ["a v0.1 statement", { ...good, _type: "https://in-toto.io/Statement/v0.1" }, /_type/],
    ["another predicate", { ...good, predicateType: "https://spdx.dev/Document" }, /predicateType/],
    ["no subject", { ...good, subject: [] }, /subject/],
    ["no builder", { ...good, predicate: { ...good.predicate, runDetails: { metadata: {} } } }, /predicate\.runDetails\.builder/],
  ];
  for (const [name, value, message] of cases) {
    it(`refuses ${name}`, () => assert.throws(() => parseProvenanceStatement(value === undefined ? new TextEncoder().encode("{") : encode(value)), message));
  }
});

describe("provenanceManifest", () => {
  it("is an OCI artifact: in-toto artifact type and layer, empty config, the image as subject", () => {
    const layer: Descriptor = { mediaType: IN_TOTO_MEDIA_TYPE, digest: `sha256:${"1".repeat(64)}`, size: 900 };
    const image: Descriptor = { mediaType: MediaTypes.dockerManifest, digest, size: 529, annotations: { dropped: "yes" } };
    const manifest = JSON.parse(new TextDecoder().decode(provenanceManifest(layer, image, input.finishedOn))) as Record<string, unknown>;
    assert.deepEqual(manifest, {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      artifactType: "application/vnd.in-toto+json",
      config: EMPTY_CONFIG,
      layers: [{ mediaType: "application/vnd.in-toto+json", digest: layer.digest, size: 900 }],
      subject: { mediaType: MediaTypes.dockerManifest, digest, size: 529 },
      annotations: { "org.opencontainers.image.created": input.finishedOn },
    });
  });

  it("points its empty config at the two bytes {}", () => {
    assert.equal(computeDigest(new TextEncoder().encode("{}")), EMPTY_CONFIG.digest);
    assert.equal(Buffer.from(EMPTY_CONFIG.data ?? "", "base64").toString(), "{}");
  });
});
