// Integration tests: the whole system as deployed in an environment, tested
// from outside. An HTTP check goes to one service's router endpoint; a command
// runs in a test image on the host network with every service's endpoint as
// <SERVICE>_URL and the system's folder, read-only, as its working directory
// (so a test script lives beside slipway.yaml). Tests run one after another;
// each result says what was seen.
//
// A test container carries the process's pid like CI's containers, so Ctrl-C
// removes it and a kill -9 leaves it to the next CI run's orphan sweep.
import { appendFileSync } from "node:fs";
import type { IntegrationTest } from "../domain/config-schema.js";
import type { DockerEngine } from "../docker/engine.js";
import { dependencyUrlVariable } from "../domain/placement.js";
import { demultiplexLogs } from "../runtime/docker/log-frames.js";
import { waitForExit } from "./container-exit.js";
import { checkHttp } from "./http-expectation.js";

export interface IntegrationTestResult {
  name: string;
  passed: boolean;
  detail: string;
  durationMs: number;
}

export interface IntegrationRun {
  id: string;
  system: string;
  environment: string;
  status: "passed" | "failed";
  /** Service → the digest it ran while the tests ran. */
  deployed: Record<string, string>;
  results: IntegrationTestResult[];
  startedAt: string;
  finishedAt: string;
}

export interface IntegrationRunStore {
  save(run: IntegrationRun): void;
  list(system: string, environment: string | undefined, limit: number): IntegrationRun[];
  passedWith(system: string, service: string, digest: string): IntegrationRun | undefined;
}

export interface IntegrationTestOptions {
  engine: DockerEngine;
  system: string;
  /** The folder holding slipway.yaml: mounted read-only at /system for command tests. */
  systemRoot: string;
  environment: string;
  /** Service → its router endpoint, "http://127.0.0.1:4877". */
  endpoints: Readonly<Record<string, string>>;
  tests: readonly IntegrationTest[];
  /** Appended to: every test's output and result. */
  logFile: string;
  signal: AbortSignal;
  onResult?: (result: IntegrationTestResult) => void;
}

const SYSTEM_MOUNT = "/system";

export async function runIntegrationTests(options: IntegrationTestOptions): Promise<IntegrationTestResult[]> {
  const results: IntegrationTestResult[] = [];
  for (const test of options.tests) {
    options.signal.throwIfAborted();
    const result = await runOne(options, test);
    appendFileSync(options.logFile, `test ${test.name}: ${result.passed ? "passed" : "FAILED"}: ${result.detail} (${result.durationMs} ms)\n`);
    options.onResult?.(result);
    results.push(result);
  }
  return results;
}

/** `<SERVICE>_URL` for every service, plus where the tests run. */
export function integrationTestEnv(endpoints: Readonly<Record<string, string>>, environment: string): string[] {
  return [...Object.entries(endpoints).map(([service, url]) => `${dependencyUrlVariable(service)}=${url}`), `SLIPWAY_ENVIRONMENT=${environment}`];
}

async function runOne(options: IntegrationTestOptions, test: IntegrationTest): Promise<IntegrationTestResult> {
  const started = performance.now();
  const timeoutMs = test.timeoutSeconds * 1000;
  const details: string[] = [];
  let passed = true;
  if (test.http !== undefined) {
    const base = options.endpoints[test.http.service];
    const check = base === undefined ? { passed: false, detail: `service ${test.http.service} is not deployed in ${options.environment}` } : await checkHttp(test.http, base, timeoutMs, options.signal);
    passed &&= check.passed;
    details.push(`${test.http.service}: ${check.detail}`);
  }
  if (test.command !== undefined) {
    const check = await runCommand(options, test, test.command, timeoutMs);
    passed &&= check.passed;
    details.push(check.detail);
  }
  return { name: test.name, passed, detail: details.join("; "), durationMs: Math.round(performance.now() - started) };
}

async function runCommand(options: IntegrationTestOptions, test: IntegrationTest, command: NonNullable<IntegrationTest["command"]>, timeoutMs: number): Promise<{ passed: boolean; detail: string }> {
  const docker = options.engine.api;
  const what = `${command.run.join(" ")} in ${command.image}`;
  let container;
  try {
    container = await docker.createContainer({
      Image: command.image,
      Cmd: [...command.run],
      Env: integrationTestEnv(options.endpoints, options.environment),
      WorkingDir: SYSTEM_MOUNT,
      Labels: { "org.slipway.system": options.system, "org.slipway.purpose": "integration-test", "org.slipway.pid": String(process.pid), "org.slipway.test": test.name },
      HostConfig: { NetworkMode: "host", Binds: [`${options.systemRoot}:${SYSTEM_MOUNT}:ro`] },
    });
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return { passed: false, detail: `${what}: the test image is not in the engine; build or pull ${command.image} first` };
    throw options.engine.translate(err);
  }
  try {
    appendFileSync(options.logFile, `test ${test.name}: running ${what}\n`);
    await container.start();
    const exitCode = await waitForExit(() => container.inspect(), timeoutMs, options.signal);
    const output = demultiplexLogs(await container.logs({ stdout: true, stderr: true, follow: false })).toString("utf8");
    appendFileSync(options.logFile, output.endsWith("\n") || output === "" ? output : `${output}\n`);
    if (exitCode === undefined) return { passed: false, detail: `${what}: did not finish within ${test.timeoutSeconds}s` };
    const last = output.trimEnd().split("\n").at(-1) ?? "";
    if (exitCode === 0) return { passed: true, detail: `${what}: exit 0${last === "" ? "" : ` (${shorten(last)})`}` };
    return { passed: false, detail: `${what}: exit ${exitCode}${last === "" ? "" : `; its last output: ${shorten(last)}`}` };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}


function shorten(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 199)}…`;
}
