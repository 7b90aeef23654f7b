// Evidence travels with the image: two "machines" (two clones, two state
// directories) share the real registries. Machine A runs CI with a signing key
// from its environment; machine B, with an empty store, releases by policy
// from the signed attestations alone. Tampered, untrusted, not-allowed,
// other-digest, missing and half-uploaded attestations each block the
// release with a reason naming the stage. Registries on 27001/27002.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { parseRegistryUrl } from "../../src/domain/registry-address.js";
import { attachAttestation } from "../../src/release/attestations/attach.js";
import { DSSE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE, parseEnvelope, signEnvelope, type DsseEnvelope } from "../../src/release/attestations/dsse.js";
import type { Statement } from "../../src/release/attestations/statements.js";
import { computeDigest } from "../../src/registry/digest.js";
import { OciRegistryClient } from "../../src/registry/oci/oci-registry-client.js";
import { referrersTag } from "../../src/registry/referrers.js";
import { MediaTypes, type Descriptor, type Index } from "../../src/registry/types.js";
import { existsSync } from "node:fs";
import { keyIdOf } from "../../src/release/signing/keys.js";
import { verifyEnvelope } from "../../src/release/attestations/dsse.js";
import { runCli } from "./helpers.js";

/** Where scripts/interop-tools.sh installs oras and crane (go install, outside the clone). */
const TOOLS = process.env["SLIPWAY_TOOLS_DIR"] ?? "/var/cache/slipway/tools";
const tool = (name: string): string | undefined => (existsSync(join(TOOLS, name)) ? join(TOOLS, name) : undefined);
const run = (bin: string, ...args: string[]): string => execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

const DEV = 27001;
const PROD = 27002;
const REPO = "shop/api";
const base = mkdtempSync(join(tmpdir(), "slipway-attest-"));
const machineA = join(base, "a");
const machineB = join(base, "b");
const gitIn = (dir: string, ...args: string[]): string => execFileSync("git", ["-C", dir, "-c", "user.email=dev@shop.example", "-c", "user.name=dev", ...args], { encoding: "utf8" });
const pem = (key: KeyObject, type: "pkcs8" | "spki"): string => key.export({ type, format: "pem" }).toString();
const ciKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const reviewerKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const strangerKey = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
const dev = new OciRegistryClient(parseRegistryUrl(`127.0.0.1:${DEV}`), { retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 } });
const prod = new OciRegistryClient(parseRegistryUrl(`127.0.0.1:${PROD}`), { retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 } });

/** Machine A is a CI runner: the key comes from its secret store as an environment variable. */
async function ciOnA(): Promise<void> {
  const result = await runCli(["-c", machineA, "ci"], { CI: "true", SLIPWAY_SIGNING_KEY: pem(ciKey.privateKey, "pkcs8") });
  assert.equal(result.code, 0, result.stdout + result.stderr);
}

/** Machine B never ran CI: it has its own clone and state directory, and no signing key in its environment. */
function releaseOnB(): ReturnType<typeof runCli> {
  return runCli(["-c", machineB, "release", "api"], { SLIPWAY_IDENTITY: "rel@shop.example", SLIPWAY_SIGNING_KEY: "" });
}

async function testedDigest(): Promise<string> {
  const tags = (await dev.listTags(REPO)).filter((t) => t.startsWith("h-"));
  const newest = await Promise.all(tags.map(async (t) => (await dev.headManifest(REPO, t))?.digest));
  // The newest push is the one whose tag is not yet in the index we remember.
  const fresh = newest.filter((d): d is string => d !== undefined && !seen.has(d));
  assert.equal(fresh.length, 1, `expected one new image, got ${fresh.join(", ")}`);
  seen.add(fresh[0] as string);
  return fresh[0] as string;
}
const seen = new Set<string>();

async function referrerIndex(digest: string): Promise<Index> {
  const fetched = await dev.getManifest(REPO, referrersTag(digest));
  return fetched.manifest as Index;
}

