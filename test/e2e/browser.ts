// The browser of the e2e tests: Debian's chromium (scripts/setup-host.sh
// installs it; no browser download works on these machines) driven by
// playwright-core, headless, with nothing that reaches the network on its own.
import { existsSync } from "node:fs";
import { chromium, type Browser, type Page } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"];

/** Why browser tests cannot run here, or false. */
export function noBrowser(): string | false {
  return existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: run scripts/setup-host.sh (apt-get install chromium)`;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 60_000 });
}

/** Collects the page's console errors and uncaught exceptions, so a test can assert there were none. */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`uncaught: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
  });
  return errors;
}

/** Logs in through the login form, as a person would. */
export async function logIn(page: Page, baseUrl: string, user: string, password: string): Promise<void> {
  await page.goto(baseUrl + "/");
  await page.getByLabel("User").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.getByRole("button", { name: "Log out" }).waitFor();
}
