// The API behind a real socket: HTTPS with a certificate made by openssl,
// the Secure session cookie over TLS, and a close() that ends open event
// streams instead of waiting for them. The server takes an ephemeral port:
// every helper's unit run may run this file at the same moment.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openServeHost, type ServeHost } from "../app/serve-host.js";
import { createApiApp } from "./api-app.js";
import { listen } from "./http-server.js";

const PASSWORD = "correct horse battery staple";

function get(url: string, ca: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? "GET", ca, headers: init.body === undefined ? {} : { "content-type": "application/json" } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

describe("the API over HTTPS", () => {
  let root = "";
  let host: ServeHost;
  let cert = "";
  before(async () => {
    root = mkdtempSync(join(tmpdir(), "slipway-tls-"));
    writeFileSync(join(root, "slipway.yaml"), "system: tls\nregistries:\n  dev: { url: 127.0.0.1:25531 }\n  prod: { url: 127.0.0.1:25532 }\nenvironments:\n  - { name: test, registry: dev }\nservices: [services/*]\n");
    mkdirSync(join(root, "services", "hello"), { recursive: true });
    writeFileSync(join(root, "services", "hello", "slipway.service.yaml"), "name: hello\nowners: [a]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nreadiness: { tcp: {} }\n");
    writeFileSync(join(root, "services", "hello", "Dockerfile"), "FROM debian:bookworm-slim\n");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(root, "key.pem"), "-out", join(root, "cert.pem")], { stdio: "ignore" });
    cert = execFileSync("cat", [join(root, "cert.pem")]).toString();
    host = await openServeHost(root);
    await host.auth.addUser({ name: "setup", source: "os user" }, { name: "ann", role: "viewer", password: PASSWORD });
  });
  after(() => {
    // Even when before() failed half-way.
    rmSync(root, { recursive: true, force: true });
    (host as ServeHost | undefined)?.close();
  });

  it("serves HTTPS on 127.0.0.1, sets a Secure session cookie, and closes with an event stream open", async () => {
    const api = createApiApp(host, { secureCookies: true });
    const server = await listen(api, { hostname: "127.0.0.1", port: 0, tls: { cert: join(root, "cert.pem"), key: join(root, "key.pem") } });
    try {
      assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await get(`${server.url}/api/health`, cert)).status, 200);
      const login = await get(`${server.url}/api/login`, cert, { method: "POST", body: JSON.stringify({ user: "ann", password: PASSWORD }) });
      assert.equal(login.status, 200, login.body);
      const cookie = String(login.headers["set-cookie"]);
      for (const attribute of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"]) assert.ok(cookie.includes(attribute), `${attribute} in ${cookie}`);
      // An open event stream must not hold close() up (the heartbeat is 15 s).
      const token = host.auth.createToken({ name: "setup", source: "os user" }, { user: "ann", role: "viewer" }).token;
      await new Promise<void>((resolve, reject) => {
        const req = request(`${server.url}/api/events`, { ca: cert, headers: { authorization: `Bearer ${token}` } }, (res) => {
          assert.equal(res.statusCode, 200);
          res.once("data", () => resolve());
        });
        req.on("error", reject);
        req.end();
      });
    } finally {
      const started = Date.now();
      await server.close();
      assert.ok(Date.now() - started < 5000, "close() ended the stream instead of waiting for it");
    }
  });

  it("refuses a certificate it cannot read, naming the file", async () => {
    await assert.rejects(listen(createApiApp(host, { secureCookies: true }), { hostname: "127.0.0.1", port: 0, tls: { cert: join(root, "missing.pem"), key: join(root, "key.pem") } }), /cannot read the TLS certificate .*missing\.pem/);
  });
});
