import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../domain/errors.js";
import { InMemoryTrafficRouter } from "./in-memory-router.js";

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (err: unknown) => (err instanceof SlipwayError ? err.code : String(err)),
  );

describe("InMemoryTrafficRouter", () => {
  it("keeps a revision split while instances come and go, as the HAProxy adapter does", async () => {
    const router = new InMemoryTrafficRouter();
    await router.ensureService("web", { endpointPort: 8080 });
    await router.addBackend("web", { name: "web-r1-a", revision: "r1", role: "stable", address: "127.0.0.1", port: 9001, weight: 1 });
    await router.addBackend("web", { name: "web-r2-a", revision: "r2", role: "canary", address: "127.0.0.1", port: 9002, weight: 0 });
    await router.setRevisionWeights("web", { r1: 75, r2: 25 });
    assert.deepEqual(router.shares("web"), { r1: 75, r2: 25 });

    await router.addBackend("web", { name: "web-r1-b", revision: "r1", role: "stable", address: "127.0.0.1", port: 9003, weight: 1 });
    assert.deepEqual(router.shares("web"), { r1: 75, r2: 25 });
    await router.removeBackend("web", "web-r1-a");
    assert.deepEqual(router.shares("web"), { r1: 75, r2: 25 });
    assert.deepEqual((await router.listBackends("web")).map((b) => b.name), ["web-r1-b", "web-r2-a"]);
  });

  it("answers with the adapter's error codes", async () => {
    const router = new InMemoryTrafficRouter();
    await router.ensureService("web", { endpointPort: 8080 });
    await router.addBackend("web", { name: "web-r1-a", revision: "r1", role: "stable", address: "127.0.0.1", port: 9001, weight: 1 });
    assert.equal(await codeOf(router.addBackend("web", { name: "web-r1-a", revision: "r1", role: "stable", address: "127.0.0.1", port: 9999, weight: 1 })), "ROUTER_CONFLICT");
    assert.equal(await codeOf(router.setRevisionWeights("web", { r1: 50, r9: 50 })), "ROUTER_INVALID_WEIGHTS");
    assert.equal(await codeOf(router.listBackends("api")), "ROUTER_NOT_FOUND");
    router.setActive("web", "web-r1-a", 2);
    assert.equal(await codeOf(router.drainBackend("web", "web-r1-a")), "ROUTER_DRAIN_TIMEOUT");
    router.setActive("web", "web-r1-a", 0);
    assert.equal(await codeOf(router.removeBackend("web", "web-r1-a")), undefined);
    assert.equal(await codeOf(router.removeBackend("web", "web-r1-a")), undefined, "removing twice is harmless");
  });
});
