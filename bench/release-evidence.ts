// Benchmark: what reading the evidence from the registry costs a release.
// Machine A (one clone) runs `slipway ci` with a signing key, which attaches
// five signed attestations to the image; machine B (another clone) runs
// `slipway release api` under a policy that holds the release for an
// approval, so every run decides from the evidence and promotes nothing:
//   - empty store: B's .slipway/ removed before each run (fetch + verify all);
//   - warm store: B's store kept (the verified attestations are cached).
// Both include finding the digest by content hash (B never ran CI). Also
// measured in-process: evidenceFor() with an empty and a warm cache, and the
// bytes the attestations add to the dev registry per image.
//
//   npx tsc -p . && node dist/bench/release-evidence.js [--runs 7]
//
// Needs Docker Engine with debian:bookworm-slim, docker-registry, and ports
// 27901/27902 free on 127.0.0.1. Removes its temp dir and stops its
// registries at the end.
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseRegistryUrl } from "../src/domain/registry-address.js";
import { evidenceFor, type CachedAttestation, type VerifiedAttestationCache } from "../src/release/attestations/evidence.js";
import { attestationTag } from "../src/release/attestations/cosign-att.js";
import { DSSE_MEDIA_TYPE } from "../src/release/attestations/dsse.js";
import { keyIdOf } from "../src/release/signing/keys.js";
import { OciRegistryClient } from "../src/registry/oci/oci-registry-client.js";
import { referrersTag } from "../src/registry/referrers.js";
import type { Descriptor } from "../src/registry/types.js";
import { cleanUpOnInterrupt, machine, repoRoot, resultsHeading, runMain, slipwayAt, wholeNumber } from "./lib/harness.js";
import { BenchError, log, runner, tail } from "./lib/processes.js";
import { millis, MINUTE, summarize } from "./lib/stats.js";

const DEV = 27901;
const PROD = 27902;
const REPO = "shop/api";
const KINDS = ["build", "unit-test", "image", "container-test", "push"] as const;

