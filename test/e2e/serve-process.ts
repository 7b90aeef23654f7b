// A real `slipway serve` as a child process, for the server's and the
// dashboard's e2e tests and bench/dashboard.ts: start it and wait until it
// listens, keep its output for failure messages, stop it with SIGTERM (its
// graceful shutdown); add users through the CLI, log in over the API, call
// it with a token, read a service's rollout, and poll until something holds
// (a timeout names what and shows the server's output).
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { repoRoot } from "./helpers.js";

export interface ServeProcess {
  child: ChildProcess;
  /** http://127.0.0.1:<port> */
  base: string;
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** SIGTERM, then its exit code (null when a signal ended it); at once when it has exited already. */
  stop(): Promise<number | null>;
}

/** Starts `slipway serve` for the system at `root` on the loopback `port`; resolves once it prints how to log in. */
export async function startServe(root: string, port: number, timeoutMs = 30_000): Promise<ServeProcess> {
  let output = "";
  const child = spawn(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, "serve", "--port", String(port)], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (d: Buffer) => (output += d.toString()));
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    return exited;
  };
  const deadline = Date.now() + timeoutMs;
  while (!output.includes("log in:")) {
    if (child.exitCode !== null) throw new Error(`slipway serve exited ${child.exitCode} before it listened:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`slipway serve did not listen on ${port} within ${timeoutMs / 1000} s:\n${output}`);
    }
    await sleep(100);
  }
  return { child, base: `http://127.0.0.1:${port}`, log: () => output, stop };
}

/** `slipway users add <name> --role <role>`, with a password on stdin when given (else the user works with tokens only). */
export function addUser(root: string, name: string, role: string, password?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [join(repoRoot, "bin", "slipway.js"), "--config", root, "users", "add", name, "--role", role, ...(password === undefined ? [] : ["--password-stdin"])];
    const child = spawn(process.execPath, args, { stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`slipway users add ${name} exited ${code}: ${err}`))));
    child.stdin.end(password === undefined ? "" : password + "\n");
  });
}

/** Logs in over the API: the session cookie ("name=value") and the CSRF token its writes send back. */
export async function apiLogin(base: string, user: string, password: string): Promise<{ cookie: string; csrfToken: string }> {
  const res = await fetch(`${base}/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ user, password }) });
  const body = (await res.json()) as { csrfToken?: string };
  if (res.status !== 200 || body.csrfToken === undefined) throw new Error(`login as ${user} answered ${res.status}: ${JSON.stringify(body)}`);
  return { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "", csrfToken: body.csrfToken };
}

/** A JSON API call with a bearer token: the status and the parsed body. */
export async function apiCall(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A rollout as GET /api/environments/<env>/services/<service>/rollout answers it (the fields the tests read). */
export interface ServedRollout {
  id: string;
  finished: boolean;
  outcome?: string;
  state: { phase: string; userPaused: boolean; pause?: { kind: string } };
}

/** The latest rollout of `service` in `env`; fails unless the server answers 200. */
export async function readRollout(base: string, token: string, env: string, service = "hello"): Promise<ServedRollout> {
  const r = await apiCall(base, token, "GET", `/api/environments/${env}/services/${service}/rollout`);
  if (r.status !== 200) throw new Error(`GET the rollout of ${service} in ${env} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body["rollout"] as ServedRollout;
}

/** Polls a probe until it returns a value. */
export type Until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs?: number) => Promise<T>;

/**
 * An `until` that polls `probe` every `everyMs` until it returns a value other
 * than undefined and resolves with it; after `timeoutMs` (default
 * `defaultTimeoutMs`) it fails naming `what`, with `log()` (the serve process's
 * output) so the failure shows what the server did.
 */
export function pollUntil(log: () => string, everyMs: number, defaultTimeoutMs: number): Until {
  return async <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = defaultTimeoutMs): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\nserve log:\n${log()}`);
      await sleep(everyMs);
    }
  };
}
