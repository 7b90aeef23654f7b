import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseRegistryUrl } from "./registry-address.js";

describe("parseRegistryUrl", () => {
  it("treats a loopback host:port as plain HTTP", () => {
    assert.deepEqual(parseRegistryUrl("127.0.0.1:5101"), { scheme: "http", host: "127.0.0.1", port: 5101, prefix: "", authority: "127.0.0.1:5101", isLoopback: true });
  });
  it("treats a remote host as HTTPS on 443 and keeps a repository prefix", () => {
    const a = parseRegistryUrl("registry.example.com/team/apps");
    assert.equal(a.scheme, "https");
    assert.equal(a.port, 443);
    assert.equal(a.authority, "registry.example.com");
    assert.equal(a.prefix, "team/apps");
    assert.equal(a.isLoopback, false);
  });
  it("honours an explicit scheme", () => {
    assert.equal(parseRegistryUrl("https://localhost:5000").scheme, "https");
  });
  it("rejects what is not an address", () => {
    assert.throws(() => parseRegistryUrl("http://bad host"), /not a registry address/);
    assert.throws(() => parseRegistryUrl("127.0.0.1:70000"), /port 70000/);
  });
});
