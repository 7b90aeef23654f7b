// The API in-process (Hono's app.request) over a real state store (SQLite in
// a scratch folder): for every route success, 401 without credentials, 403
// for a role that may not, CSRF refusal for a browser session, and
// validation errors that name the field. Nothing here needs Docker, a
// registry or a router: the routes that do (a deploy's success, undo,
// rollback, release) are run against a real `slipway serve` in
// test/e2e/server.test.ts.
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openServeHost, type ServeHost } from "../app/serve-host.js";
import { loadSystem } from "../config/load-system.js";
import { beginRollout } from "../delivery/controller/begin-rollout.js";
import { runJournal } from "../pipeline/run-journal.js";
import { SqlitePipelineRunStore } from "../store/sqlite/pipeline-run-store.js";
import { SqliteReleaseStore } from "../store/sqlite/release-store.js";
import { SqliteRolloutStore } from "../store/sqlite/rollout-store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { storePath } from "../store/store-path.js";
import { createApiApp, type ApiApp } from "./api-app.js";
import { routes } from "./routes.js";

const actor = { name: "test-setup", source: "os user" } as const;
const PASSWORD = "correct horse battery staple";
const digest = `sha256:${"a".repeat(64)}`;

/** Reads a streamed answer: until(needle) reads on until the text holds it, rest() reads to the end. */
function readStream(res: Response): { until(needle: string): Promise<void>; rest(): Promise<string>; text(): string; reader: ReadableStreamDefaultReader<Uint8Array> } {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = "";
  const more = async (): Promise<boolean> => {
    const { value, done } = await reader.read();
    if (!done) text += decoder.decode(value, { stream: true });
    return !done;
  };
  return {
    reader,
    text: () => text,
    until: async (needle) => {
      while (!text.includes(needle)) if (!(await more())) throw new Error(`stream ended before ${needle}: ${text}`);
    },
    rest: async () => {
      while (await more());
      return text;
    },
  };
}

function scratchSystem(): string {
  const root = mkdtempSync(join(tmpdir(), "slipway-api-"));
  writeFileSync(
    join(root, "slipway.yaml"),
    "system: api\nregistries:\n  dev: { url: 127.0.0.1:25001 }\n  prod: { url: 127.0.0.1:25002 }\nenvironments:\n  - { name: test, registry: dev, portOffset: 25100 }\n  - { name: prod, registry: prod, portOffset: 25200 }\nservices: [services/*]\n",
  );
  mkdirSync(join(root, "services", "hello"), { recursive: true });
  writeFileSync(join(root, "services", "hello", "slipway.service.yaml"), "name: hello\nowners: [alice@example.com]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nreadiness: { tcp: {} }\n");
  writeFileSync(join(root, "services", "hello", "Dockerfile"), "FROM debian:bookworm-slim\n");
  return root;
}

