import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkTemplate, dnsLabelName, renderTemplate } from "./naming.js";

describe("dnsLabelName", () => {
  const rows: [string[], string][] = [
    [["drone-delivery", "test", "ingestion", "r3"], "drone-delivery-test-ingestion-r3"],
    [["Shop", "My_Service"], "shop-my-service"],
    [["--a--", "", "b"], "a-b"],
    [["", ""], "x"],
  ];
  for (const [parts, expected] of rows) {
    it(`${JSON.stringify(parts)} → ${expected}`, () => assert.equal(dnsLabelName(...parts), expected));
  }

  it("cuts long names to 63 characters with a hash suffix that keeps them distinct", () => {
    const a = dnsLabelName("system", "x".repeat(80), "a");
    const b = dnsLabelName("system", "x".repeat(80), "b");
    assert.equal(a.length, 63);
    assert.match(a, /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
    assert.notEqual(a, b);
  });
});

describe("naming templates", () => {
  it("renders placeholders and leaves unknown ones as they are", () => {
    assert.equal(renderTemplate("{system}/{service}:{x}", { system: "s", service: "api" }), "s/api:{x}");
  });

  const rows: [string, Parameters<typeof checkTemplate>[1], RegExp | undefined][] = [
    ["{system}/{service}", "repository", undefined],
    ["{system}/{version}", "repository", /allowed placeholders are \{system\}, \{service\}, \{team\}/],
    ["Team/{service}", "repository", /not a valid OCI repository name/],
    ["h-{hash}", "immutable tag", undefined],
    ["git-{commit}", "immutable tag", undefined],
    ["latest-{n}", "immutable tag", /must contain \{hash\} or \{commit\}/],
    ["{version}-dev.{n}", "dev tag", undefined],
    ["{version}+{n}", "dev tag", /not a valid OCI tag/],
    ["release", "release tag", /must contain \{version\}/],
  ];
  for (const [template, kind, problem] of rows) {
    it(`${kind} "${template}" is ${problem ? "rejected" : "accepted"}`, () => {
      const result = checkTemplate(template, kind);
      if (problem === undefined) assert.equal(result, undefined);
      else assert.match(result ?? "", problem);
    });
  }
});