async function putIndex(digest: string, index: Index): Promise<void> {
  await dev.putManifest(REPO, referrersTag(digest), new TextEncoder().encode(JSON.stringify(index)), MediaTypes.ociIndex);
}

async function readEnvelope(artifact: string): Promise<DsseEnvelope> {
  const manifest = await dev.getManifest(REPO, artifact);
  const layer = (manifest.manifest as { layers: Descriptor[] }).layers[0] as Descriptor;
  const blob = await dev.getBlob(REPO, layer.digest);
  const chunks: Buffer[] = [];
  for await (const c of blob.stream) chunks.push(c as Buffer);
  return parseEnvelope(Buffer.concat(chunks));
}

const pickFacts = (s: Statement): Record<string, unknown> => ({ approver: s.predicate["approver"], version: s.predicate["version"], subject: s.subject[0]?.digest["sha256"] });
const statementOf = (envelope: DsseEnvelope): Statement => JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8")) as Statement;

before(async () => {
  mkdirSync(join(machineA, "services", "api"), { recursive: true });
  mkdirSync(join(machineA, "keys"));
  writeFileSync(join(machineA, "keys", "ci.pub"), pem(ciKey.publicKey, "spki"));
  writeFileSync(join(machineA, "keys", "reviewers.pub"), pem(reviewerKey.publicKey, "spki"));
  writeFileSync(
    join(machineA, "slipway.yaml"),
    `system: shop
registries:
  dev: { url: 127.0.0.1:${DEV} }
  prod: { url: 127.0.0.1:${PROD} }
environments: [{ name: test, registry: dev }, { name: prod, registry: prod }]
trust:
  ci: { publicKey: keys/ci.pub, may: [build, unit-test, image, container-test, push] }
  reviewers: { publicKey: keys/reviewers.pub, may: [approval] }
`,
  );
  writeFileSync(
    join(machineA, "services", "api", "slipway.service.yaml"),
    `name: api
owners: [ann@shop.example, bob@shop.example, cy@shop.example]
version: 1.0.0
build: { image: debian:bookworm-slim, commands: ["test -f main.sh"], test: ["test -s main.sh"] }
port: 8080
readiness: { exec: { command: ["true"] }, periodSeconds: 0.2 }
`,
  );
  writeFileSync(join(machineA, "services", "api", "main.sh"), "exec sleep 3600\n");
  writeFileSync(join(machineA, "services", "api", "Dockerfile"), 'FROM debian:bookworm-slim\nCOPY main.sh /main.sh\nCMD ["sh", "/main.sh"]\n');
  writeFileSync(join(machineA, ".gitignore"), ".slipway/\n");
  gitIn(machineA, "init", "-q");
  gitIn(machineA, "add", "-A");
  gitIn(machineA, "commit", "-qm", "feat: the api");
  execFileSync("git", ["clone", "-q", machineA, machineB]);
  const up = await runCli(["-c", machineA, "up"]);
  assert.equal(up.code, 0, up.stdout + up.stderr);
});

after(async () => {
  dev.close();
  prod.close();
  await runCli(["-c", machineA, "down"]);
  rmSync(base, { recursive: true, force: true });
});

