import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Hono } from "hono";
import { mountDashboard } from "./dashboard.js";

function appWith(build: boolean, loggedIn = false): Hono {
  const dir = mkdtempSync(join(tmpdir(), "slipway-dashboard-"));
  if (build) {
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), "<!doctype html><div id=root></div>");
    writeFileSync(join(dir, "assets", "index-abc.js"), "console.log(1)");
  }
  const app = new Hono();
  app.get("/api/health", (c) => c.json({ ok: true }));
  mountDashboard(app, { dir, loggedIn: () => loggedIn });
  app.notFound((c) => c.json({ error: { code: "NOT_FOUND" } }, 404));
  return app;
}

describe("the dashboard's files", () => {
  const app = appWith(true);
  it("answers every page path with index.html (SPA fallback), revalidated, under a strict CSP", async () => {
    for (const path of ["/", "/rollouts/test/hello", "/audit"]) {
      const res = await app.request(path);
      assert.equal(res.status, 200, path);
      assert.match(await res.text(), /id=root/);
      assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
      assert.equal(res.headers.get("cache-control"), "no-cache");
      assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    }
  });
  it("preloads the overview's first reads with the overview's page only, and only for a valid session", async () => {
    const withSession = appWith(true, true);
    const links = (await withSession.request("/")).headers.get("link") ?? "";
    for (const path of ["/api/session", "/api/system", "/api/status"]) assert.ok(links.includes(`<${path}>; rel=preload; as=fetch; crossorigin`), links);
    assert.equal((await withSession.request("/audit")).headers.get("link"), null);
    // Logged out, the preloads would answer 401 and the page would keep those for the overview after the login.
    assert.equal((await app.request("/")).headers.get("link"), null);
  });
  it("serves a hashed asset cached for good, and a missing one as 404 rather than the page", async () => {
    const res = await app.request("/assets/index-abc.js");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.match(res.headers.get("cache-control") ?? "", /immutable/);
    assert.equal((await app.request("/assets/index-old.js")).status, 404);
  });
  it("leaves /api/ to the API: an unknown API path is the API's JSON 404", async () => {
    assert.equal((await app.request("/api/health")).status, 200);
    const res = await app.request("/api/nope");
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: { code: "NOT_FOUND" } });
  });
  it("says how to build it when it is not built", async () => {
    const res = await appWith(false).request("/");
    assert.equal(res.status, 404);
    assert.match(await res.text(), /npm run build/);
  });
});
