import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextPageUrl, pageAfter } from "./link-header.js";

const base = new URL("http://127.0.0.1:5001/v2/app/tags/list?n=2");

describe("nextPageUrl", () => {
  it("resolves Distribution's relative next link", () => {
    assert.equal(nextPageUrl('</v2/_catalog?last=q&n=2>; rel="next"', base)?.href, "http://127.0.0.1:5001/v2/_catalog?last=q&n=2");
  });
  it("picks next among several links and accepts unquoted and multi-valued rel", () => {
    assert.equal(nextPageUrl('<https://r.example/v2/a/tags/list?last=z>; rel="prev", </v2/a/tags/list?last=b&n=2>; rel=next', base)?.pathname, "/v2/a/tags/list");
    assert.equal(nextPageUrl('</p2>; title="x"; rel="last next"', base)?.pathname, "/p2");
  });
  it("is undefined on the last page or for garbage", () => {
    assert.equal(nextPageUrl(undefined, base), undefined);
    assert.equal(nextPageUrl('</first>; rel="first"', base), undefined);
    assert.equal(nextPageUrl("nonsense", base), undefined);
  });
});

describe("pageAfter", () => {
  it("sets n and last, keeping other parameters", () => {
    const next = pageAfter(new URL("http://h/v2/a/tags/list?n=2&x=1"), "b", 2);
    assert.equal(next.searchParams.get("last"), "b");
    assert.equal(next.searchParams.get("n"), "2");
    assert.equal(next.searchParams.get("x"), "1");
  });
});
