import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { AttestationVerdict } from "./read-evidence.js";
import { standingOf } from "./read-evidence.js";
import { buildStatement, namesDigest, readStatement, SLIPWAY_APPROVAL_V1, SLIPWAY_INTEGRATION_TEST_V1, SLIPWAY_STAGE_V1, SLSA_PROVENANCE_V1, TEST_RESULT_V01, type Evidence, type StageEvidence } from "./statements.js";

const digest = `sha256:${"a".repeat(64)}`;
const other = `sha256:${"b".repeat(64)}`;
const stage = (kind: StageEvidence["kind"], status = "passed"): StageEvidence => ({
  kind,
  status,
  service: "api",
  runId: "20261205-101010-abcd",
  commit: "c0ffee",
  contentHash: "h123",
  startedOn: "2026-12-05T10:10:10.000Z",
  finishedOn: "2026-12-05T10:10:12.500Z",
  durationMs: 2500,
  logSha256: "f".repeat(64),
  tools: { slipway: "0.1.0", node: "v20.0.0" },
  sourceRepository: "https://git.example/shop.git",
  buildImage: "golang:1.22",
});
const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

describe("buildStatement", () => {
  it("the build is SLSA provenance v1 with the source, run, log digest and tools", () => {
    const s = buildStatement(stage("build"), "127.0.0.1:5000/shop/api", digest);
    assert.equal(s._type, "https://in-toto.io/Statement/v1");
    assert.deepEqual(s.subject, [{ name: "127.0.0.1:5000/shop/api", digest: { sha256: "a".repeat(64) } }]);
    assert.equal(s.predicateType, SLSA_PROVENANCE_V1);
    const p = s.predicate as { buildDefinition: { externalParameters: Record<string, string>; resolvedDependencies: { uri: string }[] }; runDetails: { metadata: { invocationId: string }; byproducts: { digest: Record<string, string> }[] } };
    assert.deepEqual(p.buildDefinition.externalParameters, { sourceRepository: "https://git.example/shop.git", commit: "c0ffee", service: "api" });
    assert.equal(p.buildDefinition.resolvedDependencies[0]?.uri, "git+https://git.example/shop.git@c0ffee");
    assert.equal(p.runDetails.metadata.invocationId, "20261205-101010-abcd");
    assert.deepEqual(p.runDetails.byproducts[0]?.digest, { sha256: "f".repeat(64) });
  });
  it("tests are in-toto test-result v0.1: PASSED, WARNED for skipped, FAILED", () => {
    for (const [status, result] of [["passed", "PASSED"], ["skipped", "WARNED"], ["failed", "FAILED"]] as const) {
      const s = buildStatement(stage("unit-test", status), "r/api", digest);
      assert.equal(s.predicateType, TEST_RESULT_V01);
      assert.equal(s.predicate["result"], result);
      assert.deepEqual(s.predicate["configuration"], [{ name: "unit-test", uri: "oci://golang:1.22" }]);
    }
  });
  it("image and push use slipway's stage predicate; integration tests and approvals their own", () => {
    assert.equal(buildStatement(stage("push"), "r/api", digest).predicateType, SLIPWAY_STAGE_V1);
    const it1: Evidence = { kind: "integration-test", status: "passed", service: "api", finishedOn: "2026-12-05T11:00:00Z", environment: "staging", lock: { api: digest, web: other }, runId: "t1" };
    const s1 = buildStatement(it1, "r/api", digest);
    assert.equal(s1.predicateType, SLIPWAY_INTEGRATION_TEST_V1);
    assert.deepEqual(s1.predicate["lock"], { api: digest, web: other });
    const ap: Evidence = { kind: "approval", status: "passed", service: "api", finishedOn: "2026-12-05T12:00:00Z", approver: "bob@example.com", version: "1.2.0" };
    const s2 = buildStatement(ap, "r/api", digest);
    assert.equal(s2.predicateType, SLIPWAY_APPROVAL_V1);
    assert.equal(s2.predicate["approver"], "bob@example.com");
  });
});

describe("readStatement", () => {
  it("reads the facts back out of every predicate", () => {
    for (const kind of ["build", "unit-test", "image", "container-test", "push"] as const) {
      const read = readStatement(bytes(buildStatement(stage(kind), "r/api", digest)));
      assert.equal(read.facts.kind, kind);
      assert.equal(read.facts.status, "passed");
      assert.equal(read.facts.runId, "20261205-101010-abcd");
      assert.equal(read.facts.logSha256, "f".repeat(64));
    }
  });
  it("refuses a kind dressed in another predicate (a push claiming to be a build)", () => {
    const s = buildStatement(stage("push"), "r/api", digest);
    (s.predicate as Record<string, unknown>)["kind"] = "build";
    assert.throws(() => readStatement(bytes(s)), /a build statement must be a https:\/\/slsa\.dev\/provenance\/v1/);
  });
  const cases: [string, unknown, RegExp][] = [
    ["not a statement", { hello: 1 }, /not an in-toto v1 Statement: _type/],
    ["no subject", { _type: "https://in-toto.io/Statement/v1", subject: [], predicateType: "x", predicate: {} }, /subject/],
    ["no facts", { _type: "https://in-toto.io/Statement/v1", subject: [{ name: "r", digest: { sha256: "a" } }], predicateType: TEST_RESULT_V01, predicate: { result: "PASSED" } }, /without slipway's facts/],
  ];
  for (const [name, value, message] of cases) it(`refuses ${name}`, () => assert.throws(() => readStatement(bytes(value)), message));
  it("tells whether a statement names a digest", () => {
    const s = buildStatement(stage("build"), "r/api", digest);
    assert.equal(namesDigest(s, digest), true);
    assert.equal(namesDigest(s, other), false);
  });
});

describe("standingOf", () => {
  const verified = (kind: StageEvidence["kind"], status: string, finishedOn: string): AttestationVerdict => ({ ok: true, artifact: `sha256:${finishedOn.length}`, kind, signer: "ci", keyId: "k", facts: { ...stage(kind, status), finishedOn }, detail: `${kind} ${status}` });
  it("passes on a verified passed attestation, newest first", () => {
    const s = standingOf([verified("build", "failed", "2026-01-01"), verified("build", "passed", "2026-01-02")], "build", digest);
    assert.equal(s.passed, true);
  });
  it("names the stage and the reason when only refused attestations exist", () => {
    const s = standingOf([{ ok: false, artifact: other, kind: "container-test", reason: "untrusted-key", detail: "signed by key 0123456789ab, which trust: in slipway.yaml does not list" }], "container-test", digest);
    assert.equal(s.passed, false);
    assert.match(s.reason ?? "", /^container-test: attestation sha256:b{12} refused: signed by key 0123456789ab/);
  });
  it("says which stage has no attestation at all", () => {
    assert.equal(standingOf([verified("build", "passed", "2026-01-01")], "push", digest).reason, `push: no attestation of this stage refers to ${digest}`);
  });
  it("a skipped stage does not pass, and says so", () => {
    const s = standingOf([verified("unit-test", "skipped", "2026-01-01")], "unit-test", digest);
    assert.equal(s.passed, false);
    assert.match(s.reason ?? "", /says skipped/);
  });
});
