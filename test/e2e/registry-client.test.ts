// The OCI registry client against real CNCF Distribution 2.8 registries on
// loopback: two plain ones, one behind htpasswd (Basic) and one behind token
// auth with a token server written here. Small proxies in front of them
// inject faults, count requests, and paginate tags as newer registries do
// (Distribution 2.8 ignores `n` on tag lists).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, createPrivateKey, randomBytes, randomUUID, sign, X509Certificate, type KeyObject } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import bcrypt from "bcryptjs";
import Docker from "dockerode";
import { SlipwayError } from "../../src/domain/errors.js";
import { parseRegistryUrl } from "../../src/domain/registry-address.js";
import { startDaemon, stopDaemon, type DaemonSpec } from "../../src/platform/daemon.js";
import { registryAnswers, registryBinary, registryDaemonSpec } from "../../src/platform/registry-daemon.js";
import { copyImage } from "../../src/registry/copy-image.js";
import { computeDigest } from "../../src/registry/digest.js";
import { OciRegistryClient, type OciRegistryClientOptions, type RetryEvent } from "../../src/registry/oci/oci-registry-client.js";
import { RegistryError } from "../../src/registry/registry-error.js";
import { MediaTypes, type Descriptor, type Manifest, type RegistryClient } from "../../src/registry/types.js";

const PORT = { a: 15401, b: 15402, basic: 15403, token: 15404, tokenServer: 15405, faulty: 15406, down: 15407, pager: 15408 };
const USER = "slipway-e2e";
const PASSWORD = "pa55-w0rd-e2e";
const SERVICE = "slipway-e2e-registry";
const ISSUER = "slipway-e2e-token-issuer";
const FAST_RETRY: OciRegistryClientOptions["retry"] = { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 };

const root = mkdtempSync(join(tmpdir(), "slipway-registry-e2e-"));
const docker = new Docker({ socketPath: "/var/run/docker.sock" });
const daemons: DaemonSpec[] = [];
const clients: RegistryClient[] = [];
const servers: Server[] = [];
const tokenRequests: { scopes: string[]; account: string | null; granted: boolean }[] = [];
const debianRepo = `127.0.0.1:${PORT.a}/e2e/debian`;

/** A client for a loopback port, closed in `after`. */
function client(port: number, options: OciRegistryClientOptions = {}): OciRegistryClient {
  const c = new OciRegistryClient(parseRegistryUrl(`127.0.0.1:${port}`), { retry: FAST_RETRY, ...options });
  clients.push(c);
  return c;
}

let a: OciRegistryClient;
let b: OciRegistryClient;
let debian: { digest: string; manifest: Manifest };
let multi: { digest: string; blobs: Descriptor[] };
let pager: TestProxy;

before(async () => {
  const binary = registryBinary();
  assert.ok(binary, "docker-registry is not installed (scripts/setup-host.sh installs it)");
  const plain = (name: string, port: number): DaemonSpec => registryDaemonSpec(join(root, name), "dev", parseRegistryUrl(`127.0.0.1:${port}`), binary);
  const tokenFiles = makeTokenSigningCert();
  const htpasswd = join(root, "htpasswd");
  writeFileSync(htpasswd, `${USER}:${bcrypt.hashSync(PASSWORD, 8)}\n`);
  daemons.push(
    plain("a", PORT.a),
    plain("b", PORT.b),
    authRegistrySpec(binary, "basic", PORT.basic, ["  htpasswd:", "    realm: slipway-e2e", `    path: ${JSON.stringify(htpasswd)}`]),
    authRegistrySpec(binary, "token", PORT.token, [
      "  token:",
      `    realm: http://127.0.0.1:${PORT.tokenServer}/token`,
      `    service: ${SERVICE}`,
      `    issuer: ${ISSUER}`,
      `    rootcertbundle: ${JSON.stringify(tokenFiles.certFile)}`,
    ]),
  );
  await Promise.all(daemons.map((spec) => startDaemon(spec)));
  servers.push(await listen(PORT.tokenServer, tokenServer(tokenFiles.key, tokenFiles.certDer)));
  pager = await TestProxy.start(PORT.pager, PORT.a, { paginateTags: true });

  a = client(PORT.a);
  b = client(PORT.b);
  debian = await pushDebianWithDocker();
  multi = await pushMultiPlatformImage(a, "e2e/multi", "multi");
});

