// A prod registry killed in the middle of a release, against the real parts:
// two Distribution registries (the prod one behind a loopback proxy that
// kills it with SIGKILL the moment a chosen request arrives), Docker for CI,
// SQLite for releases and the audit log. Killed during a blob upload and
// during the tag push: no prod tag appears, nothing counts as released, the
// audit log says where it stopped, and a rerun (registry back) completes with
// the same digest, a valid signature and provenance. The same for the dev
// registry killed during CI's push: the build is not recorded as pushed, and
// the next `slipway ci` pushes it.
// Loopback ports 26201-26204 only.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseRegistryUrl } from "../../src/domain/registry-address.js";
import { startDaemon, stopDaemon, type DaemonSpec } from "../../src/platform/daemon.js";
import { registryBinary, registryDaemonSpec } from "../../src/platform/registry-daemon.js";
import { runCli } from "./helpers.js";

/** The real registries. */
const DEV_REAL = 26201;
const PROD_REAL = 26202;
/** What slipway.yaml calls the registries: proxies in front of them. */
const PROD = 26203;
const DEV = 26204;
const binary = registryBinary();
const root = mkdtempSync(join(tmpdir(), "slipway-release-faults-"));
const stateDir = join(root, ".slipway");
const git = (...args: string[]): string => execFileSync("git", ["-C", root, "-c", "user.email=dev@shop.example", "-c", "user.name=dev", ...args], { encoding: "utf8" });
const as = { SLIPWAY_IDENTITY: "dev@shop.example", CI: "true" };
let devSpec: DaemonSpec;
let prodSpec: DaemonSpec;

/**
 * Forwards to a real registry; once armed, the first request whose head
 * matches kills the registry (SIGKILL), cuts every connection and refuses
 * new ones — the registry is down — until `restore()`.
 */
class KillingProxy {
  constructor(
    private readonly upstreamPort: number,
    private readonly spec: () => DaemonSpec,
  ) {}

  private readonly sockets = new Set<net.Socket>();
  private down = false;
  private armed: RegExp | undefined;
  killedOn: string | undefined;
  readonly server = net.createServer((client) => {
    if (this.down) return void client.destroy();
    const upstream = net.connect(this.upstreamPort, "127.0.0.1");
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
      s.on("error", () => undefined);
    }
    upstream.on("data", (chunk: Buffer) => client.write(chunk));
    upstream.on("close", () => client.destroy());
    client.on("close", () => upstream.destroy());
    client.on("data", (chunk: Buffer) => {
      const head = chunk.toString("latin1", 0, Math.min(chunk.length, 300));
      const armed = this.armed;
      if (armed !== undefined && armed.test(head)) {
        this.armed = undefined;
        this.killedOn = head.split("\r\n")[0];
        this.kill();
        return;
      }
      upstream.write(chunk);
    });
  });

  arm(request: RegExp): void {
    this.armed = request;
    this.killedOn = undefined;
  }

  private kill(): void {
    const pid = (JSON.parse(readFileSync(this.spec().pidFile, "utf8")) as { pid: number }).pid;
    process.kill(pid, "SIGKILL");
    this.down = true;
    for (const s of this.sockets) s.destroy();
  }

  async restore(): Promise<void> {
    this.down = false;
    await startDaemon(this.spec());
  }
}

const proxy = new KillingProxy(PROD_REAL, () => prodSpec);
const devProxy = new KillingProxy(DEV_REAL, () => devSpec);

