import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import { SlipwayError } from "../../domain/errors.js";
import { Authenticator, normalizeScopes, scopeKey, TokenCache, tokenLifetimeMs, type PlainSender } from "./authenticator.js";

describe("scopeKey", () => {
  it("ignores order and duplicates", () => assert.equal(scopeKey(["repository:b:pull", "repository:a:pull,push", "repository:b:pull"]), "repository:a:pull,push repository:b:pull"));
});

describe("normalizeScopes", () => {
  it("merges one resource's actions in either order into one sorted scope", () => assert.deepEqual(normalizeScopes(["repository:e2e/tok:pull,push", "repository:e2e/tok:push,pull"]), ["repository:e2e/tok:pull,push"]));
  it("keeps other resources apart and merges a pull with a push", () =>
    assert.deepEqual(normalizeScopes(["repository:b:push", "repository:a:pull", "repository:b:pull"]), ["repository:a:pull", "repository:b:pull,push"]));
  it("reads the actions after the last colon (a name may hold host:port)", () => assert.deepEqual(normalizeScopes(["repository:127.0.0.1:5000/app:pull", "repository:127.0.0.1:5000/app:push"]), ["repository:127.0.0.1:5000/app:pull,push"]));
  it("keeps a scope without actions as it is", () => assert.deepEqual(normalizeScopes(["registry:catalog"]), ["registry:catalog"]));
});

describe("tokenLifetimeMs", () => {
  it("keeps a margin of a tenth, at most 10 s", () => {
    assert.equal(tokenLifetimeMs(300), 290_000);
    assert.equal(tokenLifetimeMs(10), 9_000);
  });
  it("assumes the spec's 60 s when the service says nothing", () => assert.equal(tokenLifetimeMs(undefined), 54_000));
});

describe("TokenCache", () => {
  it("keeps a token per scope set until it is about to expire", () => {
    let now = 1_000;
    const cache = new TokenCache(() => now);
    cache.set(["repository:a:pull"], "t1", 60);
    cache.set(["repository:a:pull,push", "repository:b:pull"], "t2", 300);
    assert.equal(cache.get(["repository:a:pull"]), "t1");
    assert.equal(cache.get(["repository:b:pull", "repository:a:pull,push"]), "t2");
    assert.equal(cache.get(["repository:c:pull"]), undefined);
    now += 54_000;
    assert.equal(cache.get(["repository:a:pull"]), undefined);
    assert.equal(cache.get(["repository:a:pull,push", "repository:b:pull"]), "t2");
    assert.deepEqual(cache.tokens(), ["t2"]);
  });
});

describe("Authenticator", () => {
  const CREDENTIALS = { username: "robot", password: "s3cret-pass" };
  const context = { registry: "127.0.0.1:5001", operation: "get manifest", repository: "app", hasCredentials: true };
  const challenge = 'Bearer realm="http://127.0.0.1:5002/token",service="reg",scope="repository:app:pull"';

  /** A token service that records what it was asked and answers with numbered tokens. */
  function fakeTokenService(status = 200): { asked: URL[]; headers: Record<string, string>[]; send: PlainSender } {
    const asked: URL[] = [];
    const headers: Record<string, string>[] = [];
    const send: PlainSender = async (request) => {
      asked.push(request.url);
      headers.push(request.headers);
      const body = status === 200 ? JSON.stringify({ token: `token-${asked.length}`, expires_in: 120 }) : JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "nope" }] });
      return { status, url: request.url, body: Readable.from([Buffer.from(body)]) as unknown as IncomingMessage, header: () => undefined };
    };
    return { asked, headers, send };
  }

  it("answers a bearer challenge with a token for the challenge's and its own scopes, then reuses it", async () => {
    const service = fakeTokenService();
    const auth = new Authenticator(CREDENTIALS, service.send);
    assert.equal(await auth.authorization(["repository:app:pull"], context), undefined, "anonymous until challenged");
    assert.equal(await auth.answerChallenge(challenge, ["repository:app:pull,push"], context), true);
    const url = service.asked[0];
    assert.equal(url?.origin + (url?.pathname ?? ""), "http://127.0.0.1:5002/token");
    // The challenge's pull is within the push,pull asked for: one scope.
    assert.deepEqual(url?.searchParams.getAll("scope"), ["repository:app:pull,push"]);
    assert.equal(url?.searchParams.get("service"), "reg");
    assert.equal(url?.searchParams.get("account"), "robot");
    assert.equal(service.headers[0]?.["authorization"], `Basic ${Buffer.from("robot:s3cret-pass").toString("base64")}`);
    assert.equal(await auth.authorization(["repository:app:pull,push"], context), "Bearer token-1");
    // Another scope set: fetched up front, without waiting for another 401.
    assert.equal(await auth.authorization(["repository:other:pull"], context), "Bearer token-2");
    assert.equal(service.asked.length, 2);
    assert.ok(auth.redaction().secrets.includes("token-1") && auth.redaction().secrets.includes("s3cret-pass") && auth.redaction().names.includes("robot"));
  });

  it("switches to Basic only when it has credentials", async () => {
    const anonymous = new Authenticator(undefined, fakeTokenService().send);
    assert.equal(await anonymous.answerChallenge('Basic realm="r"', [], context), false);
    const withCredentials = new Authenticator(CREDENTIALS, fakeTokenService().send);
    assert.equal(await withCredentials.answerChallenge('Basic realm="r"', [], context), true);
    assert.equal(await withCredentials.authorization([], context), `Basic ${Buffer.from("robot:s3cret-pass").toString("base64")}`);
    assert.equal(await withCredentials.answerChallenge('Basic realm="r"', [], context), false, "the same credentials again would be refused again");
  });

  it("reports a token service's refusal as REGISTRY_AUTH", async () => {
    const auth = new Authenticator(CREDENTIALS, fakeTokenService(401).send);
    await assert.rejects(auth.answerChallenge(challenge, ["repository:app:pull"], context), (e: unknown) => e instanceof SlipwayError && e.code === "REGISTRY_AUTH" && e.message.includes("get an access token from http://127.0.0.1:5002/token"));
  });
});
