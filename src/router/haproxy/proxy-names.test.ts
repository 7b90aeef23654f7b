import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../../domain/errors.js";
import { assertRoutableAddress, assertRoutableName, backendProxy, routesForRole, serviceOfProxy } from "./proxy-names.js";

describe("proxy names", () => {
  it("name a service's routes so that they map back", () => {
    assert.equal(backendProxy("web-api", "tester"), "web-api.tester");
    assert.deepEqual(serviceOfProxy("web-api.tester"), { service: "web-api", route: "tester" });
    assert.equal(serviceOfProxy("slipway.control"), undefined);
    assert.equal(serviceOfProxy("FRONTEND"), undefined);
  });

  it("put canaries on the header route and previews also on the preview endpoint", () => {
    assert.deepEqual(routesForRole("stable"), ["weighted"]);
    assert.deepEqual(routesForRole("canary"), ["weighted", "tester"]);
    assert.deepEqual(routesForRole("preview"), ["weighted", "tester", "preview"]);
  });

  const unsafe = ["Web", "web.api", "web;del server x/y", "-web", "", "x".repeat(64)];
  for (const name of unsafe) {
    it(`refuse ${JSON.stringify(name.slice(0, 20))} before it reaches a command line`, () => {
      assert.throws(() => assertRoutableName("backend", name), SlipwayError);
    });
  }

  it("take only IPv4 literals and real ports as addresses", () => {
    assert.doesNotThrow(() => assertRoutableAddress("127.0.0.1", 8080));
    assert.throws(() => assertRoutableAddress("localhost", 8080), SlipwayError);
    assert.throws(() => assertRoutableAddress("127.0.0.1", 0), SlipwayError);
  });
});
