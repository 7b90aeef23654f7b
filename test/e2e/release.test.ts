// Releases against the real parts: two Distribution registries, Docker Engine
// for CI, SQLite for releases, approvals and the audit log; skopeo as an
// independent witness of what the registries hold.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { runCli } from "./helpers.js";

const DEV = 15901;
const PROD = 15902;
const root = mkdtempSync(join(tmpdir(), "slipway-release-"));
const git = (...args: string[]): string => execFileSync("git", ["-C", root, "-c", "user.email=dev@shop.example", "-c", "user.name=dev", ...args], { encoding: "utf8" });
const as = (identity: string): NodeJS.ProcessEnv => ({ SLIPWAY_IDENTITY: identity, CI: "true" });

function commitChange(message: string): void {
  appendFileSync(join(root, "services", "api", "main.sh"), `# ${message}\n`);
  git("commit", "-qam", message);
}

function skopeoDigest(port: number, reference: string): string {
  const out = execFileSync("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", `docker://127.0.0.1:${port}/shop/api:${reference}`], { encoding: "utf8" });
  return out.trim();
}

async function ci(): Promise<void> {
  const result = await runCli(["-c", root, "ci"], { CI: "true" });
  assert.equal(result.code, 0, result.stdout + result.stderr);
}

before(async () => {
  mkdirSync(join(root, "services", "api"), { recursive: true });
  writeFileSync(
    join(root, "slipway.yaml"),
    `system: shop
registries:
  dev: { url: 127.0.0.1:${DEV} }
  prod: { url: 127.0.0.1:${PROD} }
environments: [{ name: test, registry: dev }, { name: prod, registry: prod }]
teams:
  team-api: [ann@shop.example, bob@shop.example, cy@shop.example]
releasePolicy:
  default:
    major: { approvals: 2, approvers: owners, requireStrategy: canary }
`,
  );
  writeFileSync(
    join(root, "services", "api", "slipway.service.yaml"),
    `name: api
owners: [team-api]
version: 1.0.0
build: { image: debian:bookworm-slim, commands: ["test -f main.sh"], test: ["test -s main.sh"] }
port: 8080
readiness: { exec: { command: ["true"] }, periodSeconds: 0.2 }
strategy:
  canary:
    steps: [{ setWeight: 10 }, { pause: {} }]
`,
  );
  writeFileSync(join(root, "services", "api", "main.sh"), "exec sleep 3600\n");
  writeFileSync(join(root, "services", "api", "Dockerfile"), 'FROM debian:bookworm-slim\nCOPY main.sh /main.sh\nCMD ["sh", "/main.sh"]\n');
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "feat: the api");
  assert.equal((await runCli(["-c", root, "up"])).code, 0);
});

after(async () => {
  await runCli(["-c", root, "down"]);
  rmSync(root, { recursive: true, force: true });
});

