// Removing users and changing their roles against a real `slipway serve`
// (a child process over HTTP) and its real state store (SQLite), with the
// real CLI on the same machine: a removed user's token, session and open
// event stream are refused at once (and a user added again by the same
// name does not get the old tokens back); a demoted user's token and
// session act with the new role at once, tokens above it stay capped;
// a non-admin is refused (403); the last admin is protected; unknown users
// and roles are clear errors; each change is in the audit log.
// Nothing here needs Docker. Loopback ports 13000-13299 only (users' range).
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { assertSucceeded as ok, runCli, type CliResult } from "./helpers.js";
import { addUser, apiCall, apiLogin, startServe, type ServeProcess } from "./serve-process.js";

const API_PORT = 13000;
const BASE = `http://127.0.0.1:${API_PORT}`;
const PASSWORD = "correct horse battery staple";
const root = mkdtempSync(join(tmpdir(), "slipway-users-e2e-"));
let serve: ServeProcess | undefined;

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);
const api = (token: string, method: string, path: string, body?: unknown): ReturnType<typeof apiCall> => apiCall(BASE, token, method, path, body);
const tokenFor = async (user: string, role: string): Promise<{ token: string; id: string }> => {
  const created = JSON.parse(ok(await cli("--json", "token", "create", "--user", user, "--role", role), `token create for ${user}`).stdout) as { token: string; id: string };
  return { token: created.token, id: created.id };
};
/** A browser session's call: the cookie, and the CSRF token on writes. */
const asSession = async (session: { cookie: string; csrfToken: string }, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(BASE + path, { method, headers: { cookie: session.cookie, ...(method === "GET" ? {} : { "x-csrf-token": session.csrfToken, "content-type": "application/json" }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const errorOf = (answer: { body: Record<string, unknown> }): { code: string; message: string; hint?: string } => answer.body["error"] as { code: string; message: string; hint?: string };
const roleOf = async (adminToken: string, name: string): Promise<string | undefined> => ((await api(adminToken, "GET", "/api/users")).body["users"] as { name: string; role: string }[]).find((u) => u.name === name)?.role;
const audit = async (token: string): Promise<{ actor: string; action: string; subject: string; detail: Record<string, unknown> }[]> => (await api(token, "GET", "/api/audit?limit=200")).body["entries"] as never;

describe("slipway serve: removing users and changing roles", () => {
  let admin = "";

  before(async () => {
    writeFileSync(join(root, "slipway.yaml"), "system: e2e-users\nregistries:\n  dev: { url: 127.0.0.1:13001 }\n  prod: { url: 127.0.0.1:13002 }\nenvironments:\n  - { name: test, registry: dev, portOffset: 11200 }\nservices: [services/*]\n");
    // Endpoint 13100 and router 13199, should a controller start one.
    mkdirSync(join(root, "services", "hello"), { recursive: true });
    writeFileSync(join(root, "services", "hello", "slipway.service.yaml"), "name: hello\nowners: [ada]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nendpoint: { port: 1900 }\nreadiness: { tcp: {} }\n");
    writeFileSync(join(root, "services", "hello", "Dockerfile"), "FROM debian:bookworm-slim\n");
    for (const [user, role] of [
      ["ada", "admin"],
      ["dan", "deployer"],
      ["val", "viewer"],
      ["apr@example.com", "approver"],
      ["rex", "deployer"],
    ] as const) {
      await addUser(root, user, role, PASSWORD);
    }
    admin = (await tokenFor("ada", "admin")).token;
    serve = await startServe(root, API_PORT);
  });

  after(async () => {
    await serve?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("a non-admin may neither remove a user nor change a role (403), by token or session; nothing changes", async () => {
    const dan = await tokenFor("dan", "deployer");
    const removal = await api(dan.token, "POST", "/api/users/val/remove", {});
    assert.equal(removal.status, 403, JSON.stringify(removal.body));
    assert.equal(errorOf(removal).code, "FORBIDDEN");
    assert.match(errorOf(removal).message, /^dan is a deployer; POST \/api\/users\/val\/remove needs the admin role or higher$/);
    const session = await apiLogin(BASE, "apr@example.com", PASSWORD);
    const promotion = await asSession(session, "POST", "/api/users/apr%40example.com/role", { role: "admin" });
    assert.equal(promotion.status, 403, JSON.stringify(promotion.body));
    assert.equal(await roleOf(admin, "val"), "viewer");
    assert.equal(await roleOf(admin, "apr@example.com"), "approver");
  });

  it("removing a user ends their token, session and open event stream at once; added again, the old token stays refused", async () => {
    const dan = await tokenFor("dan", "deployer");
    const session = await apiLogin(BASE, "dan", PASSWORD);
    assert.equal((await api(dan.token, "GET", "/api/session")).status, 200);
    const stream = await fetch(`${BASE}/api/events`, { headers: { cookie: session.cookie } });
    assert.equal(stream.status, 200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let streamed = "";
    while (!streamed.includes("event: hello")) streamed += new TextDecoder().decode((await reader.read()).value);

    const removed = await api(admin, "POST", "/api/users/dan/remove", {});
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    const answer = removed.body["removed"] as { name: string; role: string; tokensRevoked: string[]; sessionsEnded: number };
    assert.equal(answer.name, "dan");
    assert.equal(answer.role, "deployer");
    assert.ok(answer.tokensRevoked.includes(dan.id), JSON.stringify(answer));
    assert.equal(answer.sessionsEnded, 1);

    const byToken = await api(dan.token, "GET", "/api/session");
    assert.equal(byToken.status, 401);
    assert.equal(errorOf(byToken).code, "UNAUTHENTICATED");
    assert.equal((await asSession(session, "GET", "/api/session")).status, 401);
    // The open stream ends rather than carry the next event (bounded: a stream that stayed open fails here).
    const ended = await Promise.race([
      (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return true;
          streamed += new TextDecoder().decode(value);
        }
      })(),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000)),
    ]);
    assert.equal(ended, true, `the removed user's event stream stayed open:\n${streamed}`);
    assert.ok(!streamed.includes("user dan"), streamed);

    const users = (await api(admin, "GET", "/api/users")).body["users"] as { name: string }[];
    assert.ok(!users.some((u) => u.name === "dan"));
    const tokens = (await api(admin, "GET", "/api/tokens")).body["tokens"] as { id: string }[];
    assert.ok(!tokens.some((t) => t.id === dan.id), "the removed user's tokens are gone");
    const entry = (await audit(admin)).find((e) => e.action === "user-removed" && e.subject === "dan");
    assert.deepEqual(entry?.detail, { role: "deployer", tokensRevoked: answer.tokensRevoked, sessionsEnded: 1 });
    assert.equal(entry?.actor, "ada");

    await addUser(root, "dan", "deployer", PASSWORD);
    assert.equal((await api(dan.token, "GET", "/api/session")).status, 401, "a user added again by the same name does not get the old token back");
    assert.equal((await asSession(session, "GET", "/api/session")).status, 401, "nor the old session");
  });

  it("demoting a user limits their token and session at once; a token above the new role stays capped when they are promoted again", async () => {
    const apr = await tokenFor("apr@example.com", "approver");
    const low = await tokenFor("apr@example.com", "viewer");
    const session = await apiLogin(BASE, "apr@example.com", PASSWORD);
    assert.equal((await asSession(session, "GET", "/api/session")).body["role"], "approver");

    const demoted = await api(admin, "POST", "/api/users/apr%40example.com/role", { role: "viewer" });
    assert.equal(demoted.status, 200, JSON.stringify(demoted.body));
    assert.deepEqual(demoted.body["changed"], { name: "apr@example.com", from: "approver", to: "viewer", tokensCapped: [apr.id] });

    assert.equal((await api(apr.token, "GET", "/api/session")).body["role"], "viewer");
    assert.equal((await asSession(session, "GET", "/api/session")).body["role"], "viewer");
    const write = await asSession(session, "POST", "/api/environments/test/services/hello/rollout/pause", {});
    assert.equal(write.status, 403, JSON.stringify(write.body));
    assert.match(errorOf(write).message, /^apr@example\.com is a viewer; .* needs the deployer role or higher$/);
    assert.equal((await api(apr.token, "POST", "/api/environments/test/services/hello/rollout/pause", {})).status, 403);
    const stored = (await api(admin, "GET", "/api/tokens")).body["tokens"] as { id: string; role: string }[];
    assert.deepEqual(stored.filter((t) => t.id === apr.id || t.id === low.id).map((t) => [t.id, t.role]).sort(), [[apr.id, "viewer"], [low.id, "viewer"]].sort());

    const promoted = await api(admin, "POST", "/api/users/apr%40example.com/role", { role: "approver" });
    assert.deepEqual(promoted.body["changed"], { name: "apr@example.com", from: "viewer", to: "approver", tokensCapped: [] });
    assert.equal((await asSession(session, "GET", "/api/session")).body["role"], "approver", "the session follows the user's role");
    assert.equal((await api(apr.token, "GET", "/api/session")).body["role"], "viewer", "the capped token is not raised again");

    const entries = (await audit(admin)).filter((e) => e.action === "user-role-changed" && e.subject === "apr@example.com");
    assert.deepEqual(
      entries.map((e) => e.detail),
      [
        { from: "approver", to: "viewer", tokensCapped: [{ id: apr.id, from: "approver" }] },
        { from: "viewer", to: "approver", tokensCapped: [] },
      ],
    );
  });

  it("an unknown user and an unknown role are clear errors, over the API and the CLI", async () => {
    const missing = await api(admin, "POST", "/api/users/nobody/remove", {});
    assert.equal(missing.status, 404);
    assert.deepEqual(errorOf(missing), { code: "USER_NOT_FOUND", message: "there is no user nobody", hint: errorOf(missing).hint });
    assert.match(errorOf(missing).hint ?? "", /the users: .*ada.*\(`slipway users list`\)/);
    const badRole = await api(admin, "POST", "/api/users/val/role", { role: "owner" });
    assert.equal(badRole.status, 400);
    assert.deepEqual(((errorOf(badRole) as { issues?: { path: string }[] }).issues ?? []).map((i) => i.path), ["body.role"]);

    const cliMissing = await cli("users", "set-role", "nobody", "--role", "viewer");
    assert.equal(cliMissing.code, 2, cliMissing.stderr);
    assert.match(cliMissing.stderr, /there is no user nobody/);
    assert.match(cliMissing.stderr, /USER_NOT_FOUND/);
    const cliRole = await cli("users", "set-role", "val", "--role", "owner");
    assert.equal(cliRole.code, 2, cliRole.stderr);
    assert.match(cliRole.stderr, /--role "owner" is not a role/);
    assert.match(cliRole.stderr, /viewer, deployer, approver, admin/);
  });

  it("the CLI on the server's machine removes a user and changes a role; the running server refuses at once", async () => {
    const rex = await tokenFor("rex", "deployer");
    const session = await apiLogin(BASE, "rex", PASSWORD);
    const demoted = ok(await cli("users", "set-role", "rex", "--role", "viewer"), "users set-role");
    assert.match(demoted.stdout, new RegExp(`rex: deployer → viewer; 1 API token capped at viewer \\(${rex.id}\\)`));
    assert.equal((await asSession(session, "GET", "/api/session")).body["role"], "viewer");
    assert.equal((await api(rex.token, "GET", "/api/session")).body["role"], "viewer");
    const removed = ok(await cli("users", "remove", "rex"), "users remove");
    assert.match(removed.stdout, /removed rex \(viewer\); 1 API token revoked, 1 session ended/);
    assert.equal((await api(rex.token, "GET", "/api/session")).status, 401);
    assert.equal((await asSession(session, "GET", "/api/session")).status, 401);
    const list = ok(await cli("users", "list"), "users list").stdout;
    assert.doesNotMatch(list, /^rex /m);
  });

  it("the last admin can be neither removed nor demoted, over the API or the CLI; with another admin, they can", async () => {
    for (const [path, body] of [
      ["/api/users/ada/remove", {}],
      ["/api/users/ada/role", { role: "approver" }],
    ] as const) {
      const refused = await api(admin, "POST", path, body);
      assert.equal(refused.status, 409, JSON.stringify(refused.body));
      assert.equal(errorOf(refused).code, "LAST_ADMIN");
      assert.match(errorOf(refused).message, /^ada is the only admin and cannot be (removed|demoted to approver)/);
      assert.match(errorOf(refused).hint ?? "", /make another user an admin first/);
    }
    const byCli = await cli("users", "remove", "ada");
    assert.equal(byCli.code, 2, byCli.stderr);
    assert.match(byCli.stderr, /ada is the only admin and cannot be removed/);
    assert.match(byCli.stderr, /slipway users set-role <name> --role admin/);
    assert.equal(await roleOf(admin, "ada"), "admin");

    ok(await cli("users", "set-role", "val", "--role", "admin"), "users set-role val admin");
    const demoted = await api(admin, "POST", "/api/users/ada/role", { role: "deployer" });
    assert.equal(demoted.status, 200, JSON.stringify(demoted.body));
    // ada's own admin token is capped with her: it may not manage users any more.
    assert.equal((await api(admin, "GET", "/api/users")).status, 403);
    const val = await tokenFor("val", "admin");
    const last = await api(val.token, "POST", "/api/users/val/remove", {});
    assert.equal(last.status, 409, "val is the only admin now");
    assert.equal((await api(val.token, "POST", "/api/users/ada/remove", {})).status, 200);
  });
});