after(async () => {
  for (const c of clients) c.close();
  await pager?.stop();
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  await Promise.all(daemons.map((spec) => stopDaemon(spec)));
  await docker
    .getImage(`${debianRepo}:bookworm-slim`)
    .remove()
    .catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe("manifests", () => {
  it("reads an image pushed by Docker by tag and by digest, with identical bytes", async () => {
    const byTag = await a.getManifest("e2e/debian", "bookworm-slim");
    assert.equal(byTag.kind, "manifest");
    assert.equal(byTag.descriptor.mediaType, MediaTypes.dockerManifest);
    assert.equal(byTag.descriptor.digest, debian.digest);
    assert.equal(computeDigest(byTag.bytes), debian.digest);
    const byDigest = await a.getManifest("e2e/debian", debian.digest);
    assert.deepEqual(byDigest.bytes, byTag.bytes);
    assert.deepEqual(await a.headManifest("e2e/debian", "bookworm-slim"), byTag.descriptor);
  });

  it("reads a multi-platform OCI index and each platform's manifest", async () => {
    const index = await a.getManifest("e2e/multi", "multi");
    assert.equal(index.kind, "index");
    if (index.kind !== "index") return;
    assert.deepEqual(
      index.manifest.manifests.map((d) => d.platform?.architecture),
      ["amd64", "arm64"],
    );
    for (const child of index.manifest.manifests) assert.equal((await a.getManifest("e2e/multi", child.digest)).kind, "manifest");
  });

  it("reports a missing tag as absent on HEAD and as REGISTRY_NOT_FOUND on GET, naming what was asked", async () => {
    assert.equal(await a.headManifest("e2e/debian", "no-such-tag"), undefined);
    await assert.rejects(a.getManifest("e2e/debian", "no-such-tag"), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "REGISTRY_NOT_FOUND");
      assert.equal(err.retryable, false);
      assert.match(err.message, new RegExp(`get manifest e2e/debian:no-such-tag at registry 127.0.0.1:${PORT.a} failed: 404 MANIFEST_UNKNOWN`));
      assert.ok(err.hint);
      return true;
    });
  });

  it("refuses to store a manifest under a digest it does not hash to", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify(debian.manifest));
    await assert.rejects(a.putManifest("e2e/debian", `sha256:${"0".repeat(64)}`, bytes, MediaTypes.dockerManifest), { code: "DIGEST_MISMATCH" });
  });
});

