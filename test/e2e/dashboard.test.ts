// The web dashboard end to end: the real `slipway serve` (its controllers,
// real Docker, each environment's real HAProxy, a tiny Python service)
// and Debian's chromium driven by playwright-core. A person logs in and
// sees the overview; a canary started from the CLI moves live in the page.
// Loopback ports 29200-29499 only (dash-ui's range).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { launchBrowser, logIn, noBrowser, pageErrors } from "./browser.js";
import { assertSucceeded as ok, runCli, writeScratchService, type CliResult } from "./helpers.js";
import { sample as sampleOn, startLoad } from "./keepalive-load.js";
import { buildAndPushPython, pythonServer, quickHelloFields, removeScratchSystem, systemYaml } from "./python-service.js";
import { addUser, apiCall, pollUntil, readRollout, startServe, type ServeProcess, type ServedRollout } from "./serve-process.js";

const DEV_REGISTRY = 29490;
const PROD_REGISTRY = 29491;
/** endpoint 1910: dev → 29210 (router 29299), test → 29310 (router 29399). */
const DEV_OFFSET = 27300;
const TEST_OFFSET = 27400;
const API_PORT = 29220;
const BASE = `http://127.0.0.1:${API_PORT}`;
const SYSTEM = "e2e-dashboard";
const DEV_ENDPOINT = 29210;
const PASSWORD = "correct horse battery staple";
/** Where the README's screenshots go when set (SLIPWAY_SCREENSHOTS=docs/img); unset, none are taken. */
const SCREENSHOTS = process.env["SLIPWAY_SCREENSHOTS"];
const engine = new DockerEngine();
const root = mkdtempSync(join(tmpdir(), "slipway-dashboard-e2e-"));
const images: Record<string, string> = {};
let deployer = "";
let serve: ServeProcess | undefined;
const serveLog = (): string => serve?.log() ?? "";
let browser: Browser | undefined;

const serverPy = pythonServer('VERSION = os.environ["APP_VERSION"]', `if self.path == "/healthz": status, body = 200, b"ok"
else: status, body = 200, VERSION.encode()`);

const cli = (...args: string[]): Promise<CliResult> => runCli(["--config", root, ...args]);

const api = (method: string, path: string, body?: unknown): ReturnType<typeof apiCall> => apiCall(BASE, deployer, method, path, body);
const rollout = (env: string): Promise<ServedRollout> => readRollout(BASE, deployer, env);
const until = pollUntil(serveLog, 250, 90_000);

async function deployed(env: string, version: string): Promise<void> {
  const res = await api("POST", `/api/environments/${env}/services/hello/deploy`, { digest: images[version] });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await until(`${version} healthy in ${env}`, async () => {
    const r = await rollout(env);
    return r.id === res.body["rolloutId"] && r.outcome === "healthy" ? true : undefined;
  });
}

/** A logged-in page; console errors other than the first, logged-out GET /api/session are failures. */
async function openPage(user: string): Promise<{ page: Page; errors: () => string[] }> {
  const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 800 } });
  const errors = pageErrors(page);
  await logIn(page, BASE, user, PASSWORD);
  await page.locator("table.overview").waitFor();
  return { page, errors: () => errors.filter((e) => !/status of 401/.test(e)) };
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS !== undefined) await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
}

/** The latest values a chart reports in its label, e.g. "Requests, latest: v1 40, sha256:… 10". */
async function chartLatest(page: Page, title: string): Promise<string> {
  return (await page.getByRole("img", { name: new RegExp(`^${title}, latest:`) }).getAttribute("aria-label")) ?? "";
}

/** "<n>. <label>" of the step the timeline marks current. */
async function currentStep(page: Page): Promise<string> {
  const labels = await page.locator(".timeline li").evaluateAll((items) => items.map((li) => `${li.getAttribute("aria-current") === "step" ? "*" : ""}${li.querySelector(".step-label")?.textContent ?? ""}`));
  const index = labels.findIndex((l) => l.startsWith("*"));
  return `${index + 1}. ${labels[index]?.slice(1) ?? "none"}`;
}