async function prodTag(tag: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${PROD_REAL}/v2/shop/api/manifests/${tag}`, { method: "HEAD", headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" } });
  return res.status;
}

async function releaseRecords(): Promise<{ version: string; status: string; digest: string }[]> {
  const result = await runCli(["-c", root, "--json", "releases", "api"]);
  assert.equal(result.code, 0, result.stderr);
  const rows = (JSON.parse(result.stdout) as { services: { service: string; releases: { version: string; status: string; digest: string }[] }[] }).services;
  return rows.find((r) => r.service === "api")?.releases ?? [];
}

/** CI's newest tested build of api, as `slipway releases` shows it. */
async function tested(): Promise<{ digest: string } | undefined> {
  const result = await runCli(["-c", root, "--json", "releases", "api"]);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { services: { service: string; dev?: { digest: string } }[] }).services.find((r) => r.service === "api")?.dev;
}

async function auditActions(): Promise<{ action: string; detail: Record<string, unknown> }[]> {
  const result = await runCli(["-c", root, "--json", "audit"]);
  assert.equal(result.code, 0, result.stderr);
  return (JSON.parse(result.stdout) as { entries: { action: string; detail: Record<string, unknown> }[] }).entries;
}

describe("a prod registry killed mid-release", { skip: binary === undefined ? "docker-registry is not installed" : false }, () => {
  let devDigest = "";

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
  team-api: [dev@shop.example]
`,
    );
    writeFileSync(join(root, "services", "api", "slipway.service.yaml"), `name: api\nowners: [team-api]\nversion: 1.0.0\nbuild: { image: debian:bookworm-slim, commands: ["test -f main.sh"], test: ["test -s main.sh"] }\nport: 8080\nreadiness: { exec: { command: ["true"] } }\n`);
    writeFileSync(join(root, "services", "api", "main.sh"), "exec sleep 3600\n");
    writeFileSync(join(root, "services", "api", "Dockerfile"), 'FROM debian:bookworm-slim\nCOPY main.sh /main.sh\nCMD ["sh", "/main.sh"]\n');
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "feat: the api");
    devSpec = registryDaemonSpec(stateDir, "dev", parseRegistryUrl(`127.0.0.1:${DEV_REAL}`), binary ?? "");
    prodSpec = registryDaemonSpec(stateDir, "prod", parseRegistryUrl(`127.0.0.1:${PROD_REAL}`), binary ?? "");
    await startDaemon(devSpec);
    await startDaemon(prodSpec);
    await new Promise<void>((resolve) => proxy.server.listen(PROD, "127.0.0.1", resolve));
    await new Promise<void>((resolve) => devProxy.server.listen(DEV, "127.0.0.1", resolve));
    const ci = await runCli(["-c", root, "ci"], { CI: "true" });
    assert.equal(ci.code, 0, ci.stdout + ci.stderr);
    devDigest = execFileSync("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", `docker://127.0.0.1:${DEV_REAL}/shop/api:1.0.0-dev.1`], { encoding: "utf8" }).trim();
  });

  after(async () => {
    proxy.server.close();
    devProxy.server.close();
    await stopDaemon(prodSpec);
    await stopDaemon(devSpec);
    rmSync(root, { recursive: true, force: true });
  });

  for (const [what, request, step] of [
    ["during a blob upload", /^(PATCH|PUT) \/v2\/shop\/api\/blobs\/uploads\//, "copy the image"],
    ["during the tag push", /^PUT \/v2\/shop\/api\/manifests\/1\.0\.0 /, "push the tag 1.0.0"],
  ] as const) {
    it(`killed ${what}: no prod tag, nothing released, the audit log says where it stopped`, async () => {
      proxy.arm(request);
      const started = Date.now();
      const result = await runCli(["-c", root, "release", "api"], as);
      console.log(`# stderr: ${result.stderr.replace(/\n/g, " / ")}`);
      console.log(`# registry killed on "${proxy.killedOn}": release exited ${result.code} after ${Date.now() - started} ms: ${(result.stderr.trim() || result.stdout.trim()).split("\n")[0]}`);
      assert.ok(proxy.killedOn !== undefined, `the armed request never came:\n${result.stdout}\n${result.stderr}`);
      assert.equal(result.code, 5, `REGISTRY_UNAVAILABLE exits 5 (docs/errors.md)\n${result.stdout}\n${result.stderr}`);
      assert.match(result.stderr, /REGISTRY_UNAVAILABLE/);
      assert.doesNotMatch(result.stderr, /Unhandled 'error' event/);
      await proxy.restore();
      assert.equal(await prodTag("1.0.0"), 404, "no prod tag");
      assert.ok((await releaseRecords()).every((r) => r.status !== "released"), "nothing counts as released");
      const failed = (await auditActions()).filter((e) => e.action === "release-failed").at(-1);
      assert.equal(failed?.detail["step"], step, JSON.stringify(failed));
      assert.equal(failed?.detail["digest"], devDigest);
    });
  }

  it("a rerun with the registry back completes: the same digest, signed, with provenance", async () => {
    const result = await runCli(["-c", root, "release", "api"], as);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /released api@1\.0\.0/);
    const released = (await releaseRecords()).find((r) => r.version === "1.0.0");
    assert.equal(released?.status, "released");
    assert.equal(released?.digest, devDigest);
    assert.equal(execFileSync("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", `docker://127.0.0.1:${PROD_REAL}/shop/api:1.0.0`], { encoding: "utf8" }).trim(), devDigest);
    const verify = await runCli(["-c", root, "verify", `127.0.0.1:${PROD}/shop/api:1.0.0`]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    assert.match(verify.stdout, /✓ signature/);
    assert.match(verify.stdout, /✓ provenance/);
    const actions = (await auditActions()).map((e) => e.action);
    assert.deepEqual(actions.filter((a) => a === "release-failed").length, 2);
    assert.equal(actions.at(-1), "promoted");
  });

  it("dev registry killed during CI's push: CI fails saying so, records no pushed digest, and the next run pushes it", async () => {
    writeFileSync(join(root, "services", "api", "main.sh"), "# a change\nexec sleep 3600\n");
    git("commit", "-qam", "fix: a change");
    const before = (await tested())?.digest;
    devProxy.arm(/^(PATCH|PUT|POST) \/v2\/shop\/api\/blobs\/uploads\//);
    const failed = await runCli(["-c", root, "ci"], { CI: "true" });
    console.log(`# dev registry killed on "${devProxy.killedOn?.slice(0, 60)}": ci exited ${failed.code}: ${(failed.stderr.trim() || failed.stdout.trim()).split("\n").slice(-3).join(" / ")}`);
    assert.ok(devProxy.killedOn !== undefined, `the armed request never came:\n${failed.stdout}\n${failed.stderr}`);
    assert.notEqual(failed.code, 0, failed.stdout);
    assert.match(failed.stdout + failed.stderr, /push/);
    await devProxy.restore();
    assert.equal((await tested())?.digest, before, "the failed push recorded no new tested digest");

    const again = await runCli(["-c", root, "ci"], { CI: "true" });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const now = (await tested())?.digest;
    assert.ok(now !== undefined && now !== before, "the next run pushed and recorded the new build");
    const inRegistry = execFileSync("skopeo", ["inspect", "--tls-verify=false", "--format", "{{.Digest}}", `docker://127.0.0.1:${DEV_REAL}/shop/api@${now}`], { encoding: "utf8" }).trim();
    assert.equal(inRegistry, now, "the recorded digest is in the dev registry");
  });
});