describe("blobs", () => {
  it("streams the largest layer and its bytes hash to its digest", async () => {
    const layer = [...debian.manifest.layers].sort((x, y) => y.size - x.size)[0];
    assert.ok(layer);
    const blob = await a.getBlob("e2e/debian", layer.digest);
    assert.equal(blob.size, layer.size);
    const hash = createHash("sha256");
    let chunks = 0;
    for await (const chunk of blob.stream) {
      hash.update(chunk as Buffer);
      chunks++;
    }
    assert.equal(`sha256:${hash.digest("hex")}`, layer.digest);
    assert.ok(chunks > 10, `a ${layer.size}-byte layer arrived in ${chunks} chunks: it was not streamed`);
  });

  it("fails the stream with DIGEST_MISMATCH when the stored bytes were corrupted", async () => {
    const bytes = randomBytes(4096);
    const pushed = await a.pushBlob("e2e/corrupt", Readable.from([bytes]), { digest: computeDigest(bytes), size: bytes.length });
    const hex = pushed.digest.slice("sha256:".length);
    writeFileSync(join(root, "a", "registries", "dev", "data", "docker", "registry", "v2", "blobs", "sha256", hex.slice(0, 2), hex, "data"), randomBytes(4096));
    const blob = await a.getBlob("e2e/corrupt", pushed.digest);
    await assert.rejects(
      digestOfStream(blob.stream),
      (err: unknown) => err instanceof SlipwayError && err.code === "DIGEST_MISMATCH" && err.message.includes(`blob ${pushed.digest} of e2e/corrupt`),
    );
  });

  it("uploads in chunks: PATCHes with Content-Range, then a PUT with the digest computed on the way", async () => {
    const viaPager = client(PORT.pager);
    const bytes = randomBytes(3 * 1024 * 1024 + 1);
    pager.log.length = 0;
    const pushed = await viaPager.pushBlob("e2e/chunked", Readable.from(slices(bytes, 64 * 1024)), { chunkSize: 1024 * 1024 });
    assert.deepEqual(pushed, { digest: computeDigest(bytes), size: bytes.length });
    const patches = pager.log.filter((r) => r.method === "PATCH");
    assert.deepEqual(
      patches.map((r) => r.contentRange),
      ["0-1048575", "1048576-2097151", "2097152-3145727", "3145728-3145728"],
    );
    assert.deepEqual(
      pager.log.map((r) => r.method),
      ["POST", "PATCH", "PATCH", "PATCH", "PATCH", "PUT"],
    );
    assert.deepEqual(await a.headBlob("e2e/chunked", pushed.digest), pushed);
    assert.equal(await digestOfStream((await a.getBlob("e2e/chunked", pushed.digest)).stream), pushed.digest);
  });

  it("uploads monolithically when digest and size are known: one POST, one PUT", async () => {
    const viaPager = client(PORT.pager);
    const bytes = randomBytes(700 * 1024);
    pager.log.length = 0;
    const pushed = await viaPager.pushBlob("e2e/mono", Readable.from(slices(bytes, 16 * 1024)), { digest: computeDigest(bytes), size: bytes.length });
    assert.equal(pushed.digest, computeDigest(bytes));
    assert.deepEqual(
      pager.log.map((r) => r.method),
      ["POST", "PUT"],
    );
    assert.deepEqual(await a.headBlob("e2e/mono", pushed.digest), pushed);
  });

  it("rejects content that does not match the digest given, in either mode, and stores nothing", async () => {
    const bytes = randomBytes(200 * 1024);
    const claimed = computeDigest(randomBytes(16));
    for (const mode of ["monolithic", "chunked"] as const) {
      await assert.rejects(a.pushBlob("e2e/wrong", Readable.from([bytes]), { digest: claimed, size: bytes.length, mode, chunkSize: 64 * 1024 }), { code: "DIGEST_MISMATCH" }, mode);
    }
    assert.equal(await a.headBlob("e2e/wrong", claimed), undefined);
    assert.equal(await a.headBlob("e2e/wrong", computeDigest(bytes)), undefined);
  });

  it("mounts a blob across repositories (201) and uploads instead when the registry declines (202)", async () => {
    const layer = debian.manifest.layers[0];
    assert.ok(layer);
    let opened = 0;
    const open = async (): Promise<Readable> => (opened++, (await a.getBlob("e2e/debian", layer.digest)).stream);
    assert.equal(await a.mountBlob("e2e/mounted", layer, "e2e/debian", open), "mounted");
    assert.equal(opened, 0);
    assert.equal((await a.headBlob("e2e/mounted", layer.digest))?.size, layer.size);

    // The source repository lacks this blob, so Distribution opens an upload session (202) instead.
    const bytes = randomBytes(50_000);
    const fresh: Descriptor = { mediaType: MediaTypes.ociLayerGzip, digest: computeDigest(bytes), size: bytes.length };
    assert.equal(await a.mountBlob("e2e/mounted", fresh, "e2e/debian", async () => (opened++, Readable.from([bytes]))), "uploaded");
    assert.equal(opened, 1);
    assert.deepEqual(await a.headBlob("e2e/mounted", fresh.digest), { digest: fresh.digest, size: fresh.size });
  });

  it("deletes manifests and blobs, and a second delete is REGISTRY_NOT_FOUND", async () => {
    const image = await pushSinglePlatformImage(a, "e2e/deletable", "amd64", randomBytes(1000));
    await a.deleteManifest("e2e/deletable", image.digest);
    assert.equal(await a.headManifest("e2e/deletable", image.digest), undefined);
    await assert.rejects(a.deleteManifest("e2e/deletable", image.digest), { code: "REGISTRY_NOT_FOUND" });
    await a.deleteBlob("e2e/deletable", image.layer.digest);
    assert.equal(await a.headBlob("e2e/deletable", image.layer.digest), undefined);
  });
});

describe("listing", () => {
  it("follows Link pages of n=2 across 5 tags", async () => {
    const image = await pushSinglePlatformImage(a, "e2e/paged", "amd64", randomBytes(100));
    const bytes = (await a.getManifest("e2e/paged", image.digest)).bytes;
    for (const tag of ["t5", "t3", "t1", "t4", "t2"]) await a.putManifest("e2e/paged", tag, bytes, MediaTypes.ociManifest);
    const viaPager = client(PORT.pager);
    pager.log.length = 0;
    assert.deepEqual(await viaPager.listTags("e2e/paged", { pageSize: 2 }), ["t1", "t2", "t3", "t4", "t5"]);
    assert.deepEqual(
      pager.log.map((r) => r.url),
      ["/v2/e2e/paged/tags/list?n=2", "/v2/e2e/paged/tags/list?n=2&last=t2", "/v2/e2e/paged/tags/list?n=2&last=t4"],
    );
    // Distribution itself answers everything at once, which is also fine.
    assert.deepEqual((await a.listTags("e2e/paged", { pageSize: 2 })).sort(), ["t1", "t2", "t3", "t4", "t5"]);
  });

  it("pages through the catalog, which Distribution paginates itself", async () => {
    const viaPager = client(PORT.pager);
    pager.log.length = 0;
    const repositories = await viaPager.listRepositories({ pageSize: 2 });
    for (const repo of ["e2e/debian", "e2e/multi", "e2e/paged"]) assert.ok(repositories.includes(repo), `${repo} missing from ${repositories.join(", ")}`);
    assert.equal(new Set(repositories).size, repositories.length);
    assert.ok(pager.log.length >= Math.ceil(repositories.length / 2), `${repositories.length} repositories in ${pager.log.length} pages`);
    assert.ok(pager.log.every((r) => r.url.startsWith("/v2/_catalog?") && new URL(r.url, "http://x").searchParams.get("n") === "2"));
  });
});

