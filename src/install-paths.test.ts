import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { installPath, installRoot } from "./install-paths.js";

describe("install paths", () => {
  it("the install root holds Slipway's package.json, and the files commands start from it", () => {
    const pkg = JSON.parse(readFileSync(installPath("package.json"), "utf8")) as { name: string };
    assert.equal(pkg.name, "slipway");
    assert.ok(existsSync(installPath("bin", "slipway.js")), "bin/slipway.js");
    assert.ok(existsSync(installPath("dist", "src", "router", "haproxy", "supervisor-main.js")), "the router's supervisor script, run as its own process");
    assert.equal(installPath(), installRoot());
  });
});
