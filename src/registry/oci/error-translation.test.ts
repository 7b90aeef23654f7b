import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorFromNetwork, errorFromStatus, maskSecrets, NOTHING_TO_REDACT as NONE, parseErrorBody, type RequestContext } from "./error-translation.js";

const context: RequestContext = { registry: "127.0.0.1:5001", operation: "get manifest", repository: "team/app", reference: "1.0", hasCredentials: false };
const body = (code: string, message = ""): string => JSON.stringify({ errors: [{ code, message, detail: {} }] });

describe("parseErrorBody", () => {
  it("reads the spec's error list and tolerates anything else", () => {
    assert.deepEqual(parseErrorBody(body("MANIFEST_UNKNOWN", "manifest unknown")), [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown" }]);
    assert.deepEqual(parseErrorBody("404 page not found"), []);
    assert.deepEqual(parseErrorBody('{"errors":[null, {}]}'), [{ code: "UNKNOWN", message: "" }]);
  });
});

describe("errorFromStatus", () => {
  const cases: [number, string, string, boolean][] = [
    [404, body("MANIFEST_UNKNOWN", "manifest unknown"), "REGISTRY_NOT_FOUND", false],
    [401, body("UNAUTHORIZED"), "REGISTRY_AUTH", false],
    [403, "", "REGISTRY_AUTH", false],
    [400, body("DIGEST_INVALID"), "DIGEST_MISMATCH", false],
    [400, body("MANIFEST_BLOB_UNKNOWN"), "REGISTRY_REFUSED", false],
    [405, body("UNSUPPORTED"), "REGISTRY_REFUSED", false],
    [429, body("TOOMANYREQUESTS"), "REGISTRY_UNAVAILABLE", true],
    [503, "", "REGISTRY_UNAVAILABLE", true],
    [500, "", "REGISTRY_UNAVAILABLE", false],
  ];
  for (const [status, text, code, retryable] of cases) {
    it(`${status} ${text.slice(22, 45)} → ${code}`, () => {
      const err = errorFromStatus(status, text, context, NONE);
      assert.equal(err.code, code);
      assert.equal(err.retryable, retryable);
      assert.equal(err.details.status, status);
      assert.ok(err.hint);
    });
  }
  it("names the operation, repository, reference and registry", () => {
    const err = errorFromStatus(404, body("MANIFEST_UNKNOWN", "manifest unknown"), context, NONE);
    assert.equal(err.message, "get manifest team/app:1.0 at registry 127.0.0.1:5001 failed: 404 MANIFEST_UNKNOWN (manifest unknown)");
    assert.deepEqual(err.details.registryCodes, ["MANIFEST_UNKNOWN"]);
  });
  it("hints differently on 401 with and without credentials", () => {
    assert.match(errorFromStatus(401, "", context, NONE).hint ?? "", /needs credentials/);
    assert.match(errorFromStatus(401, "", { ...context, hasCredentials: true }, NONE).hint ?? "", /refused the username and password/);
  });
  it("masks secrets a registry echoes back", () => {
    const err = errorFromStatus(400, body("DENIED", "bad password hunter2 for alice"), context, { secrets: ["hunter2"], names: ["alice"] });
    assert.ok(!err.message.includes("hunter2") && !err.message.includes("alice"), err.message);
    assert.match(err.message, /bad password \*\*\* for \*\*\*/);
  });
});

describe("errorFromNetwork", () => {
  it("is retryable and says how often it tried", () => {
    const err = errorFromNetwork(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5001"), { code: "ECONNREFUSED" }), 4, context, NONE);
    assert.equal(err.code, "REGISTRY_UNAVAILABLE");
    assert.equal(err.retryable, true);
    assert.match(err.message, /cannot reach the registry: connect ECONNREFUSED 127.0.0.1:5001 \(4 attempts\)/);
  });
});

describe("maskSecrets", () => {
  it("replaces every occurrence of a secret and ignores empty ones", () => assert.equal(maskSecrets("a s3cret bs3cretb", { secrets: ["s3cret", ""], names: [] }), "a *** b***b"));
  it("replaces names only as whole words, even with regex characters in them", () => {
    assert.equal(maskSecrets("user u logged in as u, not u.x", { secrets: [], names: ["u"] }), "user *** logged in as ***, not u.x");
    assert.equal(maskSecrets("robot$ci+1 denied", { secrets: [], names: ["robot$ci+1"] }), "*** denied");
  });
});
