import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../../test/e2e/helpers.js";
import { renderHaproxyConfig } from "./haproxy-config.js";
import { emptyRouteTable, type RouteTable } from "./route-table.js";

const golden = join(repoRoot, "src", "router", "haproxy", "testdata", "haproxy.cfg.golden");
const paths = { adminSocket: "/state/routers/prod/admin.sock", controlPort: 15801 };

const table: RouteTable = {
  ...emptyRouteTable(),
  services: {
    web: {
      endpointPort: 15802,
      previewPort: 15803,
      backends: {
        "web-r2-1": { name: "web-r2-1", revision: "r2", role: "canary", address: "127.0.0.1", port: 15812, weight: 20, state: "ready" },
        "web-r1-1": { name: "web-r1-1", revision: "r1", role: "stable", address: "127.0.0.1", port: 15811, weight: 180, state: "ready" },
        "web-r3-1": { name: "web-r3-1", revision: "r3", role: "preview", address: "127.0.0.1", port: 15813, weight: 0, state: "draining" },
      },
    },
    api: { endpointPort: 15804, backends: {} },
  },
};

describe("renderHaproxyConfig", () => {
  it("matches the golden file (UPDATE_GOLDEN=1 rewrites it)", () => {
    const rendered = renderHaproxyConfig(table, paths);
    if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(golden, rendered);
    assert.equal(rendered, readFileSync(golden, "utf8"));
  });

  it("is the same text whatever order services and backends were added in", () => {
    const reversed: RouteTable = { ...table, services: Object.fromEntries(Object.entries(table.services).reverse()) };
    assert.equal(renderHaproxyConfig(reversed, paths), renderHaproxyConfig(table, paths));
  });

  it("declares no preview endpoint for a service without a preview port", () => {
    const rendered = renderHaproxyConfig(table, paths);
    assert.match(rendered, /^frontend fe\.web\.preview$/m);
    assert.doesNotMatch(rendered, /^frontend fe\.api\.preview$/m);
    assert.match(rendered, /^backend api\.weighted$/m);
  });
});