describe("referrers", () => {
  it("finds artifacts through the sha256-<hex> tag fallback, filtered by artifactType", async () => {
    const subject: Descriptor = { mediaType: MediaTypes.dockerManifest, digest: debian.digest, size: (await a.getManifest("e2e/debian", debian.digest)).bytes.length };
    const sbom = await pushArtifact(a, "e2e/debian", "application/spdx+json", subject);
    const signature = await pushArtifact(a, "e2e/debian", "application/vnd.dev.sigstore.bundle.v0.3+json", subject);

    const all = await a.referrers("e2e/debian", debian.digest);
    assert.deepEqual(
      all.map((d) => [d.digest, d.artifactType]),
      [
        [sbom, "application/spdx+json"],
        [signature, "application/vnd.dev.sigstore.bundle.v0.3+json"],
      ],
    );
    assert.deepEqual(
      (await a.referrers("e2e/debian", debian.digest, { artifactType: "application/spdx+json" })).map((d) => d.digest),
      [sbom],
    );
    assert.ok((await a.listTags("e2e/debian")).includes(`sha256-${debian.digest.slice(7)}`), "the fallback tag was not written");
    assert.deepEqual(await a.referrers("e2e/debian", computeDigest(randomBytes(8))), []);
  });
});

describe("copyImage", () => {
  it("copies every platform to another registry, tag last, then skips everything on a second run", async () => {
    const first = await copyImage(a, "e2e/multi", "multi", b, "e2e/multi", { tag: "v1" });
    const blobBytes = multi.blobs.reduce((sum, d) => sum + d.size, 0);
    assert.equal(first.digest, multi.digest);
    assert.deepEqual(first.manifests, { copied: 3, skipped: 0 });
    assert.deepEqual(first.blobs, { copied: multi.blobs.length, mounted: 0, skipped: 0 });
    assert.deepEqual(first.bytes, { copied: blobBytes, mounted: 0, skipped: 0 });
    assert.equal((await b.headManifest("e2e/multi", "v1"))?.digest, multi.digest);
    for (const blob of multi.blobs) assert.equal(await digestOfStream((await b.getBlob("e2e/multi", blob.digest)).stream), blob.digest);

    const second = await copyImage(a, "e2e/multi", "multi", b, "e2e/multi", { tag: "v1" });
    assert.equal(second.digest, multi.digest);
    assert.deepEqual(second.manifests, { copied: 0, skipped: 3 });
    assert.deepEqual(second.blobs, { copied: 0, mounted: 0, skipped: multi.blobs.length });
    assert.deepEqual(second.bytes, { copied: 0, mounted: 0, skipped: blobBytes });
  });

  it("copies Docker's image so that Docker pulls it from the other registry by digest", async () => {
    const result = await copyImage(a, "e2e/debian", "bookworm-slim", b, "e2e/debian", { tag: "bookworm-slim" });
    assert.equal(result.digest, debian.digest);
    const ref = `127.0.0.1:${PORT.b}/e2e/debian@${debian.digest}`;
    await follow(await docker.pull(ref));
    const pulled = await docker.getImage(ref).inspect();
    assert.ok(pulled.RepoDigests.includes(ref));
    await docker.getImage(ref).remove();
  });

  it("mounts instead of copying within one registry", async () => {
    const result = await copyImage(a, "e2e/debian", debian.digest, a, "e2e/debian-copy", { tag: "copied" });
    assert.equal(result.blobs.mounted, debian.manifest.layers.length + 1);
    assert.equal(result.blobs.copied + result.blobs.skipped, 0);
    assert.equal((await a.headManifest("e2e/debian-copy", "copied"))?.digest, debian.digest);
  });
});

