// Shared by the e2e tests: scratch systems on their own loopback ports and a
// way to run the real CLI as a user would.
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const cliPath = join(repoRoot, "bin", "slipway.js");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real CLI as a user runs it; killed after `timeoutMs` (2 min unless a test needs longer, e.g. a first CI build that downloads its dependencies). */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    execFile(process.execPath, [cliPath, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Fails with the command's output unless it exited 0; the result, to read on. */
export function assertSucceeded(result: CliResult, what: string): CliResult {
  assert.equal(result.code, 0, `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  return result;
}

/**
 * A one-service system in a fresh temp folder whose registries use the given
 * loopback ports; its router's control port is devPort + 10, not the default
 * 1999 the quickstart's example holds while it runs.
 */
export function scratchSystem(devPort: number, prodPort: number): string {
  const root = mkdtempSync(join(tmpdir(), "slipway-e2e-"));
  writeFileSync(
    join(root, "slipway.yaml"),
    `system: e2e
registries:
  dev: { url: 127.0.0.1:${devPort} }
  prod: { url: 127.0.0.1:${prodPort} }
environments:
  - { name: test, registry: dev, routerPort: ${devPort + 10} }
services: [services/*]
`,
  );
  mkdirSync(join(root, "services", "hello"), { recursive: true });
  writeFileSync(
    join(root, "services", "hello", "slipway.service.yaml"),
    `name: hello
owners: [e2e]
build: { image: debian:bookworm-slim }
port: 8080
readiness: { tcp: {} }
`,
  );
  // validate requires the Dockerfile a service is built from.
  writeFileSync(join(root, "services", "hello", "Dockerfile"), "FROM scratch\n");
  return root;
}

/**
 * Writes `services/<name>/slipway.service.yaml` of a scratch system under
 * `root` — the fields every e2e service shares (name hello, owners, build
 * image, port 8080) overlaid with `fields` — and the Dockerfile `validate`
 * requires. A string value is YAML as written (a flow mapping such as
 * `{ rolling: { maxSurge: 1 } }`); any other value is written as JSON, which
 * is YAML too. `extra` is YAML appended as it is (a block such as `analysis:`).
 */
export function writeScratchService(root: string, fields: Record<string, unknown>, extra = ""): void {
  const service: Record<string, unknown> = { name: "hello", owners: ["e2e"], build: { image: "debian:bookworm-slim" }, port: 8080, ...fields };
  const dir = join(root, "services", String(service["name"]));
  mkdirSync(dir, { recursive: true });
  const lines = Object.entries(service).map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`);
  writeFileSync(join(dir, "slipway.service.yaml"), `${lines.join("\n")}\n${extra}`);
  writeFileSync(join(dir, "Dockerfile"), "FROM scratch\n");
}

/** Polls `check` every `everyMs` until it holds; fails the test after `ms`. Resolves with the time it took. */
export async function until(what: string, check: () => Promise<boolean> | boolean, ms: number, everyMs = 200): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    assert.ok(Date.now() - started < ms, `timed out after ${ms} ms waiting until ${what}`);
    await sleep(everyMs);
  }
  return Date.now() - started;
}

export interface ControllerProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output: () => string;
}

/** Stops a controller started by startControllerProcess (SIGTERM, waiting for its exit); returns everything it printed. */
export async function stopControllerProcess(c: ControllerProcess): Promise<string> {
  if (c.child.exitCode === null && c.child.signalCode === null) {
    const exited = new Promise((resolve) => c.child.once("exit", resolve));
    c.child.kill("SIGTERM");
    await exited;
  }
  return c.output();
}

/** `slipway controller --env <env>` for the system at `root`, once it says it is up. */
export async function startControllerProcess(root: string, env: string, processEnv: NodeJS.ProcessEnv = {}): Promise<ControllerProcess> {
  const child = spawn(process.execPath, [cliPath, "--config", root, "controller", "--env", env], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1", ...processEnv } });
  let text = "";
  child.stdout?.on("data", (d: Buffer) => (text += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (text += d.toString()));
  await until("the controller is up", () => text.includes("keeping settled services at their replica counts"), 20_000);
  return { child, output: () => text };
}
