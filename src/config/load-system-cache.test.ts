import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError } from "../domain/errors.js";
import { loadSystem } from "./load-system.js";

const root = mkdtempSync(join(tmpdir(), "slipway-config-cache-"));
process.env["SLIPWAY_CONFIG_CACHE"] = join(root, "cache");
after(() => rmSync(root, { recursive: true, force: true }));

const write = (path: string, text: string): void => {
  mkdirSync(join(root, path, ".."), { recursive: true });
  writeFileSync(join(root, path), text);
};
const service = (name: string, replicas: number): string => `name: ${name}\nowners: [t]\nbuild: { image: img }\nport: 8080\nreadiness: { tcp: {} }\nreplicas: ${replicas}\n`;

write("sys/slipway.yaml", "system: s\nregistries: { dev: { url: 127.0.0.1:1 }, prod: { url: 127.0.0.1:2 } }\nenvironments: [{ name: t, registry: dev }]\n");
write("sys/services/a/slipway.service.yaml", service("a", 1));
write("sys/services/a/Dockerfile", "FROM scratch\n");
write("sys/services/b/Dockerfile", "FROM scratch\n");

describe("loadSystem's cache", () => {
  it("answers from the cache while no file changed (size, mtime and inode equal)", async () => {
    const file = join(root, "sys/services/a/slipway.service.yaml");
    const stamp = new Date("2026-01-01T00:00:00Z");
    utimesSync(file, stamp, stamp);
    assert.equal((await loadSystem(join(root, "sys"))).services[0]?.config.replicas, 1);
    // Same size, same mtime, same inode: only a cache hit can still say 1.
    writeFileSync(file, service("a", 2));
    utimesSync(file, stamp, stamp);
    assert.equal((await loadSystem(join(root, "sys"))).services[0]?.config.replicas, 1);
  });

  it("parses again when a file changes", async () => {
    const file = join(root, "sys/services/a/slipway.service.yaml");
    writeFileSync(file, service("a", 3) + "# longer now\n");
    assert.equal((await loadSystem(join(root, "sys"))).services[0]?.config.replicas, 3);
  });

  it("parses again when a service folder appears", async () => {
    write("sys/services/b/slipway.service.yaml", service("b", 1));
    assert.deepEqual((await loadSystem(join(root, "sys"))).services.map((s) => s.config.name).sort(), ["a", "b"]);
  });

  it("parses again when a Dockerfile it checked is deleted", async () => {
    await loadSystem(join(root, "sys"));
    rmSync(join(root, "sys/services/b/Dockerfile"));
    await assert.rejects(loadSystem(join(root, "sys")), (err: unknown) => err instanceof ConfigError && err.problems.some((p) => /the Dockerfile .*services\/b\/Dockerfile does not exist/.test(p.message)));
    write("sys/services/b/Dockerfile", "FROM scratch\n");
  });

  it("never caches an invalid system", async () => {
    write("sys/services/b/slipway.service.yaml", service("b", 1).replace("replicas", "replica"));
    const invalid = (err: unknown): boolean => err instanceof ConfigError && err.problems.some((p) => p.message === 'unknown field "replica"');
    await assert.rejects(loadSystem(join(root, "sys")), invalid);
    await assert.rejects(loadSystem(join(root, "sys")), invalid);
  });
});