describe("attestations: CI on one machine, release on another", () => {
  let first = "";

  it("CI attaches one signed statement per stage to the pushed digest", async () => {
    await ciOnA();
    first = await testedDigest();
    const referrers = await dev.referrers(REPO, first, { artifactType: DSSE_MEDIA_TYPE });
    assert.deepEqual(referrers.map((r) => r.annotations?.["dev.slipway.evidence"]).sort(), ["build", "container-test", "image", "push", "unit-test"]);
    const build = statementOf(await readEnvelope(referrers.find((r) => r.annotations?.["dev.slipway.evidence"] === "build")?.digest ?? ""));
    assert.equal(build.predicateType, "https://slsa.dev/provenance/v1");
    assert.equal(build.subject[0]?.digest["sha256"], first.slice(7));
  });

  it("machine B, with an empty store, releases by policy from the attestations alone and copies them to prod", async () => {
    const result = await releaseOnB();
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /released api@1\.0\.0/);
    const db = new Database(join(machineB, ".slipway", "state.db"), { readonly: true });
    try {
      const cached = db.prepare("SELECT kind, signer FROM verified_attestations WHERE digest = ? ORDER BY kind").all(first) as { kind: string; signer: string }[];
      assert.deepEqual(cached.map((c) => c.kind), ["build", "container-test", "image", "push", "unit-test"]);
      assert.ok(cached.every((c) => c.signer === "ci"));
    } finally {
      db.close();
    }
    const inProd = await prod.referrers(REPO, first, { artifactType: DSSE_MEDIA_TYPE });
    assert.equal(inProd.length, 5, "prod holds the whole story of the release");
  });

  it("verify checks the attestations of the released digest in prod; releases shows what is attested", async () => {
    const verify = await runCli(["-c", machineB, "verify", `127.0.0.1:${PROD}/${REPO}:1.0.0`]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    for (const kind of ["build", "unit-test", "image", "container-test", "push"]) assert.match(verify.stdout, new RegExp(`✓ attested ${kind}: ${kind} passed, signed by ci`));
    const fresh = join(base, "c");
    execFileSync("git", ["clone", "-q", machineA, fresh]);
    const listed = await runCli(["-c", fresh, "--json", "releases", "api"]);
    assert.equal(listed.code, 0, listed.stderr);
    const row = (JSON.parse(listed.stdout) as { services: { dev?: { digest: string; attested?: string[] } }[] }).services[0];
    assert.equal(row?.dev?.digest, first, "a machine that never ran CI finds the tested digest");
    assert.deepEqual(row?.dev?.attested, ["build", "unit-test", "image", "container-test", "push"]);
  });

  describe("other tools read them", () => {
    const trusted = new Map([[keyIdOf(ciKey.publicKey), ciKey.publicKey]]);

    it("oras discover lists the five attestations in prod, and oras blob fetch gets an envelope that verifies", { skip: tool("oras") === undefined ? `no oras in ${TOOLS} (scripts/interop-tools.sh installs it)` : false }, () => {
      const oras = tool("oras") as string;
      const listed = JSON.parse(run(oras, "discover", "--plain-http", "--distribution-spec", "v1.1-referrers-tag", "--artifact-type", DSSE_MEDIA_TYPE, "--format", "json", `127.0.0.1:${PROD}/${REPO}@${first}`)) as { referrers: { digest: string; artifactType: string; annotations?: Record<string, string> }[] };
      assert.deepEqual(listed.referrers.map((r) => r.annotations?.["dev.slipway.evidence"]).sort(), ["build", "container-test", "image", "push", "unit-test"]);
      const manifest = JSON.parse(run(oras, "manifest", "fetch", "--plain-http", `127.0.0.1:${PROD}/${REPO}@${listed.referrers[0]?.digest ?? ""}`)) as { layers: Descriptor[] };
      const envelope = parseEnvelope(Buffer.from(run(oras, "blob", "fetch", "--plain-http", "--output", "-", `127.0.0.1:${PROD}/${REPO}@${manifest.layers[0]?.digest ?? ""}`)));
      assert.equal(verifyEnvelope(envelope, trusted).ok, true);
    });

    it("cosign verify-attestation verifies them in prod with the CI key (cosign's .att layout), and refuses another key", { skip: tool("cosign") === undefined ? `no cosign in ${TOOLS} (scripts/interop-tools.sh --with-cosign builds it)` : false }, () => {
      const cosign = tool("cosign") as string;
      const dir = mkdtempSync(join(tmpdir(), "slipway-cosign-"));
      try {
        writeFileSync(join(dir, "ci.pub"), pem(ciKey.publicKey, "spki"));
        writeFileSync(join(dir, "other.pub"), pem(strangerKey.publicKey, "spki"));
        const verify = (key: string): string => run(cosign, "verify-attestation", "--key", join(dir, key), "--insecure-ignore-tlog", "--allow-insecure-registry", "--allow-http-registry", "--type", "slsaprovenance1", `127.0.0.1:${PROD}/${REPO}@${first}`);
        const envelopes = verify("ci.pub").trim().split("\n").map((line) => JSON.parse(line) as { payload: string });
        assert.ok(envelopes.some((e) => statementOf({ payloadType: "", payload: e.payload, signatures: [] }).predicateType === "https://slsa.dev/provenance/v1"));
        assert.throws(() => verify("other.pub"), /do not match threshold|no matching attestations/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("crane reads the referrers index (tag schema) and fetches an envelope that verifies", { skip: tool("crane") === undefined ? `no crane in ${TOOLS} (scripts/interop-tools.sh installs it)` : false }, () => {
      const crane = tool("crane") as string;
      const index = JSON.parse(run(crane, "manifest", "--insecure", `127.0.0.1:${PROD}/${REPO}:${referrersTag(first)}`)) as Index;
      const attestations = index.manifests.filter((m) => m.artifactType === DSSE_MEDIA_TYPE);
      assert.equal(attestations.length, 5);
      const manifest = JSON.parse(run(crane, "manifest", "--insecure", `127.0.0.1:${PROD}/${REPO}@${attestations[0]?.digest ?? ""}`)) as { layers: Descriptor[]; subject: Descriptor };
      assert.equal(manifest.subject.digest, first);
      const envelope = parseEnvelope(Buffer.from(run(crane, "blob", "--insecure", `127.0.0.1:${PROD}/${REPO}@${manifest.layers[0]?.digest ?? ""}`)));
      assert.equal(verifyEnvelope(envelope, trusted).ok, true);
    });
  });

  describe("a stage whose attestation does not count blocks the release, naming the stage", () => {
    let second = "";
    let original: Descriptor | undefined;
    let envelope: DsseEnvelope;
    let image: Descriptor;
    let planted: string | undefined;

    before(async () => {
      appendFileSync(join(machineA, "services", "api", "main.sh"), "# fix: a typo\n");
      gitIn(machineA, "commit", "-qam", "fix: a typo");
      await ciOnA();
      gitIn(machineB, "pull", "-q");
      second = await testedDigest();
      image = (await dev.headManifest(REPO, second)) as Descriptor;
      const index = await referrerIndex(second);
      original = index.manifests.find((m) => m.annotations?.["dev.slipway.evidence"] === "container-test");
      assert.ok(original, "CI attested container-test");
      envelope = await readEnvelope(original.digest);
      await putIndex(second, { ...index, manifests: index.manifests.filter((m) => m.digest !== original?.digest) });
    });

    /** Replaces the previously planted attestation with this one. */
    async function plant(bad: DsseEnvelope): Promise<void> {
      if (planted !== undefined) {
        const index = await referrerIndex(second);
        await putIndex(second, { ...index, manifests: index.manifests.filter((m) => m.digest !== planted) });
      }
      const statement = statementOf(bad);
      planted = (await attachAttestation(dev, REPO, image, bad, { kind: "container-test", statement, created: new Date().toISOString() })).digest;
    }

    async function assertBlocked(reason: RegExp): Promise<void> {
      const result = await releaseOnB();
      assert.equal(result.code, 6, result.stdout + result.stderr);
      assert.match(result.stdout, /stage container-test has not passed for this build/);
      assert.match(result.stdout, reason);
    }

    it("missing: no attestation of the stage", async () => {
      await assertBlocked(/container-test: no attestation of this stage refers to sha256:/);
      const verify = await runCli(["-c", machineB, "--json", "verify", `127.0.0.1:${DEV}/${REPO}@${second}`]);
      assert.equal(verify.code, 6);
      const attested = (JSON.parse(verify.stdout) as { attestations: { kind: string; passed: boolean; reason?: string }[] }).attestations;
      assert.deepEqual(attested.filter((a) => !a.passed).map((a) => a.kind), ["container-test"]);
    });

    it("an interrupted upload (the envelope blob, no manifest) leaves nothing that counts", async () => {
      const bytes = Buffer.from(JSON.stringify(envelope));
      await dev.pushBlob(REPO, Readable.from([bytes]), { digest: computeDigest(bytes), size: bytes.length });
      await assertBlocked(/container-test: no attestation of this stage refers to/);
    });

    it("tampered: the statement was altered after signing", async () => {
      const statement = statementOf(envelope);
      (statement.predicate["slipway"] as Record<string, unknown>)["runId"] = "a-run-that-never-was";
      await plant({ ...envelope, payload: Buffer.from(JSON.stringify(statement)).toString("base64") });
      await assertBlocked(/container-test: attestation sha256:[0-9a-f]{12} refused: the signature does not verify/);
    });

    it("signed by a key trust: does not list", async () => {
      await plant(signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(envelope.payload, "base64"), strangerKey.privateKey));
      await assertBlocked(/container-test: attestation sha256:[0-9a-f]{12} refused: signed by key [0-9a-f]{12}, which trust: in slipway\.yaml does not list/);
    });

    it("signed by a trusted key that may not sign this kind", async () => {
      await plant(signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(envelope.payload, "base64"), reviewerKey.privateKey));
      await assertBlocked(/container-test: attestation sha256:[0-9a-f]{12} refused: signed by reviewers, which trust: does not allow to sign container-test evidence/);
    });

    it("about another digest: a valid attestation copied from another image", async () => {
      const statement = statementOf(envelope);
      statement.subject = [{ name: statement.subject[0]?.name ?? "", digest: { sha256: first.slice(7) } }];
      await plant(signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(statement)), ciKey.privateKey));
      await assertBlocked(new RegExp(`container-test: attestation sha256:[0-9a-f]{12} refused: the signed statement is about sha256:${first.slice(7)}, not ${second}`));
    });

    it("the genuine attestation back in place: released", async () => {
      const index = await referrerIndex(second);
      await putIndex(second, { ...index, manifests: [...index.manifests.filter((m) => m.digest !== planted), original as Descriptor] });
      const result = await releaseOnB();
      assert.equal(result.code, 0, result.stdout + result.stderr);
      assert.match(result.stdout, /released api@1\.0\.1/);
    });
  });

  describe("approvals travel too", () => {
    it("an approval is signed with the approver's key, attached to the digest, verified and cached before it counts", async () => {
      appendFileSync(join(machineA, "services", "api", "main.sh"), "# feat: a new endpoint\n");
      gitIn(machineA, "commit", "-qam", "feat: a new endpoint");
      await ciOnA();
      gitIn(machineB, "pull", "-q");
      const third = await testedDigest();
      const waiting = await releaseOnB();
      assert.equal(waiting.code, 6, waiting.stdout + waiting.stderr);
      assert.match(waiting.stdout, /api@1\.1\.0 \(minor/);
      const approved = await runCli(["-c", machineB, "approve", "api@1.1.0"], { SLIPWAY_IDENTITY: "ann@shop.example", SLIPWAY_SIGNING_KEY: pem(reviewerKey.privateKey, "pkcs8") });
      assert.equal(approved.code, 0, approved.stdout + approved.stderr);
      const approval = (await dev.referrers(REPO, third, { artifactType: DSSE_MEDIA_TYPE })).find((r) => r.annotations?.["dev.slipway.evidence"] === "approval");
      assert.ok(approval, "the approval is attached to the digest");
      const envelope = await readEnvelope(approval.digest);
      assert.equal(verifyEnvelope(envelope, new Map([[keyIdOf(reviewerKey.publicKey), reviewerKey.publicKey]])).ok, true);
      assert.deepEqual(pickFacts(statementOf(envelope)), { approver: "ann@shop.example", version: "1.1.0", subject: third.slice(7) });
      const released = await releaseOnB();
      assert.equal(released.code, 0, released.stdout + released.stderr);
      assert.match(released.stdout, /released api@1\.1\.0/);
      const db = new Database(join(machineB, ".slipway", "state.db"), { readonly: true });
      try {
        assert.deepEqual(db.prepare("SELECT signer FROM verified_attestations WHERE digest = ? AND kind = 'approval'").all(third), [{ signer: "reviewers" }]);
      } finally {
        db.close();
      }
    });
  });
});
