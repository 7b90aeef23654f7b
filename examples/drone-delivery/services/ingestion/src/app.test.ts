import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";

import { createApp } from "./app.js";
import { closeGracefully } from "./shutdown.js";

const delivery = {
  id: "d-42",
  owner: "fabrikam",
  pickup: { lat: 47.6205, lon: -122.3493 },
  dropoff: { lat: 47.6097, lon: -122.3331 },
  packageInfo: { size: "medium", weightKg: 3 },
};

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let text = "";
  for await (const chunk of req) text += String(chunk);
  return JSON.parse(text);
}

interface Received {
  path: string | undefined;
  requestId: string | undefined;
  body: unknown;
}

/** A stand-in for the workflow service whose answer each test chooses. */
class FakeWorkflow {
  readonly received: Received[] = [];
  status = 201;
  delayMs = 0;
  readonly server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void readJson(req).then(async (body) => {
      this.received.push({ path: req.url, requestId: req.headers["x-request-id"] as string | undefined, body });
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      res.writeHead(this.status, { "content-type": "application/json" });
      res.end(JSON.stringify(this.status < 300 ? { deliveryId: "d-42", status: "scheduled" } : { error: "nope" }));
    });
  });
}

describe("ingestion HTTP API", () => {
  const workflow = new FakeWorkflow();
  const logs: string[] = [];
  let app: Server;
  let base: string;

  before(async () => {
    const workflowUrl = await listen(workflow.server);
    app = createApp({ workflowUrl: `${workflowUrl}/`, version: "1.2.3", revision: "abc123", log: (l) => logs.push(l) });
    base = await listen(app);
  });
  after(async () => {
    app.close();
    workflow.server.close();
    app.closeAllConnections();
    workflow.server.closeAllConnections();
  });

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/deliveries`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });

  it("answers /healthz", async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: "ok" });
  });

  it("answers /version with the configured version and revision", async () => {
    const res = await fetch(`${base}/version`);
    assert.deepEqual(await res.json(), { service: "ingestion", version: "1.2.3", revision: "abc123" });
  });

  it("rejects an incomplete request with 400 naming the missing fields", async () => {
    const res = await post('{"id": 1}');
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: string; details: string[] };
    assert.match(body.error, /owner/);
    assert.match(body.error, /packageInfo/);
    assert.equal(body.details.length, 5);
  });

  it("rejects a body that is not JSON", async () => {
    const res = await post("{not json");
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), { error: "request body is not valid JSON" });
  });

  it("rejects an oversized body with 413", async () => {
    const res = await post(JSON.stringify({ ...delivery, padding: "x".repeat(70_000) }));
    assert.equal(res.status, 413);
  });

  it("answers 405 for a wrong method and 404 for an unknown path", async () => {
    const wrong = await fetch(`${base}/deliveries`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "POST");
    const missing = await fetch(`${base}/nowhere`);
    assert.equal(missing.status, 404);
  });

  it("forwards a valid request to the workflow service and answers 202 with its answer", async () => {
    workflow.status = 201;
    const before = workflow.received.length;
    const res = await post(JSON.stringify({ ...delivery, ignored: "yes" }), { "x-request-id": "req-7" });
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { deliveryId: "d-42", status: "scheduled" });
    assert.equal(res.headers.get("x-request-id"), "req-7");
    const got = workflow.received[before];
    assert.ok(got);
    assert.equal(got.path, "/workflows");
    assert.equal(got.requestId, "req-7");
    assert.deepEqual(got.body, delivery);
  });

  it("answers 422 when the workflow service refuses the delivery", async () => {
    workflow.status = 409;
    const res = await post(JSON.stringify(delivery));
    assert.equal(res.status, 422);
    assert.deepEqual(await res.json(), {
      error: "workflow service rejected the delivery (HTTP 409)",
      upstream: { error: "nope" },
    });
  });

  it("answers 502 when the workflow service fails", async () => {
    workflow.status = 500;
    const res = await post(JSON.stringify(delivery));
    assert.equal(res.status, 502);
    assert.match(((await res.json()) as { error: string }).error, /HTTP 500/);
  });

  it("logs one JSON line per request", () => {
    assert.ok(logs.length >= 8);
    const line = JSON.parse(logs[0] ?? "{}") as Record<string, unknown>;
    assert.equal(line["service"], "ingestion");
    assert.equal(line["method"], "GET");
    assert.equal(line["path"], "/healthz");
    assert.equal(line["status"], 200);
  });
});

describe("ingestion when the workflow service is unreachable", () => {
  it("answers 502 naming the workflow URL", async () => {
    // Take a free port and release it so nothing listens there.
    const probe = createServer();
    const deadUrl = await listen(probe);
    probe.close();
    const app = createApp({ workflowUrl: deadUrl, version: "v", revision: "r", log: () => {} });
    const base = await listen(app);
    try {
      const res = await fetch(`${base}/deliveries`, { method: "POST", body: JSON.stringify(delivery) });
      assert.equal(res.status, 502);
      const body = (await res.json()) as { error: string };
      assert.match(body.error, /workflow service unreachable/);
      assert.ok(body.error.includes(deadUrl));
    } finally {
      await closeGracefully(app, 1000);
    }
  });
});

describe("graceful shutdown", () => {
  it("finishes an in-flight request, then refuses new connections", async () => {
    const workflow = new FakeWorkflow();
    workflow.delayMs = 300;
    const app = createApp({ workflowUrl: await listen(workflow.server), version: "v", revision: "r", log: () => {} });
    const base = await listen(app);
    try {
      const inflight = fetch(`${base}/deliveries`, { method: "POST", body: JSON.stringify(delivery) });
      while (workflow.received.length === 0) await new Promise((r) => setTimeout(r, 10));
      const closing = closeGracefully(app, 5000);
      const res = await inflight;
      assert.equal(res.status, 202);
      assert.equal(await closing, true);
      await assert.rejects(fetch(`${base}/healthz`));
    } finally {
      workflow.server.close();
      workflow.server.closeAllConnections();
    }
  });

  it("cuts connections still open at the deadline", async () => {
    const workflow = new FakeWorkflow();
    workflow.delayMs = 2000;
    const app = createApp({ workflowUrl: await listen(workflow.server), version: "v", revision: "r", log: () => {} });
    const base = await listen(app);
    try {
      const inflight = fetch(`${base}/deliveries`, { method: "POST", body: JSON.stringify(delivery) }).catch((e: unknown) => e);
      while (workflow.received.length === 0) await new Promise((r) => setTimeout(r, 10));
      assert.equal(await closeGracefully(app, 100), false);
      assert.ok((await inflight) instanceof Error);
    } finally {
      workflow.server.close();
      workflow.server.closeAllConnections();
    }
  });
});