class MemoryCache implements VerifiedAttestationCache {
  readonly entries = new Map<string, CachedAttestation[]>();
  verified(digest: string): CachedAttestation[] {
    return this.entries.get(digest) ?? [];
  }
  remember(digest: string, a: CachedAttestation): void {
    this.entries.set(digest, [...this.verified(digest), a]);
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const runs = argv[0] === "--runs" ? wholeNumber("--runs", argv[1], 1, 100) : 7;
  const base = mkdtempSync(join(tmpdir(), "slipway-bench-evidence-"));
  const a = join(base, "a");
  const b = join(base, "b");
  const { run, mustRun } = runner({ NO_COLOR: "1" });
  const slipway = join(repoRoot, "bin", "slipway.js");
  const cleanup = cleanUpOnInterrupt(async () => {
    await run(process.execPath, [slipway, "-c", a, "down"], { timeoutMs: MINUTE });
    rmSync(base, { recursive: true, force: true });
  });
  const dev = new OciRegistryClient(parseRegistryUrl(`127.0.0.1:${DEV}`));
  try {
    const ci = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    mkdirSync(join(a, "services", "api"), { recursive: true });
    mkdirSync(join(a, "keys"));
    writeFileSync(join(a, "keys", "ci.pub"), ci.publicKey.export({ type: "spki", format: "pem" }).toString());
    writeFileSync(
      join(a, "slipway.yaml"),
      `system: shop\nregistries:\n  dev: { url: 127.0.0.1:${DEV} }\n  prod: { url: 127.0.0.1:${PROD} }\nenvironments: [{ name: test, registry: dev }]\n` +
        `trust:\n  ci: { publicKey: keys/ci.pub, may: [build, unit-test, image, container-test, push] }\n` +
        `releasePolicy:\n  default:\n    initial: { approvals: 1, approvers: anyone }\n`,
    );
    writeFileSync(join(a, "services", "api", "slipway.service.yaml"), 'name: api\nowners: [ann@shop.example, bob@shop.example, cy@shop.example]\nversion: 1.0.0\nbuild: { image: debian:bookworm-slim, commands: ["true"], test: ["true"] }\nport: 8080\nreadiness: { exec: { command: ["true"] } }\n');
    writeFileSync(join(a, "services", "api", "main.sh"), "exec sleep 3600\n");
    writeFileSync(join(a, "services", "api", "Dockerfile"), 'FROM debian:bookworm-slim\nCOPY main.sh /main.sh\nCMD ["sh", "/main.sh"]\n');
    writeFileSync(join(a, ".gitignore"), ".slipway/\n");
    const git = (...args: string[]): string => execFileSync("git", ["-C", a, "-c", "user.email=b@example.com", "-c", "user.name=b", ...args], { encoding: "utf8" });
    git("init", "-q");
    git("add", "-A");
    git("commit", "-qm", "feat: api");
    execFileSync("git", ["clone", "-q", a, b]);
    await mustRun(process.execPath, [slipway, "-c", a, "up"], { timeoutMs: MINUTE });
    await mustRun(process.execPath, [slipway, "-c", a, "ci"], { timeoutMs: 5 * MINUTE, env: { CI: "true", SLIPWAY_SIGNING_KEY: ci.privateKey.export({ type: "pkcs8", format: "pem" }).toString() } });

    const release = async (): Promise<number> => {
      const result = await run(process.execPath, [slipway, "-c", b, "release", "api"], { timeoutMs: MINUTE, env: { SLIPWAY_IDENTITY: "rel@shop.example" } });
      if (result.code !== 6 || !/waiting/.test(result.stdout)) throw new BenchError(`release should wait for an approval:\n${tail(result.stdout + result.stderr)}`);
      if (/stage/.test(result.stdout)) throw new BenchError(`a stage did not count:\n${tail(result.stdout)}`);
      return result.ms;
    };
    log("warming up");
    await release();
    const empty: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < runs; i++) {
      rmSync(join(b, ".slipway"), { recursive: true, force: true });
      empty.push(await release());
      warm.push(await release());
      log(`run ${i + 1}/${runs}: empty ${millis(empty.at(-1) ?? NaN)} ms, warm ${millis(warm.at(-1) ?? NaN)} ms`);
    }

    // In-process: only the evidence (list referrers, fetch, verify), no CLI start-up.
    const digest = (await dev.headManifest(REPO, "1.0.0-dev.1"))?.digest ?? "";
    const trust = [{ identity: "ci", keyId: keyIdOf(ci.publicKey), publicKey: ci.publicKey, may: [...KINDS] }];
    const cold: number[] = [];
    const cached: number[] = [];
    for (let i = 0; i < runs * 3; i++) {
      const cache = new MemoryCache();
      let t = performance.now();
      const first = await evidenceFor({ client: dev, cache, trust }, REPO, digest, KINDS);
      cold.push(performance.now() - t);
      t = performance.now();
      const second = await evidenceFor({ client: dev, cache, trust }, REPO, digest, KINDS);
      cached.push(performance.now() - t);
      if (first.fromCache || !second.fromCache || ![...first.standings.values()].every((s) => s.passed)) throw new BenchError("the evidence did not verify as expected");
    }

    // Bytes: each artifact manifest and its envelope, the referrers index, the shared 2-byte config.
    const index = await dev.getManifest(REPO, referrersTag(digest));
    const artifacts = (index.manifest as { manifests: Descriptor[] }).manifests.filter((m) => m.artifactType === DSSE_MEDIA_TYPE);
    let manifestBytes = 0;
    let envelopeBytes = 0;
    for (const artifact of artifacts) {
      const fetched = await dev.getManifest(REPO, artifact.digest);
      manifestBytes += fetched.bytes.length;
      envelopeBytes += (fetched.manifest as { layers: Descriptor[] }).layers.reduce((sum, l) => sum + l.size, 0);
    }
    const indexBytes = index.bytes.length;
    // cosign's .att image: its manifest and config (its layers are the same envelope blobs).
    const att = await dev.getManifest(REPO, attestationTag(digest));
    const attBytes = att.bytes.length + (att.manifest as { config: Descriptor }).config.size;
    const total = manifestBytes + envelopeBytes + indexBytes + attBytes + 2;

    const e = summarize(empty);
    const w = summarize(warm);
    const c = summarize(cold);
    const h = summarize(cached);
    const out = [
      resultsHeading(),
      "",
      `${machine()}; ${await slipwayAt(run)}; ${runs} runs each (in-process: ${runs * 3}), median (min–max).`,
      "",
      "| `slipway release api` on machine B | wall time (ms) |",
      "|---|---|",
      `| empty store: fetch + verify 5 attestations | ${millis(e.median)} (${millis(e.min)}–${millis(e.max)}) |`,
      `| warm store: verified attestations cached | ${millis(w.median)} (${millis(w.min)}–${millis(w.max)}) |`,
      "",
      "| evidenceFor() in-process, 5 stages | ms |",
      "|---|---|",
      `| empty cache (list referrers, 5 manifests, 5 envelopes, 5 ECDSA verifies) | ${millis(c.median)} (${millis(c.min)}–${millis(c.max)}) |`,
      `| warm cache | ${millis(h.median)} (${millis(h.min)}–${millis(h.max)}) |`,
      "",
      `Added to the registry per image: ${total} bytes — ${artifacts.length} artifact manifests ${manifestBytes} B, ${artifacts.length} envelopes ${envelopeBytes} B, the referrers index ${indexBytes} B, cosign's .att image ${attBytes} B (manifest and config; same envelope blobs), the \`{}\` config 2 B (shared).`,
    ];
    process.stdout.write(out.join("\n") + "\n");
  } finally {
    dev.close();
    await cleanup();
  }
}

runMain(main);