describe("the HTTP API (in-process)", () => {
  let root = "";
  let host: ServeHost;
  let api: ApiApp;
  let store: SqliteStore;
  const tokens: Record<string, string> = {};

  const call = (method: string, path: string, opts: { token?: string; cookie?: string; csrf?: string; body?: unknown; rawBody?: string; contentType?: string } = {}): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers["authorization"] = `Bearer ${opts.token}`;
    if (opts.cookie !== undefined) headers["cookie"] = opts.cookie;
    if (opts.csrf !== undefined) headers["x-csrf-token"] = opts.csrf;
    const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    if (body !== undefined) headers["content-type"] = opts.contentType ?? "application/json";
    return Promise.resolve(api.app.request(path, { method, headers, ...(body === undefined ? {} : { body }) }));
  };
  const json = async (res: Response): Promise<Record<string, unknown>> => (await res.json()) as Record<string, unknown>;
  const login = async (user: string): Promise<{ cookie: string; csrf: string }> => {
    const res = await call("POST", "/api/login", { body: { user, password: PASSWORD } });
    assert.equal(res.status, 200, await res.clone().text());
    const setCookie = res.headers.get("set-cookie") ?? "";
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    return { cookie: setCookie.split(";")[0] as string, csrf: (await json(res))["csrfToken"] as string };
  };
  const issues = async (res: Response): Promise<string[]> => (((await json(res))["error"] as { issues?: { path: string }[] }).issues ?? []).map((i) => i.path);

  before(async () => {
    root = scratchSystem();
    host = await openServeHost(root);
    api = createApiApp(host, { secureCookies: false });
    for (const [name, role] of [
      ["root", "admin"],
      ["val", "viewer"],
      ["dan", "deployer"],
      ["alice@example.com", "approver"],
      ["bob", "approver"],
    ] as const) {
      await host.auth.addUser(actor, { name, role, password: PASSWORD });
      tokens[name] = host.auth.createToken(actor, { user: name, role }).token;
    }
    // A canary in flight in test, recorded as a deploy would (no controller runs here, so it stays put).
    const system = await loadSystem(root);
    store = SqliteStore.open(storePath(system));
    const service = system.services[0]!.config;
    beginRollout(new SqliteRolloutStore(store.db), {
      system: "api",
      environment: "test",
      service: "hello",
      image: `127.0.0.1:25001/api/hello@${digest}`,
      template: { port: 8080, env: {}, secretEnv: {}, resources: {}, readiness: service.readiness, terminationGracePeriodSeconds: 10 },
      strategy: service.strategy,
      replicas: 1,
      nowMs: Date.now(),
    });
    // Two minor releases waiting for an owner's approval: one requested by dan, one by alice herself.
    const releases = new SqliteReleaseStore(store.db);
    for (const [version, requestedBy] of [
      ["1.1.0", "dan"],
      ["1.2.0", "alice@example.com"],
      ["1.3.0", "dan"],
    ] as const) {
      releases.saveRelease({ id: `hello@${version}`, service: "hello", version, digest, changeType: "minor", sourceRef: `127.0.0.1:25001/api/hello@${digest}`, requestedBy, requestedAt: new Date().toISOString(), status: "awaiting-approval" });
    }
  });
  after(() => {
    // Even when before() failed half-way.
    rmSync(root, { recursive: true, force: true });
    (store as SqliteStore | undefined)?.close();
    (host as ServeHost | undefined)?.close();
  });

  describe("without credentials: 401", () => {
    for (const r of routes) {
      it(`${r.method.toUpperCase()} ${r.path}`, async () => {
        const path = r.path.replace(":env", "test").replace(":service", "hello").replace(":action", "pause").replace(":id", "hello@1.1.0");
        const res = await call(r.method.toUpperCase(), path, r.method === "post" ? { body: {} } : {});
        assert.equal(res.status, 401);
        assert.equal(((await json(res))["error"] as { code: string }).code, "UNAUTHENTICATED");
      });
    }
    it("GET /api/events", async () => assert.equal((await call("GET", "/api/events")).status, 401));
    it("an unknown or revoked token", async () => {
      assert.equal((await call("GET", "/api/status", { token: "slw_nope" })).status, 401);
      const { token, record } = host.auth.createToken(actor, { user: "val", role: "viewer" });
      assert.equal((await call("GET", "/api/session", { token })).status, 200);
      host.auth.revokeToken(actor, record.id);
      assert.equal((await call("GET", "/api/session", { token })).status, 401);
    });
  });

  describe("a role that may not: 403", () => {
    // The role just below the one needed.
    const below = { deploy: "val", approve: "dan", admin: "bob" } as const;
    for (const r of routes.filter((r) => r.permission !== "read")) {
      const who = below[r.permission as keyof typeof below];
      it(`${who} ${r.method.toUpperCase()} ${r.path}`, async () => {
        const path = r.path.replace(":env", "test").replace(":service", "hello").replace(":action", "pause").replace(":id", "hello@1.1.0");
        const res = await call(r.method.toUpperCase(), path, { token: tokens[who] as string, ...(r.method === "post" ? { body: {} } : {}) });
        assert.equal(res.status, 403);
        const error = (await json(res))["error"] as { code: string; message: string };
        assert.equal(error.code, "FORBIDDEN");
        assert.match(error.message, /needs the (deployer|approver|admin) role/);
      });
    }
    it("a token never outranks its user", () => {
      assert.throws(() => host.auth.createToken(actor, { user: "val", role: "admin" }), /cannot hold the admin role/);
    });
  });

  describe("validation errors name the field", () => {
    it("body: version and digest both, malformed", async () => {
      const res = await call("POST", "/api/environments/test/services/hello/deploy", { token: tokens["dan"] as string, body: { version: "one", digest: "sha256:xyz" } });
      assert.equal(res.status, 400);
      assert.deepEqual([...new Set(await issues(res))].sort(), ["body.digest", "body.version"]);
    });
    it("body: an unknown field", async () => {
      const res = await call("POST", "/api/environments/test/services/hello/rollout/abort", { token: tokens["dan"] as string, body: { reasn: "typo" } });
      assert.equal(res.status, 400);
      assert.deepEqual(await issues(res), ["body"]);
    });
    it("body: not JSON", async () => {
      const res = await call("POST", "/api/releases", { token: tokens["dan"] as string, rawBody: "services=hello", contentType: "application/x-www-form-urlencoded" });
      assert.equal(res.status, 400);
      assert.deepEqual(await issues(res), ["body"]);
    });
    it("body: a rejection without a reason", async () => {
      const res = await call("POST", "/api/releases/hello@1.1.0/reject", { token: tokens["alice@example.com"] as string, body: { reason: "  " } });
      assert.equal(res.status, 400);
      assert.deepEqual(await issues(res), ["body.reason"]);
    });
    it("body: nothing to release is the use case's USAGE, as on the CLI", async () => {
      const res = await call("POST", "/api/releases", { token: tokens["dan"] as string, body: {} });
      assert.equal(res.status, 400);
      assert.deepEqual(((await res.json()) as { error: unknown }).error, { code: "USAGE", message: "name a service to release, or pass --all" });
    });
    it("params: an environment name that cannot be one", async () => {
      const res = await call("GET", "/api/environments/Bad_Env/services/hello/rollout", { token: tokens["val"] as string });
      assert.equal(res.status, 400);
      assert.deepEqual(await issues(res), ["params.env"]);
    });
    it("params: an unknown rollout action", async () => {
      const res = await call("POST", "/api/environments/test/services/hello/rollout/explode", { token: tokens["dan"] as string, body: {} });
      assert.equal(res.status, 400);
      assert.deepEqual(await issues(res), ["params.action"]);
    });
    it("body: a user with a spaced name, an unknown role and a short password", async () => {
      const res = await call("POST", "/api/users", { token: tokens["root"] as string, body: { name: "has space", role: "boss", password: "short" } });
      assert.equal(res.status, 400);
      assert.deepEqual((await issues(res)).sort(), ["body.name", "body.password", "body.role"]);
    });
    it("body: a token without a user; params: a token id that cannot be one", async () => {
      const res = await call("POST", "/api/tokens", { token: tokens["root"] as string, body: { role: "viewer" } });
      assert.equal(res.status, 400);
      assert.deepEqual(await issues(res), ["body.user"]);
      const bad = await call("POST", "/api/tokens/slw_secret/revoke", { token: tokens["root"] as string, body: {} });
      assert.equal(bad.status, 400);
      assert.deepEqual(await issues(bad), ["params.id"]);
    });
    it("params: a stage log of a run id and a stage that cannot be", async () => {
      const res = await call("GET", "/api/runs/..%2F..%2Fetc/logs/hello/deploy", { token: tokens["val"] as string });
      assert.equal(res.status, 400);
      assert.deepEqual((await issues(res)).sort(), ["params.id", "params.stage"]);
    });
    it("query: a limit out of range", async () => {
      const res = await call("GET", "/api/audit?limit=0", { token: tokens["val"] as string });
      assert.equal(res.status, 400);
      assert.deepEqual(await issues(res), ["query.limit"]);
    });
    it("query: a snapshot's allowPartial that is not true or false", async () => {
      const res = await call("GET", "/api/environments/test/snapshot?allowPartial=yes", { token: tokens["val"] as string });
      assert.equal(res.status, 400);
      assert.deepEqual(await issues(res), ["query.allowPartial"]);
    });
    it("a use case's refusal keeps its code and hint", async () => {
      const res = await call("GET", "/api/environments/prod/services/hello/rollout", { token: tokens["val"] as string });
      assert.equal(res.status, 400);
      const error = (await json(res))["error"] as { code: string; message: string; hint: string };
      assert.equal(error.code, "USAGE");
      assert.match(error.message, /never been rolled out to prod/);
    });
  });

  describe("browser sessions", () => {
    it("every mutating route refuses a session's request without its CSRF token", async () => {
      const { cookie } = await login("root");
      for (const r of routes.filter((r) => r.method === "post")) {
        const path = r.path.replace(":env", "test").replace(":service", "hello").replace(":action", "pause").replace(":id", "hello@1.1.0");
        const res = await call("POST", path, { cookie, body: {} });
        assert.equal(res.status, 403, path);
        assert.equal(((await json(res))["error"] as { code: string }).code, "CSRF", path);
      }
    });
    it("a mutating request without the CSRF token is refused, and with it goes through", async () => {
      const { cookie, csrf } = await login("dan");
      const refused = await call("POST", "/api/environments/test/services/hello/rollout/pause", { cookie, body: {} });
      assert.equal(refused.status, 403);
      assert.equal(((await json(refused))["error"] as { code: string }).code, "CSRF");
      const wrong = await call("POST", "/api/environments/test/services/hello/rollout/pause", { cookie, csrf: "x".repeat(43), body: {} });
      assert.equal(wrong.status, 403);
      const session = await json(await call("GET", "/api/session", { cookie }));
      assert.equal(session["csrfToken"], csrf);
      const ok = await call("POST", "/api/environments/test/services/hello/rollout/pause", { cookie, csrf, body: {} });
      assert.equal(ok.status, 202, await ok.clone().text());
    });
    it("logout ends the session (and needs the CSRF token too)", async () => {
      const { cookie, csrf } = await login("val");
      assert.equal((await call("POST", "/api/logout", { cookie })).status, 403);
      assert.equal((await call("POST", "/api/logout", { cookie, csrf })).status, 200);
      assert.equal((await call("GET", "/api/session", { cookie })).status, 401);
    });
    it("a wrong password is refused; after a few, the name must wait (429, Retry-After)", async () => {
      await host.auth.addUser(actor, { name: "mallory-target", role: "viewer", password: PASSWORD });
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const res = await call("POST", "/api/login", { body: { user: "mallory-target", password: "guess" + i } });
        statuses.push(res.status);
        retryAfter = res.headers.get("retry-after") ?? retryAfter;
      }
      assert.deepEqual(statuses, [401, 401, 401, 429]);
      assert.equal(retryAfter, "1");
      // Even the right password waits now.
      assert.equal((await call("POST", "/api/login", { body: { user: "mallory-target", password: PASSWORD } })).status, 429);
    });
    it("an unknown user is refused like a wrong password", async () => {
      const res = await call("POST", "/api/login", { body: { user: "nobody", password: PASSWORD } });
      assert.equal(res.status, 401);
      assert.equal(((await json(res))["error"] as { code: string }).code, "LOGIN_FAILED");
    });
  });

  describe("success", () => {
    it("GET /api/health and /api/openapi.json need no credentials; the document is OpenAPI 3.1 from the zod schemas", async () => {
      assert.equal((await call("GET", "/api/health")).status, 200);
      const doc = await json(await call("GET", "/api/openapi.json"));
      assert.equal(doc["openapi"], "3.1.0");
      const paths = doc["paths"] as Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> }; "x-required-role"?: string }>>;
      for (const r of routes) assert.ok(paths[r.path.replace(/:([a-z]+)/g, "{$1}")]?.[r.method], `${r.method} ${r.path} is documented`);
      const deploy = paths["/api/environments/{env}/services/{service}/deploy"]?.["post"];
      assert.equal(deploy?.["x-required-role"], "deployer");
      assert.deepEqual(Object.keys(deploy?.requestBody?.content["application/json"]?.schema.properties ?? {}).sort(), ["digest", "version"]);
      assert.ok(paths["/api/events"]?.["get"]);
    });
    it("GET /api/session", async () => {
      assert.deepEqual(await json(await call("GET", "/api/session", { token: tokens["val"] as string })), { user: "val", role: "viewer", via: "token" });
    });
    it("GET /api/system", async () => {
      const body = await json(await call("GET", "/api/system", { token: tokens["val"] as string }));
      assert.equal(body["system"], "api");
      assert.deepEqual(
        (body["environments"] as { name: string; promotedFrom?: string }[]).map((e) => [e.name, e.promotedFrom]),
        [
          ["test", undefined],
          ["prod", "test"],
        ],
      );
      assert.deepEqual(body["services"], [{ name: "hello", owners: ["alice@example.com"], dependsOn: [], strategy: "rolling" }]);
    });
    it("GET /api/status", async () => {
      const res = await call("GET", "/api/status?env=prod", { token: tokens["val"] as string });
      assert.equal(res.status, 200);
      const [row, ...rest] = (await json(res))["services"] as Record<string, string>[];
      assert.deepEqual(rest, []);
      assert.deepEqual({ ...row, endpoint: undefined }, { environment: "prod", service: "hello", endpoint: undefined, version: "not deployed", digest: "", health: "not deployed" });
      assert.match(row?.["endpoint"] ?? "", /^127\.0\.0\.1:\d+$/);
      const [lag] = (await json(await call("GET", "/api/status?env=prod", { token: tokens["val"] as string })))["promotion"] as { environment: string; from: string; behind: { service: string; here: string }[]; blocked: string[] }[];
      assert.deepEqual({ ...lag, behind: lag?.behind.map((b) => [b.service, b.here]) }, { environment: "prod", from: "test", behind: [["hello", "none"]], blocked: [] }, "prod lags test by hello; no rules hold it");
    });
    it("GET the rollout", async () => {
      const body = await json(await call("GET", "/api/environments/test/services/hello/rollout", { token: tokens["val"] as string }));
      assert.equal((body["rollout"] as { state: { service: string } }).state.service, "hello");
      assert.equal((body["revisions"] as unknown[]).length, 1);
      assert.deepEqual(body["measurements"], {}, "no analysis has run");
      assert.equal(body["commandPending"], true, "the browser session's pause waits: no controller runs here");
    });
    for (const action of ["pause", "resume", "promote", "retry", "abort"]) {
      it(`POST rollout/${action} records the command for the controller and is audited with the caller`, async () => {
        const res = await call("POST", `/api/environments/test/services/hello/rollout/${action}`, { token: tokens["dan"] as string, body: action === "abort" ? { reason: "api test" } : {} });
        assert.equal(res.status, 202, await res.clone().text());
        assert.match((await json(res))["rolloutId"] as string, /^hello-/);
        const audit = new SqliteReleaseStore(store.db).listAudit(1)[0];
        assert.equal(audit?.actor, "dan");
        assert.equal(audit?.subject, `${action} hello in test`);
        assert.equal(audit?.action, "api POST ok");
      });
    }
    it("GET /api/releases", async () => {
      const body = await json(await call("GET", "/api/releases?service=hello", { token: tokens["val"] as string }));
      const hello = (body["services"] as { service: string; releases: { id: string; status: string }[] }[])[0];
      assert.deepEqual(hello?.releases.map((r) => [r.id, r.status]).sort(), [
        ["hello@1.1.0", "awaiting-approval"],
        ["hello@1.2.0", "awaiting-approval"],
        ["hello@1.3.0", "awaiting-approval"],
      ]);
      const row = (body["services"] as Record<string, unknown>[])[0] as { owners: string[]; releases: { id: string; runsIn: unknown; approval: unknown; blockers: { message: string; howToSatisfy: string }[] }[] };
      assert.deepEqual(row.owners, ["alice@example.com"]);
      const byDan = row.releases.find((r) => r.id === "hello@1.1.0");
      assert.deepEqual(byDan?.runsIn, [{ environment: "test", as: "rolling out" }], "the canary in flight in test runs its digest");
      assert.deepEqual(byDan?.approval, { approvers: "owners", eligible: ["alice@example.com"], counted: 0, needed: 1 });
      assert.ok(byDan?.blockers.some((b) => /approval/.test(b.message) && b.howToSatisfy.length > 0), JSON.stringify(byDan?.blockers));
      assert.deepEqual(row.releases.find((r) => r.id === "hello@1.2.0")?.approval, { approvers: "owners", eligible: [], counted: 0, needed: 1 }, "alice requested it: nobody else owns hello");
    });
    it("POST approve counts an owner's approval; an approver who is not an owner, and the requester, are refused", async () => {
      const notOwner = await call("POST", "/api/releases/hello@1.1.0/approve", { token: tokens["bob"] as string, body: {} });
      assert.equal(notOwner.status, 403);
      assert.equal(((await json(notOwner))["error"] as { code: string }).code, "APPROVAL_REFUSED");
      const requester = await call("POST", "/api/releases/hello@1.2.0/approve", { token: tokens["alice@example.com"] as string, body: {} });
      assert.equal(requester.status, 403);
      const requesterError = (await json(requester))["error"] as { code: string; message: string; hint: string };
      assert.equal(requesterError.code, "APPROVAL_REFUSED");
      assert.equal(requesterError.message, "alice@example.com requested this release and cannot approve it");
      const owner = await call("POST", "/api/releases/hello@1.1.0/approve", { token: tokens["alice@example.com"] as string, body: { comment: "looks good" } });
      assert.equal(owner.status, 200, await owner.clone().text());
      assert.equal(((await json(owner))["evaluation"] as { approvalsCounted: number }).approvalsCounted, 1);
      const approvals = new SqliteReleaseStore(store.db).approvals("hello@1.1.0");
      assert.deepEqual(approvals.map((a) => a.approver), ["alice@example.com"]);
    });
    it("POST reject: refused for an approver who is not an owner; an owner's rejection refuses the release, with the reason, once", async () => {
      const notOwner = await call("POST", "/api/releases/hello@1.3.0/reject", { token: tokens["bob"] as string, body: { reason: "no" } });
      assert.equal(notOwner.status, 403);
      const refusal = (await json(notOwner))["error"] as { code: string; message: string; hint: string };
      assert.equal(refusal.code, "APPROVAL_REFUSED");
      assert.match(refusal.message, /bob is not an owner of hello; only its owners may reject/);
      assert.match(refusal.hint, /alice@example\.com/);
      const unknown = await call("POST", "/api/releases/hello@9.9.9/reject", { token: tokens["alice@example.com"] as string, body: { reason: "no" } });
      assert.equal(unknown.status, 400);
      assert.match(((await json(unknown))["error"] as { hint: string }).hint, /waiting for approval: .*hello@1\.3\.0/);
      const owner = await call("POST", "/api/releases/hello@1.3.0/reject", { token: tokens["alice@example.com"] as string, body: { reason: "the p99 regressed in staging" } });
      assert.equal(owner.status, 200, await owner.clone().text());
      const release = (await json(owner))["release"] as { status: string; statusDetail: string };
      assert.equal(release.status, "refused");
      assert.match(release.statusDetail, /^rejected by alice@example\.com at .*: the p99 regressed in staging$/);
      const listed = await json(await call("GET", "/api/releases?service=hello", { token: tokens["val"] as string }));
      const row = (listed["services"] as { releases: { id: string; state: string; blockers?: unknown }[] }[])[0]?.releases.find((r) => r.id === "hello@1.3.0");
      assert.equal(row?.state, "refused");
      assert.equal(row?.blockers, undefined, "a refused release is no longer judged");
      const again = await call("POST", "/api/releases/hello@1.3.0/reject", { token: tokens["alice@example.com"] as string, body: { reason: "twice" } });
      assert.equal(again.status, 400);
      assert.match(((await json(again))["error"] as { message: string }).message, /hello@1\.3\.0 is refused; only a release awaiting approval can be rejected/);
      const approveRefused = await call("POST", "/api/releases/hello@1.3.0/approve", { token: tokens["alice@example.com"] as string, body: {} });
      assert.equal(approveRefused.status, 400, "a rejected release cannot be approved");
      const entries = new SqliteReleaseStore(store.db).listAudit(20);
      assert.ok(entries.some((e) => e.actor === "alice@example.com" && e.action === "rejected" && e.subject === "hello@1.3.0" && e.detail["reason"] === "the p99 regressed in staging"));
      assert.ok(entries.some((e) => e.actor === "bob" && e.action === "rejection-refused" && e.subject === "hello@1.3.0"));
    });
    it("GET /api/audit and /api/audit/verify: every mutating call is in the intact chain with its identity", async () => {
      const body = await json(await call("GET", "/api/audit?limit=200", { token: tokens["val"] as string }));
      const entries = body["entries"] as { actor: string; action: string; subject: string }[];
      assert.ok(entries.some((e) => e.actor === "alice@example.com" && e.action === "approved" && e.subject === "hello@1.1.0"));
      assert.ok(entries.some((e) => e.actor === "bob" && e.action === "api POST refused" && e.subject === "hello@1.1.0"));
      assert.ok(entries.some((e) => e.actor === "dan" && e.action === "api POST refused" && e.subject === "/api/environments/test/services/hello/rollout/pause"), "the CSRF refusal is audited");
      assert.ok(entries.some((e) => e.action === "login-failed" && e.actor === "mallory-target"));
      assert.ok(!JSON.stringify(entries).includes(PASSWORD) && !Object.values(tokens).some((t) => JSON.stringify(entries).includes(t)), "no secret in the log");
      const verify = await json(await call("GET", "/api/audit/verify", { token: tokens["val"] as string }));
      assert.equal(verify["ok"], true);
    });
    it("users and tokens over the API (admin): add a user, create a token shown once and stored hashed, list, revoke", async () => {
      const root = tokens["root"] as string;
      const listed = await json(await call("GET", "/api/users", { token: root }));
      const users = listed["users"] as { name: string; role: string; password: boolean }[];
      assert.deepEqual(users.find((u) => u.name === "val"), { ...users.find((u) => u.name === "val"), role: "viewer", password: true });
      assert.ok(!JSON.stringify(listed).includes("scrypt"), "no password hash leaves the server");
      const secret = "erin's long passphrase";
      const added = await call("POST", "/api/users", { token: root, body: { name: "erin@example.com", role: "deployer", password: secret } });
      assert.equal(added.status, 200, await added.clone().text());
      assert.deepEqual({ ...((await json(added))["user"] as object), createdAt: undefined }, { name: "erin@example.com", role: "deployer", password: true, createdAt: undefined });
      const duplicate = await call("POST", "/api/users", { token: root, body: { name: "erin@example.com", role: "viewer" } });
      assert.equal(duplicate.status, 400);
      assert.match(((await json(duplicate))["error"] as { message: string }).message, /already exists/);
      const tooHigh = await call("POST", "/api/tokens", { token: root, body: { user: "erin@example.com", role: "admin" } });
      assert.equal(tooHigh.status, 400);
      assert.match(((await json(tooHigh))["error"] as { message: string }).message, /erin@example\.com is a deployer: a token cannot hold the admin role/);
      const created = await json(await call("POST", "/api/tokens", { token: root, body: { user: "erin@example.com", role: "deployer", label: "laptop" } }));
      const token = created["token"] as string;
      assert.match(token, /^slw_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(await json(await call("GET", "/api/session", { token })), { user: "erin@example.com", role: "deployer", via: "token" });
      const listedTokens = await json(await call("GET", "/api/tokens", { token: root }));
      const record = (listedTokens["tokens"] as { id: string; user: string; label?: string }[]).find((t) => t.id === created["id"]);
      assert.deepEqual([record?.user, record?.label], ["erin@example.com", "laptop"]);
      assert.ok(!JSON.stringify(listedTokens).includes(token), "a token is shown once, at creation");
      const revoked = await call("POST", `/api/tokens/${created["id"] as string}/revoke`, { token: root, body: {} });
      assert.equal(revoked.status, 200, await revoked.clone().text());
      assert.equal((await call("GET", "/api/session", { token })).status, 401);
      const again = await call("POST", `/api/tokens/${created["id"] as string}/revoke`, { token: root, body: {} });
      assert.equal(again.status, 400);
      assert.match(((await json(again))["error"] as { hint: string }).hint, /token list/);
      const audit = new SqliteReleaseStore(store.db).listAudit(30);
      assert.ok(audit.some((e) => e.actor === "root" && e.action === "user-added" && e.subject === "erin@example.com"));
      assert.ok(audit.some((e) => e.actor === "root" && e.action === "token-created" && e.subject === created["id"]));
      assert.ok(audit.some((e) => e.actor === "root" && e.action === "token-revoked" && e.subject === created["id"]));
      assert.ok(audit.some((e) => e.actor === "root" && e.action === "api POST ok" && e.subject === "token for erin@example.com"));
      const stored = JSON.stringify(audit) + JSON.stringify(new SqliteReleaseStore(store.db).listAudit(1000));
      assert.ok(!stored.includes(token) && !stored.includes(secret), "neither the token nor the password is in the audit log");
    });
    it("GET /api/runs and /api/runs/:id", async () => {
      assert.deepEqual(await json(await call("GET", "/api/runs", { token: tokens["val"] as string })), { runs: [] });
      const missing = await call("GET", "/api/runs/20260101-000000-abcd", { token: tokens["val"] as string });
      assert.equal(missing.status, 400);
      assert.match(((await json(missing))["error"] as { hint: string }).hint, /slipway runs/);
    });
    it("GET /api/runs/:id with its live view (the DAG, each stage's state), and a stage's log followed while the stage writes it", async () => {
      const system = await loadSystem(root);
      const runId = "20261206-020000-c0de";
      new SqlitePipelineRunStore(store.db).startRun({ id: runId, startedAt: new Date().toISOString() });
      const journal = runJournal(system.stateDir);
      const at = new Date().toISOString();
      journal({ type: "run-started", runId, at, commit: undefined, services: ["hello"], concurrency: 1 });
      journal({ type: "service-queued", service: "hello", hash: "h", reasons: ["first build"] });
      journal({ type: "stage-started", service: "hello", stage: "build", at });
      const log = join(system.stateDir, "logs", "runs", runId, "hello", "build.log");
      mkdirSync(dirname(log), { recursive: true });
      writeFileSync(log, "step 1\n");
      const shown = await json(await call("GET", `/api/runs/${runId}`, { token: tokens["val"] as string }));
      const view = shown["view"] as { status: string; services: { service: string; dependsOn: string[]; state: string; stages: { stage: string; state: string }[] }[] };
      assert.equal(view.status, "running");
      assert.deepEqual(view.services.map((s) => [s.service, s.state, s.dependsOn, s.stages.map((st) => `${st.stage}:${st.state}`).join(" ")]), [["hello", "running", [], "build:running unit-test:pending image:pending container-test:pending push:pending"]]);

      const res = await call("GET", `/api/runs/${runId}/logs/hello/build`, { token: tokens["val"] as string });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      const stream = readStream(res);
      await stream.until("step 1");
      appendFileSync(log, "step 2 \u2713\n");
      await stream.until("step 2 \u2713");
      journal({ type: "stage-finished", service: "hello", stage: "build", status: "passed", durationMs: 5, logFile: log });
      assert.equal(await stream.rest(), "step 1\nstep 2 \u2713\n", "the stream ends once the stage is over, with all it wrote");

      const now = await call("GET", `/api/runs/${runId}/logs/hello/build?follow=false`, { token: tokens["val"] as string });
      assert.equal(await now.text(), "step 1\nstep 2 \u2713\n");
      journal({ type: "service-finished", service: "hello", outcome: "failed", durationMs: 9, error: "unit tests failed" });
      journal({ type: "run-finished", runId, at, durationMs: 10, outcome: "failed" });
      const none = await call("GET", `/api/runs/${runId}/logs/hello/push`, { token: tokens["val"] as string });
      assert.equal(none.status, 400);
      const error = (await json(none))["error"] as { message: string; hint: string };
      assert.equal(error.message, `run ${runId} has no push log for hello`);
      assert.match(error.hint, /hello was failed in that run; its stages: build passed, unit-test cancelled/);
    });
    it("GET /api/events streams the hub's events", async () => {
      const res = await call("GET", "/api/events", { token: tokens["val"] as string });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
      const { until, text, reader } = readStream(res);
      await until("event: hello");
      host.hub.emit({ type: "warning", message: "from the test" });
      await until("from the test");
      assert.match(text(), /event: warning\ndata: \{"type":"warning","message":"from the test"\}/);
      api.closeStreams();
      await reader.cancel();
    });
  });
});
