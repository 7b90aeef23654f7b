import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseWwwAuthenticate } from "./www-authenticate.js";

describe("parseWwwAuthenticate", () => {
  it("reads a Docker Hub style bearer challenge with a comma inside the scope", () => {
    assert.deepEqual(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull,push"'), [
      { scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/debian:pull,push" } },
    ]);
  });
  it("reads Distribution's basic challenge", () => {
    assert.deepEqual(parseWwwAuthenticate('Basic realm="slipway"'), [{ scheme: "basic", params: { realm: "slipway" } }]);
  });
  it("splits several challenges in one header", () => {
    const challenges = parseWwwAuthenticate('Basic realm="a, b", Bearer realm="https://t/token", service=reg, error="insufficient_scope"');
    assert.deepEqual(
      challenges.map((c) => c.scheme),
      ["basic", "bearer"],
    );
    assert.equal(challenges[0]?.params["realm"], "a, b");
    assert.deepEqual(challenges[1]?.params, { realm: "https://t/token", service: "reg", error: "insufficient_scope" });
  });
  it("unescapes quoted pairs, lowercases names and tolerates spaces", () => {
    assert.deepEqual(parseWwwAuthenticate('BEARER  Realm = "say \\"hi\\"" ,  Scope="x"'), [{ scheme: "bearer", params: { realm: 'say "hi"', scope: "x" } }]);
  });
  it("ignores a token68 and returns nothing for no header", () => {
    assert.deepEqual(parseWwwAuthenticate("Negotiate abc=="), [{ scheme: "negotiate", params: {} }]);
    assert.deepEqual(parseWwwAuthenticate(undefined), []);
    assert.deepEqual(parseWwwAuthenticate(""), []);
  });
});
