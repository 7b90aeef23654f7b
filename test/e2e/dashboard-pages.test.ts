// The dashboard's Releases, CI runs, Audit and Users pages end to end: a real
// `slipway serve` over a real state store (SQLite) and Debian's chromium
// driven by playwright-core. An owner approves a waiting release in the
// page while its requester — an owner too — is told their approval does not
// count and the server refuses it; a CI run's stages and a stage's log move
// live as the run's journal grows (written by the same journal writer
// `slipway ci` uses); the audit page shows the chain verified; an admin adds
// a user and creates a token (shown once) that works until revoked there,
// changes the user's role and removes them (their open page follows at
// once) but not the last admin, while a viewer is refused the page by the server.
// Nothing here needs Docker: a controller that cannot start is skipped by
// serve. Loopback ports 29500-29999 only (dash-pages' range).
import assert from "node:assert/strict";
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { loadSystem } from "../../src/config/load-system.js";
import { runJournal } from "../../src/pipeline/run-journal.js";
import { SqlitePipelineRunStore } from "../../src/store/sqlite/pipeline-run-store.js";
import { SqliteReleaseStore } from "../../src/store/sqlite/release-store.js";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { storePath } from "../../src/store/store-path.js";
import { launchBrowser, logIn, noBrowser, pageErrors } from "./browser.js";
import { addUser, pollUntil, startServe, type ServeProcess } from "./serve-process.js";

const API_PORT = 29520;
const BASE = `http://127.0.0.1:${API_PORT}`;
const PASSWORD = "correct horse battery staple";
const DIGEST = `sha256:${"b".repeat(64)}`;
const RUN = "20261206-030000-e2e0";
const root = mkdtempSync(join(tmpdir(), "slipway-pages-e2e-"));
let serve: ServeProcess | undefined;
let browser: Browser | undefined;

const until = pollUntil(() => serve?.log() ?? "", 100, 30_000);

