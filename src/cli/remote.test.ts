import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseServerSentEvent, remoteOf } from "./remote.js";

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
});
