import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SystemConfigSchema } from "./config-schema.js";
import { imageRepository, nextBuildNumber, renderTag } from "./image-names.js";
import { parseRegistryUrl } from "./registry-address.js";

const system = SystemConfigSchema.parse({
  system: "drone-delivery",
  registries: { dev: { url: "127.0.0.1:5101" }, prod: { url: "127.0.0.1:5102" } },
  environments: [{ name: "test", registry: "dev" }],
});

describe("image names", () => {
  it("builds the repository from the template and the registry's prefix", () => {
    assert.equal(imageRepository(system, { name: "ingestion", owners: ["team-a"] }, parseRegistryUrl("127.0.0.1:5101")), "127.0.0.1:5101/drone-delivery/ingestion");
    assert.equal(imageRepository(system, { name: "ingestion", owners: ["team-a"] }, parseRegistryUrl("registry.example.com/acme")), "registry.example.com/acme/drone-delivery/ingestion");
  });

  it("renders tags with a 12-character hash and a 7-character commit", () => {
    const values = { service: "api", version: "1.2.0", hash: "0123456789abcdef", commit: "fedcba9876543210", n: 4 };
    assert.equal(renderTag("h-{hash}", values), "h-0123456789ab");
    assert.equal(renderTag("{version}-dev.{n}", values), "1.2.0-dev.4");
    assert.equal(renderTag("git-{commit}", values), "git-fedcba9");
  });

  it("numbers human tags one past the highest of the same version", () => {
    const values = { service: "api", version: "1.2.0", hash: "0123456789abcdef" };
    assert.equal(nextBuildNumber("{version}-dev.{n}", values, []), 1);
    assert.equal(nextBuildNumber("{version}-dev.{n}", values, ["1.2.0-dev.1", "1.2.0-dev.9", "1.2.0-dev.10", "1.1.0-dev.40", "h-abc"]), 11);
    assert.equal(nextBuildNumber("{version}-dev", values, ["1.2.0-dev"]), 1);
  });
});