describe("dashboard pages: releases, CI runs, audit, users (chromium against slipway serve)", { skip: noBrowser() }, () => {
  const journal = { write: (() => undefined) as ReturnType<typeof runJournal>, log: "" };

  before(async () => {
    writeFileSync(
      join(root, "slipway.yaml"),
      "system: e2e-pages\nregistries:\n  dev: { url: 127.0.0.1:29501 }\n  prod: { url: 127.0.0.1:29502 }\nenvironments:\n  - { name: test, registry: dev, portOffset: 27700 }\n  - { name: prod, registry: prod, portOffset: 27800 }\nservices: [services/*]\n",
    );
    // Endpoints 29600/29601 (test) and 29700/29701 (prod); routers 29699 and 29799, should a controller start one.
    for (const [name, deps, port] of [
      ["lib", "[]", 1901],
      ["hello", "[lib]", 1900],
    ] as const) {
      mkdirSync(join(root, "services", name), { recursive: true });
      writeFileSync(join(root, "services", name, "slipway.service.yaml"), `name: ${name}\nowners: [alice@example.com, carol@example.com]\nbuild: { image: debian:bookworm-slim, dependsOn: ${deps} }\nport: 8080\nendpoint: { port: ${port} }\nreadiness: { tcp: {} }\n`);
      writeFileSync(join(root, "services", name, "Dockerfile"), "FROM debian:bookworm-slim\n");
    }
    for (const [user, role] of [
      ["alice@example.com", "approver"],
      ["carol@example.com", "approver"],
      ["val", "viewer"],
      ["ada", "admin"],
    ] as const) {
      await addUser(root, user, role, PASSWORD);
    }
    const system = await loadSystem(root);
    const store = SqliteStore.open(storePath(system));
    try {
      // A minor of hello waiting for one owner's approval, requested by carol (an owner herself).
      new SqliteReleaseStore(store.db).saveRelease({ id: "hello@1.1.0", service: "hello", version: "1.1.0", digest: DIGEST, changeType: "minor", sourceRef: `127.0.0.1:29501/e2e-pages/hello@${DIGEST}`, commit: "0123456789abcdef", runId: RUN, requestedBy: "carol@example.com", requestedAt: new Date().toISOString(), status: "awaiting-approval" });
      new SqlitePipelineRunStore(store.db).startRun({ id: RUN, startedAt: new Date().toISOString(), commit: "0123456789abcdef" });
    } finally {
      store.close();
    }
    // A CI run in flight: lib builds; hello waits for it.
    journal.write = runJournal(system.stateDir);
    journal.log = join(system.stateDir, "logs", "runs", RUN, "lib", "build.log");
    const at = new Date().toISOString();
    journal.write({ type: "run-started", runId: RUN, at, commit: "0123456789abcdef", services: ["hello", "lib"], concurrency: 1 });
    journal.write({ type: "service-queued", service: "lib", hash: "h1", reasons: ["first build"] });
    journal.write({ type: "service-queued", service: "hello", hash: "h2", reasons: ["first build"] });
    journal.write({ type: "stage-started", service: "lib", stage: "build", at });
    mkdirSync(dirname(journal.log), { recursive: true });
    writeFileSync(journal.log, "compiling lib\n");

    serve = await startServe(root, API_PORT);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  async function pageAs(user: string): Promise<{ page: Page; errors: string[] }> {
    const context = await (browser as Browser).newContext();
    const page = await context.newPage();
    const errors = pageErrors(page);
    await logIn(page, BASE, user, PASSWORD);
    // The logged-out GET /api/session before the form is expected; what the pages do after must be clean.
    errors.length = 0;
    return { page, errors };
  }

  it("the requester's own approval is refused; an owner approves the waiting release in the page, confirmed first", async () => {
    const carol = await pageAs("carol@example.com");
    await carol.page.getByRole("link", { name: "Releases" }).click();
    const waiting = carol.page.getByRole("article", { name: /hello@1\.1\.0/ });
    await waiting.waitFor();
    assert.match(await waiting.innerText(), /Requested by carol@example\.com/);
    assert.match(await waiting.innerText(), /You requested this release, so your approval does not count: another owner \(alice@example\.com\) must approve it/);
    assert.equal(await waiting.getByRole("button", { name: "Approve" }).count(), 0, "no Approve for the requester");
    assert.equal(await waiting.getByRole("button", { name: "Reject" }).count(), 1, "an owner may still withdraw it");
    // The server refuses it too, whatever the page shows: carol's own browser session, with its CSRF token.
    const refused = await carol.page.evaluate(async () => {
      const session = (await (await fetch("/api/session")).json()) as { csrfToken: string };
      const res = await fetch("/api/releases/hello@1.1.0/approve", { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": session.csrfToken }, body: "{}" });
      return { status: res.status, body: (await res.json()) as { error: { code: string; message: string } } };
    });
    assert.deepEqual(refused, { status: 403, body: { error: { ...refused.body.error, code: "APPROVAL_REFUSED", message: "carol@example.com requested this release and cannot approve it" } } });

    const alice = await pageAs("alice@example.com");
    await alice.page.goto(`${BASE}/releases`);
    const card = alice.page.getByRole("article", { name: /hello@1\.1\.0/ });
    const blockers = card.getByRole("list", { name: "What holds hello@1.1.0 back" });
    assert.match(await blockers.innerText(), /approval/i);
    assert.match(await blockers.innerText(), /To go ahead:/);
    await card.getByRole("button", { name: "Approve" }).click();
    const dialog = alice.page.getByRole("dialog", { name: "Approve hello@1.1.0?" });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.equal(await alice.page.getByRole("dialog").count(), 0);
    await card.getByRole("button", { name: "Approve" }).click();
    await dialog.getByLabel("Comment (optional)").fill("looks good in test");
    await dialog.getByRole("button", { name: "Approve" }).click();
    await card.getByRole("status").filter({ hasText: "Approved hello@1.1.0." }).waitFor();
    // Live: the count went up, and Approve is gone for the one who approved.
    await until("the page to show the approval", async () => ((await card.innerText()).includes("approvals 1/1 (alice@example.com)") ? true : undefined));
    assert.equal(await card.getByRole("button", { name: "Approve" }).count(), 0);
    // Carol's open page follows the event stream.
    await until("carol's page to show alice's approval", async () => ((await waiting.innerText()).includes("alice@example.com)") ? true : undefined));
    assert.deepEqual([...carol.errors.filter((e) => !/status of 403/.test(e)), ...alice.errors], [], "only the refused approval failed");
    assert.equal(carol.errors.length, 1);
  });

  it("a viewer sees the waiting release and its blockers, without Approve or Reject", async () => {
    const { page, errors } = await pageAs("val");
    await page.goto(`${BASE}/releases`);
    const card = page.getByRole("article", { name: /hello@1\.1\.0/ });
    await card.waitFor();
    assert.equal(await card.getByRole("button").count(), 0);
    const table = page.getByRole("table", { name: "hello" });
    assert.match(await table.innerText(), /1\.1\.0\s+bbbbbbbbbbbb\s+0123456\s+20261206-030000-e2e0/);
    assert.deepEqual(errors, []);
  });

  it("the CI runs page shows a run's DAG and each stage's state live, and streams a stage's log", async () => {
    const { page, errors } = await pageAs("val");
    await page.getByRole("link", { name: "CI runs" }).click();
    const lib = page.getByRole("listitem", { name: /^lib: running/ });
    await lib.waitFor();
    const hello = page.getByRole("listitem", { name: /^hello: queued/ });
    assert.match(await hello.innerText(), /after lib/);
    // The DAG: lib's column comes before hello's.
    const columns = await page.locator(".dag-column").allInnerTexts();
    assert.equal(columns.length, 2);
    assert.match(columns[0] ?? "", /^lib/);
    assert.match(columns[1] ?? "", /^hello/);

    await lib.getByRole("button", { name: /^build/ }).click();
    const log = page.getByRole("region", { name: "build log of lib" });
    await log.getByText("compiling lib").waitFor();
    assert.match(await log.innerText(), /live/);
    appendFileSync(journal.log, "linking lib\n");
    await log.getByText("linking lib").waitFor();

    // The run moves on: lib's build passes (the log completes), its unit tests start.
    journal.write({ type: "stage-finished", service: "lib", stage: "build", status: "passed", durationMs: 2100, logFile: journal.log });
    journal.write({ type: "stage-started", service: "lib", stage: "unit-test", at: new Date().toISOString() });
    await until("the build stage to show passed", async () => ((await lib.getByRole("button", { name: /^build/ }).innerText()).includes("passed") ? true : undefined));
    await until("the log to be complete", async () => ((await log.innerText()).includes("complete") ? true : undefined));
    assert.match(await lib.getByRole("button", { name: /^unit-test/ }).innerText(), /running/);
    // A failure ends the service: hello is blocked, the run failed.
    journal.write({ type: "stage-finished", service: "lib", stage: "unit-test", status: "failed", durationMs: 900, logFile: "x", detail: "exit 1" });
    journal.write({ type: "service-finished", service: "lib", outcome: "failed", durationMs: 3000, error: "unit tests failed" });
    journal.write({ type: "service-finished", service: "hello", outcome: "blocked", durationMs: 0, blockedBy: "lib" });
    journal.write({ type: "run-finished", runId: RUN, at: new Date().toISOString(), durationMs: 3100, outcome: "failed" });
    await page.getByRole("listitem", { name: /^hello: blocked/ }).waitFor();
    assert.match(await page.getByRole("listitem", { name: /^lib: failed/ }).innerText(), /unit tests failed/);
    assert.match(await page.getByRole("heading", { name: /^Run / }).innerText(), /failed/);
    assert.deepEqual(errors, []);
  });

  it("the audit page shows the log with the chain verified, including the approval and the refusal", async () => {
    const { page, errors } = await pageAs("val");
    await page.getByRole("link", { name: "Audit" }).click();
    const verdict = page.getByRole("status").filter({ hasText: "Hash chain verified" });
    await verdict.waitFor();
    assert.match(await verdict.innerText(), /all \d+ entries intact/);
    const rows = await page.getByRole("table").innerText();
    assert.match(rows, /alice@example\.com\s+approved\s+hello@1\.1\.0/);
    assert.match(rows, /carol@example\.com\s+approval-refused\s+hello@1\.1\.0/);
    assert.deepEqual(errors, []);
  });

  it("an admin adds a user, creates a token shown once that works until revoked, changes the user's role and removes them in the page; a viewer is refused by the server", async () => {
    const { page, errors } = await pageAs("ada");
    await page.getByRole("link", { name: "Users" }).click();
    const users = page.getByRole("table", { name: "Users" });
    await users.getByRole("rowheader", { name: "ada" }).waitFor();
    assert.match(await users.innerText(), /alice@example\.com\s+approver\s+password or API token/);
    assert.match(await users.innerText(), /val\s+viewer/);

    // A bad field is the server's validation error, with the field.
    const addUser = page.getByRole("form", { name: "Add a user" });
    await addUser.getByLabel("Name").fill("dora@example.com");
    await addUser.getByLabel("Role").selectOption("deployer");
    await addUser.getByLabel(/^Password/).fill("short");
    await addUser.getByRole("button", { name: "Add user" }).click();
    assert.match(await addUser.getByRole("alert").innerText(), /password.*12 characters/);
    await addUser.getByLabel(/^Password/).fill(PASSWORD);
    await addUser.getByRole("button", { name: "Add user" }).click();
    await addUser.getByRole("status").filter({ hasText: "Added dora@example.com as deployer." }).waitFor();
    await until("dora in the users table", async () => ((await users.innerText()).match(/dora@example\.com\s+deployer/) ? true : undefined));

    // A token: shown once, it works; the table never shows it.
    const createToken = page.getByRole("form", { name: "Create an API token" });
    await createToken.getByLabel("User", { exact: true }).selectOption("dora@example.com");
    await createToken.getByLabel(/^Role/).selectOption("deployer");
    await createToken.getByLabel(/^Label/).fill("e2e pipeline");
    await createToken.getByRole("button", { name: "Create token" }).click();
    const shown = page.getByRole("status", { name: /^New token .* for dora@example\.com \(deployer\)$/ });
    const token = await shown.getByLabel("Token").inputValue();
    assert.match(token, /^slw_\S{20,}$/);
    const id = /^New token (\S+)/.exec((await shown.getByRole("heading").innerText()).trim())?.[1] ?? "";
    const asToken = async (): Promise<{ status: number; body: unknown }> => {
      const res = await fetch(`${BASE}/api/session`, { headers: { authorization: `Bearer ${token}` } });
      return { status: res.status, body: await res.json() };
    };
    assert.deepEqual(await asToken(), { status: 200, body: { user: "dora@example.com", role: "deployer", via: "token" } });
    const tokens = page.getByRole("table", { name: "API tokens" });
    await until("the token in the tokens table", async () => ((await tokens.innerText()).includes(id) ? true : undefined));
    assert.match(await tokens.innerText(), new RegExp(`${id}\\s+dora@example\\.com\\s+deployer\\s+e2e pipeline`));
    await shown.getByRole("button", { name: "I have copied it" }).click();
    assert.equal((await page.content()).includes(token), false, "the token is gone from the page once dismissed");
    await page.reload();
    await tokens.getByRole("rowheader", { name: id }).waitFor();
    assert.equal((await page.content()).includes(token), false, "nothing shows the token again");

    // Revoke, confirmed first: it stops working at once.
    await tokens.getByRole("button", { name: `Revoke ${id}` }).click();
    const dialog = page.getByRole("dialog", { name: `Revoke ${id}?` });
    await dialog.getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("status").filter({ hasText: `Revoked ${id}` }).waitFor();
    assert.equal((await asToken()).status, 401);
    await until("the table to show it revoked", async () => ((await tokens.getByRole("row", { name: new RegExp(id) }).innerText()).includes("revoked") ? true : undefined));

    // A role change, confirmed first: dora's open page follows it at once.
    const dora = await pageAs("dora@example.com");
    await dora.page.locator(".role").filter({ hasText: "deployer" }).waitFor();
    await users.getByRole("button", { name: "Change the role of dora@example.com" }).click();
    const roleDialog = page.getByRole("dialog", { name: "Change the role of dora@example.com?" });
    await roleDialog.getByLabel(/^New role/).selectOption("viewer");
    assert.match(await roleDialog.innerText(), /dora@example\.com's sessions act as viewer from their next request\./);
    await roleDialog.getByRole("button", { name: "Change role" }).click();
    await page.getByRole("status").filter({ hasText: "dora@example.com is now a viewer (was deployer)." }).waitFor();
    await until("dora a viewer in the users table", async () => ((await users.innerText()).match(/dora@example\.com\s+viewer/) ? true : undefined));
    await dora.page.locator(".role").filter({ hasText: "viewer" }).waitFor();

    // Removal, confirmed first (Cancel changes nothing): dora's open page is sent to log in.
    await users.getByRole("button", { name: "Remove dora@example.com" }).click();
    const removeDialog = page.getByRole("dialog", { name: "Remove dora@example.com?" });
    assert.match(await removeDialog.innerText(), /They have no live API tokens; their dashboard sessions end at once\./);
    await removeDialog.getByRole("button", { name: "Cancel" }).click();
    assert.equal(await page.getByRole("dialog").count(), 0);
    await users.getByRole("button", { name: "Remove dora@example.com" }).click();
    await removeDialog.getByRole("button", { name: "Remove" }).click();
    await page.getByRole("status").filter({ hasText: "Removed dora@example.com: 0 API tokens revoked, 1 session ended." }).waitFor();
    await until("dora gone from the users table", async () => ((await users.innerText()).includes("dora@example.com") ? undefined : true));
    await dora.page.getByText("Your session ended; log in again.").waitFor();
    const doraSession = await dora.page.evaluate(async () => (await fetch("/api/session")).status);
    assert.equal(doraSession, 401);

    // The last admin: the server's refusal, with how to fix it, in the page.
    await users.getByRole("button", { name: "Remove ada" }).click();
    await page.getByRole("dialog", { name: "Remove ada?" }).getByRole("button", { name: "Remove" }).click();
    assert.match(await page.getByRole("alert").innerText(), /ada is the only admin and cannot be removed.*make another user an admin first/s);
    await users.getByRole("rowheader", { name: "ada" }).waitFor();
    assert.deepEqual(errors.filter((e) => !/status of (400|409)/.test(e)), [], "only the refused short password and the last admin's removal failed");

    // A viewer: no Users in the navigation; by its URL, the page shows the server's refusal, and a write is refused too.
    const viewer = await pageAs("val");
    assert.equal(await viewer.page.getByRole("link", { name: "Users" }).count(), 0);
    await viewer.page.goto(`${BASE}/users`);
    assert.match(await viewer.page.getByRole("alert").innerText(), /val is a viewer; GET \/api\/users needs the admin role or higher/);
    const refused = await viewer.page.evaluate(async () => {
      const session = (await (await fetch("/api/session")).json()) as { csrfToken: string };
      const res = await fetch("/api/users", { method: "POST", headers: { "content-type": "application/json", "x-csrf-token": session.csrfToken }, body: JSON.stringify({ name: "mallory", role: "admin" }) });
      return res.status;
    });
    assert.equal(refused, 403);
    assert.ok(viewer.errors.length > 0 && viewer.errors.every((e) => /status of 403/.test(e)), viewer.errors.join("\n"));
  });
});