describe("slipway release", () => {
  it("promotes the tested digest byte for byte, signed, with provenance", async () => {
    await ci();
    const result = await runCli(["-c", root, "release", "api"], as("dev@shop.example"));
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /released api@1\.0\.0/);
    assert.equal(skopeoDigest(PROD, "1.0.0"), skopeoDigest(DEV, "1.0.0-dev.1"));
    const verify = await runCli(["-c", root, "verify", `127.0.0.1:${PROD}/shop/api:1.0.0`]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /✓ signature/);
    assert.match(verify.stdout, /✓ provenance: SLSA provenance/);
  });

  it("is idempotent: releasing again changes nothing", async () => {
    const result = await runCli(["-c", root, "release", "api"], as("dev@shop.example"));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /api@1\.0\.0 is already released/);
  });

  it("holds a major release for two owner approvals and refuses self-approval", async () => {
    commitChange("feat!: a new request format");
    await ci();
    const blocked = await runCli(["-c", root, "release", "api"], as("dev@shop.example"));
    assert.equal(blocked.code, 6, blocked.stdout + blocked.stderr);
    assert.match(blocked.stdout, /api@2\.0\.0 \(major/);
    assert.match(blocked.stdout, /approvals/);

    const self = await runCli(["-c", root, "approve", "api@2.0.0"], as("dev@shop.example"));
    assert.equal(self.code, 6);
    assert.match(self.stderr, /APPROVAL_REFUSED/);
    const outsider = await runCli(["-c", root, "approve", "api@2.0.0"], as("eve@elsewhere.example"));
    assert.equal(outsider.code, 6);

    const first = await runCli(["-c", root, "approve", "api@2.0.0", "-m", "looks good"], as("ann@shop.example"));
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /1\/2 approvals/);
    assert.equal((await runCli(["-c", root, "release", "api"], as("dev@shop.example"))).code, 6, "released with one approval");

    const second = await runCli(["-c", root, "approve", "api@2.0.0"], as("bob@shop.example"));
    assert.match(second.stdout, /2\/2 approvals/);
    const released = await runCli(["-c", root, "release", "api"], as("dev@shop.example"));
    assert.equal(released.code, 0, released.stdout + released.stderr);
    assert.match(released.stdout, /released api@2\.0\.0/);

    const list = JSON.parse((await runCli(["-c", root, "--json", "releases", "api"])).stdout) as { services: { releases: { version: string; approvals: string[]; signature: string }[] }[] };
    const v2 = list.services[0]?.releases.find((r) => r.version === "2.0.0");
    assert.deepEqual(v2?.approvals, ["ann@shop.example", "bob@shop.example"]);
    assert.equal(v2?.signature, "verified");
  });

  it("refuses to point a released version at another digest", async () => {
    const released = skopeoDigest(PROD, "2.0.0");
    commitChange("fix: a typo");
    await ci();
    const result = await runCli(["-c", root, "release", "api", "--version", "2.0.0"], as("dev@shop.example"));
    assert.equal(result.code, 6, result.stdout + result.stderr);
    assert.match(result.stderr, /api@2\.0\.0 was released as sha256:[0-9a-f]{64}; a released version never moves to another digest/);
    assert.match(result.stderr, /RELEASE_REFUSED/);
    assert.equal(skopeoDigest(PROD, "2.0.0"), released, "the prod tag moved");
  });

  it("fails verification once the signature tag is replaced", async () => {
    const d1 = skopeoDigest(PROD, "1.0.0");
    const d2 = skopeoDigest(PROD, "2.0.0");
    const sigOf = (d: string): string => `http://127.0.0.1:${PROD}/v2/shop/api/manifests/sha256-${d.slice(7)}.sig`;
    const accept = { Accept: "application/vnd.oci.image.manifest.v1+json" };
    const other = await fetch(sigOf(d1), { headers: accept });
    assert.equal(other.status, 200);
    const put = await fetch(sigOf(d2), { method: "PUT", headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" }, body: Buffer.from(await other.arrayBuffer()) });
    assert.equal(put.status, 201);
    const verify = await runCli(["-c", root, "verify", `127.0.0.1:${PROD}/shop/api:2.0.0`]);
    assert.equal(verify.code, 6, verify.stdout);
    assert.match(verify.stdout, /✗ signature/);
  });

  it("detects an edited audit row", async () => {
    const ok = await runCli(["-c", root, "audit", "verify"]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const db = new Database(join(root, ".slipway", "state.db"));
    const row = db.prepare("SELECT seq FROM audit_log WHERE action = 'approved' ORDER BY seq LIMIT 1").get() as { seq: number };
    db.prepare("UPDATE audit_log SET actor = 'mallory@shop.example' WHERE seq = ?").run(row.seq);
    db.close();
    const tampered = await runCli(["-c", root, "audit", "verify"]);
    assert.equal(tampered.code, 6);
    assert.match(tampered.stdout, new RegExp(`seq ${row.seq}: edited`));
  });
});