describe("failures", () => {
  it("a registry that is down is a retryable REGISTRY_UNAVAILABLE naming it, after the retries", async () => {
    const retries: RetryEvent[] = [];
    const down = client(PORT.down, { onRetry: (e) => retries.push(e) });
    await assert.rejects(down.headManifest("e2e/app", "1"), (err: unknown) => {
      assert.ok(err instanceof RegistryError);
      assert.equal(err.code, "REGISTRY_UNAVAILABLE");
      assert.equal(err.retryable, true);
      assert.match(err.message, new RegExp(`look up manifest e2e/app:1 at registry 127.0.0.1:${PORT.down} failed: cannot reach the registry: .*ECONNREFUSED.*\\(3 attempts\\)`));
      assert.match(err.hint ?? "", /running/);
      return true;
    });
    assert.deepEqual(
      retries.map((r) => r.reason),
      ["ECONNREFUSED", "ECONNREFUSED"],
    );
  });

  it("a registry that goes down during a copy fails it retryably and leaves no tag behind", async () => {
    // It dies when the top manifest is written: blobs and platform manifests are in by then.
    const faulty = await TestProxy.start(PORT.faulty, PORT.b);
    faulty.rule = (req) => (req.method === "PUT" && req.url === `/v2/e2e/interrupted/manifests/${multi.digest}` ? "go-down" : "forward");
    const target = client(PORT.faulty);
    await assert.rejects(copyImage(a, "e2e/multi", "multi", target, "e2e/interrupted", { tag: "v1" }), (err: unknown) => err instanceof SlipwayError && err.code === "REGISTRY_UNAVAILABLE" && err.retryable);
    await faulty.stop();
    const index = await a.getManifest("e2e/multi", multi.digest);
    for (const child of index.kind === "index" ? index.manifest.manifests : []) assert.ok(await b.headManifest("e2e/interrupted", child.digest), "platform manifests are written before the top");
    assert.equal(await b.headManifest("e2e/interrupted", multi.digest), undefined);
    assert.equal(await b.headManifest("e2e/interrupted", "v1"), undefined);
    // The blobs that made it are reused when the copy is run again.
    const again = await copyImage(a, "e2e/multi", "multi", b, "e2e/interrupted", { tag: "v1" });
    assert.equal(again.blobs.skipped, multi.blobs.length);
  });

  it("a target registry down at a blob upload: the copy fails as REGISTRY_UNAVAILABLE and closes the source blobs it opened", async () => {
    // Left open, a source blob's connection was cut by the idle timeout later, and that
    // error — no one listening — crashed `slipway release` after its report (exit 1, not 5).
    const faulty = await TestProxy.start(PORT.faulty, PORT.b);
    faulty.rule = (req) => (req.method === "POST" && req.url?.startsWith("/v2/e2e/upload-killed/blobs/uploads/") === true ? "go-down" : "forward");
    const opened: Readable[] = [];
    const source = client(PORT.a, { idleTimeoutMs: 300 });
    const watched = new Proxy(source, {
      get(target, key) {
        if (key === "getBlob") return async (repository: string, digest: string) => {
          const blob = await target.getBlob(repository, digest);
          opened.push(blob.stream);
          return blob;
        };
        const value: unknown = Reflect.get(target, key);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    await assert.rejects(copyImage(watched, "e2e/multi", "multi", client(PORT.faulty), "e2e/upload-killed", { tag: "v1" }), (err: unknown) => err instanceof SlipwayError && err.code === "REGISTRY_UNAVAILABLE");
    await faulty.stop();
    assert.ok(opened.length > 0, "the copy opened source blobs before the upload");
    assert.deepEqual(opened.map((s) => s.destroyed), opened.map(() => true), "every source blob opened is closed");
    // Past the source's idle timeout: a stream left open would fail now, with no one listening.
    await new Promise((resolve) => setTimeout(resolve, 600));
  });

  it("retries a 503 after the Retry-After it names, and never retries a 404", async () => {
    const faulty = await TestProxy.start(PORT.faulty, PORT.a);
    let refused = 0;
    faulty.rule = (req) => (req.method === "HEAD" && refused++ === 0 ? { status: 503, headers: { "retry-after": "1" } } : "forward");
    const retries: RetryEvent[] = [];
    const viaFaulty = client(PORT.faulty, { onRetry: (e) => retries.push(e) });
    try {
      const started = Date.now();
      assert.equal((await viaFaulty.headManifest("e2e/multi", "multi"))?.digest, multi.digest);
      assert.ok(Date.now() - started >= 1000, "did not wait for Retry-After");
      assert.deepEqual(retries, [{ retry: 1, delayMs: 1000, reason: "503", method: "HEAD", url: "/v2/e2e/multi/manifests/multi" }]);

      faulty.log.length = 0;
      await assert.rejects(viaFaulty.getManifest("e2e/multi", "missing"), { code: "REGISTRY_NOT_FOUND" });
      assert.equal(faulty.log.length, 1);
      assert.equal(retries.length, 1);
    } finally {
      await faulty.stop();
    }
  });
});

describe("Basic auth (htpasswd)", () => {
  it("without credentials is REGISTRY_AUTH with a hint to configure them", async () => {
    await assert.rejects(client(PORT.basic).ping(), (err: unknown) => err instanceof RegistryError && err.code === "REGISTRY_AUTH" && !err.retryable && /needs credentials/.test(err.hint ?? ""));
  });

  it("with a wrong password is REGISTRY_AUTH and the password appears nowhere", async () => {
    const wrong = client(PORT.basic, { credentials: { username: USER, password: "not-the-password" } });
    await assert.rejects(wrong.ping(), (err: unknown) => {
      assert.ok(err instanceof RegistryError && err.code === "REGISTRY_AUTH");
      assert.match(err.hint ?? "", /refused the username and password/);
      assert.ok(!JSON.stringify(err.toJSON()).includes("not-the-password"));
      return true;
    });
  });

  it("with the right credentials pushes and reads an image", async () => {
    const authed = client(PORT.basic, { credentials: { username: USER, password: PASSWORD } });
    await authed.ping();
    const image = await pushSinglePlatformImage(authed, "e2e/basic", "amd64", randomBytes(2000));
    await authed.putManifest("e2e/basic", "latest", (await authed.getManifest("e2e/basic", image.digest)).bytes, MediaTypes.ociManifest);
    assert.equal((await authed.headManifest("e2e/basic", "latest"))?.digest, image.digest);
    assert.deepEqual(await authed.listTags("e2e/basic"), ["latest"]);
  });
});

describe("Bearer token auth", () => {
  it("without credentials the token service refuses: REGISTRY_AUTH", async () => {
    await assert.rejects(client(PORT.token).headManifest("e2e/tok", "x"), (err: unknown) => err instanceof RegistryError && err.code === "REGISTRY_AUTH" && err.message.includes("get an access token from http://127.0.0.1:15405/token"));
  });

  it("with a wrong password fails and masks what the token service echoes", async () => {
    const wrong = client(PORT.token, { credentials: { username: USER, password: "wrong-secret-123" } });
    await assert.rejects(wrong.ping(), (err: unknown) => {
      assert.ok(err instanceof RegistryError && err.code === "REGISTRY_AUTH");
      const text = JSON.stringify(err.toJSON());
      assert.ok(!text.includes("wrong-secret-123"), text);
      assert.ok(!text.includes(Buffer.from(`${USER}:wrong-secret-123`).toString("base64")), text);
      assert.match(err.message, /\*\*\*/);
      return true;
    });
  });

  it("gets one token per scope set, reuses it, and mounts with a two-repository scope", async () => {
    const authed = client(PORT.token, { credentials: { username: USER, password: PASSWORD } });
    tokenRequests.length = 0;
    const image = await pushSinglePlatformImage(authed, "e2e/tok", "arm64", randomBytes(3000));
    for (let i = 0; i < 3; i++) assert.equal((await authed.getManifest("e2e/tok", image.digest)).descriptor.digest, image.digest);
    const push = tokenRequests.filter((r) => r.scopes.join(" ") === "repository:e2e/tok:pull,push");
    const pull = tokenRequests.filter((r) => r.scopes.join(" ") === "repository:e2e/tok:pull");
    assert.equal(push.length, 1, JSON.stringify(tokenRequests));
    assert.equal(pull.length, 1, JSON.stringify(tokenRequests));
    assert.ok(tokenRequests.every((r) => r.account === USER && r.granted));

    assert.equal(await authed.mountBlob("e2e/tok-mounted", image.layer, "e2e/tok", () => Promise.reject(new Error("should mount"))), "mounted");
    assert.ok(tokenRequests.some((r) => r.scopes.includes("repository:e2e/tok-mounted:pull,push") && r.scopes.includes("repository:e2e/tok:pull")));
  });
});

// ——— content ———

async function pushDebianWithDocker(): Promise<{ digest: string; manifest: Manifest }> {
  await docker.getImage("debian:bookworm-slim").tag({ repo: debianRepo, tag: "bookworm-slim" });
  const output = await follow(await docker.getImage(`${debianRepo}:bookworm-slim`).push({ authconfig: { serveraddress: `127.0.0.1:${PORT.a}` } }));
  const digest = /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1];
  assert.ok(digest, `push reported no digest: ${output}`);
  const fetched = await a.getManifest("e2e/debian", digest);
  assert.equal(fetched.kind, "manifest");
  return { digest, manifest: fetched.manifest as Manifest };
}

async function pushBytes(registry: RegistryClient, repository: string, bytes: Uint8Array, mediaType: string): Promise<Descriptor> {
  const digest = computeDigest(bytes);
  await registry.pushBlob(repository, Readable.from([Buffer.from(bytes)]), { digest, size: bytes.length });
  return { mediaType, digest, size: bytes.length };
}

async function pushSinglePlatformImage(registry: RegistryClient, repository: string, architecture: string, layerBytes: Uint8Array, shared?: Uint8Array): Promise<{ digest: string; size: number; config: Descriptor; layer: Descriptor; layers: Descriptor[] }> {
  const layers = [await pushBytes(registry, repository, layerBytes, MediaTypes.ociLayerGzip)];
  if (shared !== undefined) layers.unshift(await pushBytes(registry, repository, shared, MediaTypes.ociLayerGzip));
  const config = await pushBytes(registry, repository, new TextEncoder().encode(JSON.stringify({ architecture, os: "linux", rootfs: { type: "layers", diff_ids: [] } })), MediaTypes.ociConfig);
  const manifest: Manifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  const digest = await registry.putManifest(repository, computeDigest(bytes), bytes, MediaTypes.ociManifest);
  return { digest, size: bytes.length, config, layer: layers.at(-1) as Descriptor, layers };
}

async function pushMultiPlatformImage(registry: RegistryClient, repository: string, tag: string): Promise<{ digest: string; blobs: Descriptor[] }> {
  const shared = randomBytes(300 * 1024);
  const amd64 = await pushSinglePlatformImage(registry, repository, "amd64", randomBytes(100 * 1024), shared);
  const arm64 = await pushSinglePlatformImage(registry, repository, "arm64", randomBytes(120 * 1024), shared);
  const index = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociIndex,
    manifests: [
      { mediaType: MediaTypes.ociManifest, digest: amd64.digest, size: amd64.size, platform: { architecture: "amd64", os: "linux" } },
      { mediaType: MediaTypes.ociManifest, digest: arm64.digest, size: arm64.size, platform: { architecture: "arm64", os: "linux" } },
    ],
  };
  const digest = await registry.putManifest(repository, tag, new TextEncoder().encode(JSON.stringify(index)), MediaTypes.ociIndex);
  const blobs = [...new Map([amd64, arm64].flatMap((m) => [m.config, ...m.layers]).map((d) => [d.digest, d])).values()];
  return { digest, blobs };
}

async function pushArtifact(registry: RegistryClient, repository: string, artifactType: string, subject: Descriptor): Promise<string> {
  const empty = await pushBytes(registry, repository, new TextEncoder().encode("{}"), MediaTypes.ociEmpty);
  const payload = await pushBytes(registry, repository, new TextEncoder().encode(JSON.stringify({ kind: artifactType, nonce: randomUUID() })), artifactType);
  const manifest: Manifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, artifactType, config: empty, layers: [payload], subject, annotations: { "org.opencontainers.image.created": new Date().toISOString() } };
  const bytes = new TextEncoder().encode(JSON.stringify(manifest));
  return registry.putManifest(repository, computeDigest(bytes), bytes, MediaTypes.ociManifest);
}