const cell = (page: Page, env: string): ReturnType<Page["locator"]> => page.locator(`td[data-env="${env}"][data-service="hello"]`);

const skip = noBrowser() || (haproxyBinary() === undefined ? "haproxy is not installed" : false);

describe("the web dashboard", { skip }, () => {
  before(async () => {
    writeFileSync(join(root, "slipway.yaml"), systemYaml(SYSTEM, { dev: DEV_REGISTRY, prod: PROD_REGISTRY }, [`{ name: dev, registry: dev, portOffset: ${DEV_OFFSET} }`, `{ name: test, registry: dev, portOffset: ${TEST_OFFSET} }`]));
    writeScratchService(root, { owners: "[ada@example.com]", ...quickHelloFields, strategy: "{ canary: { steps: [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }, { pause: {} }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }" });
    await ok(await cli("up"), "slipway up");
    images["v1"] = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:v1`, serverPy, { APP_VERSION: "v1" });
    images["v2"] = await buildAndPushPython(engine, root, `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:v2`, serverPy, { APP_VERSION: "v2" });
    for (const [user, role] of [["ada", "admin"], ["val", "viewer"]] as const) await addUser(root, user, role, PASSWORD);
    await ok(await cli("users", "add", "dan", "--role", "deployer"), "users add dan");
    deployer = (await ok(await cli("token", "create", "--user", "dan", "--role", "deployer"), "token create")).stdout.trim();
    serve = await startServe(root, API_PORT);
    await deployed("dev", "v1");
    await deployed("test", "v1");
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await serve?.stop();
    await cli("down");
    await removeScratchSystem(engine, SYSTEM, Object.keys(images).map((version) => `127.0.0.1:${DEV_REGISTRY}/${SYSTEM}/hello:${version}`), root);
  });

  it("a wrong password is refused on the login page; the right one opens the overview: environments in promotion order, each cell's version, digest, readiness, split and state", async () => {
    const page = await (browser as Browser).newPage();
    await page.goto(BASE + "/");
    await page.getByLabel("User").fill("ada");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: "wrong user name or password" }).waitFor();
    await page.close();

    const { page: overview, errors } = await openPage("ada");
    const headers = await overview.locator("table.overview thead th").allTextContents();
    assert.deepEqual(headers.map((h) => h.replace("→", "").trim()), ["Service", "dev", "test"]);
    const digest = (images["v1"] as string).replace("sha256:", "").slice(0, 12);
    for (const env of ["dev", "test"]) {
      const text = await cell(overview, env).innerText();
      assert.match(text, new RegExp(digest), `${env}: ${text}`);
      assert.match(text, /1\/1 ready/, text);
      assert.match(text, /healthy/, text);
      assert.equal(await cell(overview, env).getByRole("img", { name: /traffic: .*100%/ }).count(), 1, text);
    }
    assert.deepEqual(errors(), []);
    await overview.close();
  });

  it("a canary started from the CLI shows in the open overview without a reload: the dev cell's split moves, and test is marked behind dev", async () => {
    const { page, errors } = await openPage("ada");
    assert.equal(await cell(page, "test").locator(".lag").count(), 0);
    const deploy = await ok(await cli("deploy", "hello", "--env", "dev", "--digest", images["v2"] as string), "slipway deploy v2 to dev");
    assert.match(deploy.stdout + deploy.stderr, /pause|paused/i);
    await cell(page, "dev").getByRole("img", { name: /traffic: .*80%.*20%/ }).waitFor({ timeout: 30_000 }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\nthe cell shows: ${await cell(page, "dev").innerText()}\npage errors: ${errors().join("\n")}\nserve log:\n${serveLog()}`);
    });
    await cell(page, "test").locator(".lag").filter({ hasText: "behind dev" }).waitFor({ timeout: 30_000 });
    assert.match(await cell(page, "dev").innerText(), /paused/);
    await screenshot(page, "overview.png");
    assert.deepEqual(errors(), []);
    await page.close();
  });

  it("the rollout view shows the steps with the current one, the weights and per-revision charts, and follows a promote from the CLI live", async () => {
    const load = startLoad(DEV_ENDPOINT, 40);
    try {
      const { page, errors } = await openPage("ada");
      await cell(page, "dev").getByRole("link").click();
      await page.getByRole("heading", { name: "hello in dev" }).waitFor();
      assert.equal(new URL(page.url()).pathname, "/rollouts/dev/hello");
      assert.equal(await currentStep(page), "2. Pause until promoted");
      await page.getByTestId("weights").getByRole("img", { name: /80%.*20%/ }).waitFor({ timeout: 15_000 });
      // Both revisions take requests: the request-rate chart's latest values are above zero for both.
      const bothServing = /latest: \S+ [1-9][\d.]*, \S+ [1-9][\d.]*/;
      const requests = await until("both revisions in the request chart", async () => {
        const latest = await chartLatest(page, "Requests");
        return bothServing.test(latest) ? latest : undefined;
      }, 30_000);
      // Rates, not counts: together at most what the load sends (40/s), with room for a window's jitter.
      const total = [...requests.matchAll(/ ([\d.]+)(?:,|$)/g)].reduce((n, m) => n + Number(m[1]), 0);
      assert.ok(total < 80, `the request chart reads ${requests}: more than the load sends`);
      await ok(await cli("rollout", "promote", "hello", "--env", "dev"), "slipway rollout promote");
      await page.getByTestId("weights").getByRole("img", { name: /40%.*60%/ }).waitFor({ timeout: 15_000 });
      assert.equal(await currentStep(page), "4. Pause until promoted");
      await until("the weight chart at 60", async () => (/latest: \S+ 40, \S+ 60/.test(await chartLatest(page, "Weight")) ? true : undefined), 15_000);
      await screenshot(page, "rollout.png");
      assert.deepEqual(errors(), []);
      await page.close();
    } finally {
      const result = await load.stop();
      assert.deepEqual(result.failures.slice(0, 5), [], "no request failed while the canary moved");
    }
  });

  it("a viewer sees the rollout but no action buttons", async () => {
    const { page, errors } = await openPage("val");
    await page.goto(`${BASE}/rollouts/dev/hello`);
    await page.getByRole("heading", { name: "Steps" }).waitFor();
    assert.equal(await page.getByRole("group", { name: "Rollout actions" }).count(), 0);
    assert.equal(await page.getByRole("button", { name: /Promote|Abort|Roll back|Pause/ }).count(), 0);
    assert.deepEqual(errors(), []);
    await page.close();
  });

  it("abort from the page, confirmed in a dialog, sends the router back to 100% stable", async () => {
    const { page, errors } = await openPage("ada");
    await page.goto(`${BASE}/rollouts/dev/hello`);
    await page.getByRole("button", { name: "Abort" }).click();
    const dialog = page.getByRole("dialog", { name: "Abort hello in dev?" });
    await dialog.waitFor();
    // Cancel first: nothing is sent.
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.equal((await rollout("dev")).finished, false);
    await page.getByRole("button", { name: "Abort" }).click();
    await dialog.getByRole("button", { name: "Abort" }).click();
    await page.getByTestId("weights").getByRole("img", { name: /traffic: \S+ 100%$/ }).waitFor({ timeout: 30_000 });
    await until("the rollout aborted", async () => ((await rollout("dev")).outcome === "aborted" ? true : undefined));
    assert.deepEqual(await sampleOn(DEV_ENDPOINT, 20), { v1: 20 });
    await page.getByRole("button", { name: "Retry" }).waitFor();
    assert.deepEqual(errors(), []);
    await page.close();
  });
});
