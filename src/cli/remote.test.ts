import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReleaseOutcome } from "../release/release-service.js";
import { printReleaseResult } from "./commands/release.js";
import type { Output } from "./output.js";
import { parseServerSentEvent, releaseBody, remoteOf } from "./remote.js";

describe("remote mode", () => {
  const globals = { config: ".", debug: false, json: false };
  it("is off without --server or SLIPWAY_SERVER", () => assert.equal(remoteOf(globals, {}), undefined));
  it("takes --server over SLIPWAY_SERVER, without a trailing slash, with the token from SLIPWAY_TOKEN", () => {
    assert.deepEqual(remoteOf({ ...globals, server: "https://a.example:7700/" }, { SLIPWAY_SERVER: "http://b", SLIPWAY_TOKEN: "slw_x" }), { url: "https://a.example:7700", token: "slw_x" });
    assert.deepEqual(remoteOf(globals, { SLIPWAY_SERVER: "http://b", SLIPWAY_TOKEN: "slw_x" }), { url: "http://b", token: "slw_x" });
  });
  it("refuses a server without a token, saying how to get one", () => {
    assert.throws(() => remoteOf({ ...globals, server: "http://b" }, {}), (err: Error & { code?: string; hint?: string }) => err.code === "USAGE" && /SLIPWAY_TOKEN/.test(err.message) && /slipway token create/.test(err.hint ?? ""));
  });
  it("reads a server-sent event's name and JSON data (multi-line data joined), text when it is not JSON", () => {
    assert.deepEqual(parseServerSentEvent('event: rollout.progress\ndata: {"service":"api",\ndata: "environment":"k8s"}\nid: 3'), { type: "rollout.progress", data: { service: "api", environment: "k8s" } });
    assert.deepEqual(parseServerSentEvent("event: hello\ndata: plain"), { type: "hello", data: "plain" });
    assert.equal(parseServerSentEvent(": a comment").type, undefined);
  });
  it("asks the server to release with only the options given", () => {
    assert.deepEqual(releaseBody(["api"], {}), { services: ["api"] });
    assert.deepEqual(releaseBody(["api"], { version: "2.0.0", prerelease: "rc" }), { services: ["api"], version: "2.0.0", prerelease: "rc" });
    assert.deepEqual(releaseBody([], { all: true }), { services: [], all: true });
    assert.deepEqual(releaseBody([], { all: false }), { services: [] });
  });
  it("prints the server's release answer as the local command does: a waiting release exits as RELEASE_BLOCKED, nothing to release 0", () => {
    const lines: string[] = [];
    const output: Output = { out: (l) => lines.push(l), err: (l) => lines.push(l), color: false };
    const blocked = { kind: "blocked", release: { id: "api@2.0.0", changeType: "major", digest: `sha256:${"a".repeat(64)}` }, evaluation: { blockers: [{ message: "needs 1 approval", howToSatisfy: "an owner approves" }] } } as unknown as ReleaseOutcome;
    assert.equal(printReleaseResult(output, false, { kind: "done", outcomes: [blocked] }), 6);
    assert.deepEqual(lines, ["… api@2.0.0 (major, sha256:aaaaaaaaaaaa) is waiting:", "  - needs 1 approval\n    to go ahead: an owner approves"]);
    lines.length = 0;
    assert.equal(printReleaseResult(output, true, { kind: "nothing-to-release" }), 0);
    assert.deepEqual(lines, ["nothing to release: every service's tested digest is already its newest release"]);
  });
});