function* slices(bytes: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function digestOfStream(stream: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

// ——— registries with auth ———

function authRegistrySpec(binary: string, name: string, port: number, authLines: string[]): DaemonSpec {
  const dir = join(root, name);
  const configFile = join(dir, "config.yml");
  return {
    name: `${name} registry`,
    command: binary,
    args: ["serve", configFile],
    pidFile: join(dir, "registry.pid"),
    logFile: join(dir, "registry.log"),
    port,
    portSetting: "the test's registry port",
    healthy: () => registryAnswers(parseRegistryUrl(`127.0.0.1:${port}`)),
    prepare: () => {
      mkdirSync(join(dir, "data"), { recursive: true });
      const config = ["version: 0.1", "log:", "  level: warn", "  accesslog:", "    disabled: true", "storage:", "  filesystem:", `    rootdirectory: ${JSON.stringify(join(dir, "data"))}`, "  delete:", "    enabled: true", "auth:", ...authLines, "http:", `  addr: 127.0.0.1:${port}`, ""];
      writeFileSync(configFile, config.join("\n"));
    },
  };
}

/** An EC P-256 key and its self-signed certificate, which the token registry trusts as its root bundle. */
function makeTokenSigningCert(): { key: KeyObject; certDer: Buffer; certFile: string } {
  const dir = join(root, "token-cert");
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=slipway-e2e-token"], { stdio: "ignore" });
  return { key: createPrivateKey(readFileSync(keyFile)), certDer: new X509Certificate(readFileSync(certFile)).raw, certFile };
}

/**
 * The Docker token protocol: GET /token?service&scope…&account with Basic
 * credentials → a JWT (ES256, x5c) granting the scopes asked for. Refuses
 * anonymous and wrong credentials, echoing what it got (to test masking).
 */
function tokenServer(key: KeyObject, certDer: Buffer): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${PORT.tokenServer}`);
    const scopes = url.searchParams.getAll("scope");
    const authorization = req.headers.authorization ?? "";
    const granted = authorization === `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString("base64")}` && url.searchParams.get("service") === SERVICE;
    tokenRequests.push({ scopes, account: url.searchParams.get("account"), granted });
    if (!granted) {
      const given = Buffer.from(authorization.replace(/^Basic /, ""), "base64").toString("utf8");
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: `invalid credentials "${given}" (${authorization})` }] }));
      return;
    }
    const access = scopes.map((scope) => {
      const parts = scope.split(":");
      return { type: parts[0], name: parts.slice(1, -1).join(":"), actions: (parts.at(-1) ?? "").split(",") };
    });
    const now = Math.floor(Date.now() / 1000);
    const b64url = (value: unknown): string => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
    const signingInput = `${b64url({ typ: "JWT", alg: "ES256", x5c: [certDer.toString("base64")] })}.${b64url({ iss: ISSUER, sub: USER, aud: SERVICE, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access })}`;
    const signature = sign("sha256", Buffer.from(signingInput), { key, dsaEncoding: "ieee-p1363" });
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: `${signingInput}.${signature.toString("base64url")}`, expires_in: 300, issued_at: new Date().toISOString() }));
  };
}

// ——— a proxy that records, injects faults and paginates tags ———

type ProxyAction = "forward" | "go-down" | { status: number; headers?: Record<string, string> };

class TestProxy {
  readonly log: { method: string; url: string; contentRange: string | undefined }[] = [];
  rule: (req: IncomingMessage) => ProxyAction = () => "forward";
  readonly #server: Server;
  readonly #upstream: number;
  readonly #paginateTags: boolean;

  private constructor(upstream: number, paginateTags: boolean) {
    this.#upstream = upstream;
    this.#paginateTags = paginateTags;
    this.#server = createServer((req, res) => this.#handle(req, res));
  }

  static async start(port: number, upstream: number, options: { paginateTags?: boolean } = {}): Promise<TestProxy> {
    const proxy = new TestProxy(upstream, options.paginateTags ?? false);
    await new Promise<void>((resolve) => proxy.#server.listen(port, "127.0.0.1", resolve));
    return proxy;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.log.push({ method: req.method ?? "", url: req.url ?? "", contentRange: req.headers["content-range"] });
    const action = this.rule(req);
    if (action === "go-down") {
      req.socket.destroy();
      void this.stop();
      return;
    }
    if (action !== "forward") {
      req.resume();
      res.writeHead(action.status, action.headers).end();
      return;
    }
    const tags = /^\/v2\/(.+)\/tags\/list(\?.*)?$/.exec(req.url ?? "");
    if (this.#paginateTags && req.method === "GET" && tags !== null) return void this.#pageTags(tags[1] ?? "", new URLSearchParams(tags[2] ?? ""), res);
    // Host stays the proxy's, so the registry's Location headers point back through it.
    const upstream = httpRequest({ host: "127.0.0.1", port: this.#upstream, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  }

  /** Sorted pages of `n` after `last`, with a Link to the next, as the distribution spec describes. */
  async #pageTags(name: string, query: URLSearchParams, res: ServerResponse): Promise<void> {
    const answer = await fetch(`http://127.0.0.1:${this.#upstream}/v2/${name}/tags/list`);
    const all = ((await answer.json()) as { tags: string[] | null }).tags ?? [];
    const n = Number(query.get("n") ?? all.length);
    const after = all.sort().filter((t) => t > (query.get("last") ?? ""));
    const page = after.slice(0, n);
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (after.length > n) headers["link"] = `</v2/${name}/tags/list?n=${n}&last=${page.at(-1) ?? ""}>; rel="next"`;
    res.writeHead(200, headers).end(JSON.stringify({ name, tags: page }));
  }
}

function listen(port: number, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

/** Waits for a Docker progress stream to end; returns its text; throws on an error event. */
function follow(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { status?: string; error?: string }[]) => {
      if (err) return reject(err);
      const failed = events.find((e) => e.error !== undefined);
      if (failed) return reject(new Error(failed.error));
      resolve(events.map((e) => e.status ?? "").join("\n"));
    });
  });
}
