import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../../../test/e2e/helpers.js";
import { DEFAULT_SLOTS, renderHaproxyConfig, routerThreads, slotCount, slotName, slotOf } from "./haproxy-config.js";
import { emptyRouteTable, type RouteTable } from "./route-table.js";

const golden = join(repoRoot, "src", "router", "haproxy", "testdata", "haproxy.cfg.golden");
const paths = { adminSocket: "/state/routers/prod/admin.sock", controlPort: 15801, threads: 1 };

const table: RouteTable = {
  ...emptyRouteTable(),
  services: {
    web: {
      endpointPort: 15802,
      previewPort: 15803,
      healthCheckIntervalMs: 2000,
      slots: 4,
      backends: {
        "web-r2-1": { name: "web-r2-1", revision: "r2", role: "canary", address: "127.0.0.1", port: 15812, weight: 20, state: "ready", slot: 3 },
        "web-r1-1": { name: "web-r1-1", revision: "r1", role: "stable", address: "127.0.0.1", port: 15811, weight: 180, state: "ready", slot: 1 },
        "web-r3-1": { name: "web-r3-1", revision: "r3", role: "preview", address: "127.0.0.1", port: 15813, weight: 0, state: "draining", slot: 2 },
      },
    },
    api: { endpointPort: 15804, slots: 2, backends: {} },
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

  it("runs the threads it is given, else half the host's CPUs or SLIPWAY_ROUTER_THREADS", () => {
    assert.match(renderHaproxyConfig(table, { ...paths, threads: 3 }), /^global\n(?: {2}.*\n)* {2}nbthread 3$/m);
    assert.match(renderHaproxyConfig(table, { adminSocket: paths.adminSocket, controlPort: paths.controlPort }), new RegExp(`^ {2}nbthread ${routerThreads()}$`, "m"));
    assert.equal(routerThreads({}, 1), 1);
    assert.equal(routerThreads({}, 2), 1);
    assert.equal(routerThreads({}, 3), 1);
    assert.equal(routerThreads({}, 8), 4);
    assert.equal(routerThreads({ SLIPWAY_ROUTER_THREADS: "2" }, 2), 2);
    assert.equal(routerThreads({ SLIPWAY_ROUTER_THREADS: " " }, 4), 2);
    for (const bad of ["0", "1.5", "two", "65"]) assert.throws(() => routerThreads({ SLIPWAY_ROUTER_THREADS: bad }, 2), /SLIPWAY_ROUTER_THREADS must be a whole number from 1 to 64/);
  });

  it("declares no preview endpoint for a service without a preview port", () => {
    const rendered = renderHaproxyConfig(table, paths);
    assert.match(rendered, /^frontend fe\.web\.preview$/m);
    assert.doesNotMatch(rendered, /^frontend fe\.api\.preview$/m);
    assert.match(rendered, /^backend api\.weighted$/m);
  });

  it("declares a fixed pool of slots per backend, free ones in maintenance at weight 0", () => {
    const rendered = renderHaproxyConfig(table, paths);
    assert.equal((rendered.match(/^ {2}server s\d+ /gm) ?? []).length, 3 * 4 + 3 * 2);
    assert.match(rendered, /^ {2}server s4 127\.0\.0\.1:1 weight 0 check inter 2000 fall 1 rise 1 disabled$/m);
    assert.match(rendered, /^ {2}server s1 127\.0\.0\.1:15811 weight 180 check inter 2000 fall 1 rise 1 {2}# web-r1-1$/m);
  });

  it("checks every slot of a service every health-check interval (one failure out, one success back); none without one", () => {
    const rendered = renderHaproxyConfig(table, paths);
    const servers = (proxy: string): string[] => (rendered.split(`\nbackend ${proxy}\n`)[1]?.split("\n\n")[0] ?? "").split("\n").filter((l) => l.startsWith("  server "));
    assert.ok(servers("web.weighted").length === 4 && servers("web.weighted").every((l) => l.includes(" check inter 2000 fall 1 rise 1")));
    assert.ok(servers("api.weighted").length === 2 && servers("api.weighted").every((l) => !l.includes(" check")));
  });

  it("names slots s1..sN and never declares fewer than the highest slot in use", () => {
    assert.equal(slotName(7), "s7");
    assert.equal(slotOf("s7"), 7);
    assert.equal(slotOf("web-r1-1"), undefined);
    assert.equal(slotOf("s0"), undefined);
    assert.equal(slotCount({ endpointPort: 1, backends: {} }), DEFAULT_SLOTS);
    const web = table.services["web"];
    assert.ok(web !== undefined);
    assert.equal(slotCount({ ...web, slots: 2 }), 3);
  });
});
