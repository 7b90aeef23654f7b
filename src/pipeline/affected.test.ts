import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadSystem } from "../config/load-system.js";
import { affectedSince } from "./affected.js";

const git = (dir: string, ...args: string[]): string => execFileSync("git", ["-C", dir, "-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { encoding: "utf8" });

describe("affectedSince with services in their own repositories", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-affected-"));
  before(() => {
    mkdirSync(join(dir, "system"));
    writeFileSync(join(dir, "system", "slipway.yaml"), "system: shop\nregistries: { dev: { url: 127.0.0.1:1 }, prod: { url: 127.0.0.1:2 } }\nenvironments: [{ name: test, registry: dev }]\nservices: [../payments/services/*, ../web/services/*]\n");
    for (const [repo, service] of [["payments", "ledger"], ["web", "shop-web"]] as const) {
      mkdirSync(join(dir, repo, "services", service), { recursive: true });
      writeFileSync(join(dir, repo, "services", service, "slipway.service.yaml"), `name: ${service}\nowners: [a]\nbuild: { image: node:20 }\nport: 8080\nreadiness: { tcp: {} }\n`);
      // validate requires the Dockerfile a service is built from.
      writeFileSync(join(dir, repo, "services", service, "Dockerfile"), "FROM scratch\n");
      writeFileSync(join(dir, repo, "services", service, "main.js"), "1\n");
    }
    for (const repo of ["system", "payments", "web"]) {
      git(join(dir, repo), "init", "-q");
      git(join(dir, repo), "add", "-A");
      git(join(dir, repo), "commit", "-qm", "init");
      writeFileSync(join(dir, repo, "README.md"), "docs\n");
      git(join(dir, repo), "add", "-A");
      git(join(dir, repo), "commit", "-qm", "docs");
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads each service's changes from the repository that holds it", async () => {
    appendFileSync(join(dir, "web", "services", "shop-web", "main.js"), "2\n");
    git(join(dir, "web"), "commit", "-qam", "fix: web");
    const result = await affectedSince(await loadSystem(join(dir, "system")), "HEAD~1");
    assert.deepEqual(result.map((r) => [r.service, r.affected, r.reasons]), [["ledger", false, []], ["shop-web", true, ["file changed: main.js"]]].sort((a, b) => String(a[0]).localeCompare(String(b[0]))));
  });

  it("names the repository a ref does not exist in", async () => {
    await assert.rejects(affectedSince(await loadSystem(join(dir, "system")), "no-such-ref"), /--since no-such-ref: git cannot compare \S+ with it/);
  });
});
