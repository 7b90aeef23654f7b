// One system definition, services in another repository: CI labels each
// image, and signs its build provenance, with the commit and remote of the
// repository that holds the service — not the system repository's. Real
// Docker, registries on 27011/27012.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseRegistryUrl } from "../../src/domain/registry-address.js";
import { DSSE_MEDIA_TYPE, parseEnvelope } from "../../src/release/attestations/dsse.js";
import { OciRegistryClient } from "../../src/registry/oci/oci-registry-client.js";
import type { Descriptor } from "../../src/registry/types.js";
import { runCli } from "./helpers.js";

const DEV = 27011;
const PROD = 27012;
const base = mkdtempSync(join(tmpdir(), "slipway-multirepo-"));
const system = join(base, "system");
const payments = join(base, "payments");
const PAYMENTS_REMOTE = "https://git.example/shop/payments.git";
const git = (dir: string, ...args: string[]): string => execFileSync("git", ["-C", dir, "-c", "user.email=dev@shop.example", "-c", "user.name=dev", ...args], { encoding: "utf8" }).trim();
const dev = new OciRegistryClient(parseRegistryUrl(`127.0.0.1:${DEV}`));

async function readBlob(digest: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of (await dev.getBlob("shop/ledger", digest)).stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

before(async () => {
  mkdirSync(system, { recursive: true });
  mkdirSync(join(payments, "services", "ledger"), { recursive: true });
  writeFileSync(
    join(system, "slipway.yaml"),
    `system: shop\nregistries:\n  dev: { url: 127.0.0.1:${DEV} }\n  prod: { url: 127.0.0.1:${PROD} }\nenvironments: [{ name: test, registry: dev }]\nservices: [../payments/services/*]\n`,
  );
  writeFileSync(join(system, ".gitignore"), ".slipway/\n");
  writeFileSync(join(payments, "services", "ledger", "slipway.service.yaml"), 'name: ledger\nowners: [ann@shop.example, bob@shop.example, cy@shop.example]\nbuild: { image: debian:bookworm-slim, commands: ["true"] }\nport: 8080\nreadiness: { exec: { command: ["true"] } }\n');
  writeFileSync(join(payments, "services", "ledger", "main.sh"), "exec sleep 3600\n");
  writeFileSync(join(payments, "services", "ledger", "Dockerfile"), 'FROM debian:bookworm-slim\nCOPY main.sh /main.sh\nCMD ["sh", "/main.sh"]\n');
  for (const repo of [system, payments]) {
    git(repo, "init", "-q");
    git(repo, "add", "-A");
    git(repo, "commit", "-qm", "init");
  }
  git(system, "remote", "add", "origin", "https://git.example/shop/system.git");
  git(payments, "remote", "add", "origin", PAYMENTS_REMOTE);
  const up = await runCli(["-c", system, "up"]);
  assert.equal(up.code, 0, up.stdout + up.stderr);
});

after(async () => {
  dev.close();
  await runCli(["-c", system, "down"]);
  rmSync(base, { recursive: true, force: true });
});

describe("services in another repository than slipway.yaml", () => {
  it("their images and build provenance name their own repository and commit", async () => {
    const ci = await runCli(["-c", system, "ci"], { CI: "true" });
    assert.equal(ci.code, 0, ci.stdout + ci.stderr);
    const commit = git(payments, "rev-parse", "HEAD");
    const tag = (await dev.listTags("shop/ledger")).find((t) => /-dev\.1$/.test(t)) ?? "";
    const image = await dev.getManifest("shop/ledger", tag);
    const digest = image.descriptor.digest;
    const config = JSON.parse((await readBlob((image.manifest as { config: Descriptor }).config.digest)).toString("utf8")) as { config: { Labels: Record<string, string> } };
    assert.equal(config.config.Labels["org.opencontainers.image.source"], PAYMENTS_REMOTE);
    assert.equal(config.config.Labels["org.opencontainers.image.revision"], commit);

    const build = (await dev.referrers("shop/ledger", digest, { artifactType: DSSE_MEDIA_TYPE })).find((r) => r.annotations?.["dev.slipway.evidence"] === "build");
    assert.ok(build, "a build attestation");
    const layer = ((await dev.getManifest("shop/ledger", build.digest)).manifest as { layers: Descriptor[] }).layers[0] as Descriptor;
    const statement = JSON.parse(Buffer.from(parseEnvelope(await readBlob(layer.digest)).payload, "base64").toString("utf8")) as { predicate: { buildDefinition: { externalParameters: Record<string, string> } } };
    assert.deepEqual(statement.predicate.buildDefinition.externalParameters, { sourceRepository: PAYMENTS_REMOTE, commit, service: "ledger" });
  });
});
