// The container-test stage: runs the freshly built image as a container and
// tests it from outside, as an environment will run it. This catches what
// unit tests cannot: a bad entry point, a file missing from the image, a
// wrong port, a service that never becomes ready.
//
// Everything it creates carries the run's labels and is removed at the end by
// those labels, also when the run is cancelled mid-way, so nothing is left
// behind even if an engine answer was lost.
import type { Socket } from "node:net";
import { Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import type Docker from "dockerode";
import type { ContainerTest, ReadinessProbe, ServiceConfig } from "../domain/config-schema.js";
import { nanoCpus, parseMemoryQuantity } from "../domain/quantity.js";
import { SlipwayError } from "../domain/errors.js";
import { dnsLabelName } from "../domain/naming.js";
import { maskSecrets, resolveServiceEnv } from "../domain/service-env.js";
import type { DockerEngine } from "../docker/engine.js";
import { describeProbe, probedPort, probeFor } from "../runtime/probes.js";
import { type Liveness, type ProbeAttempt, type ReadinessOutcome, waitUntilReady } from "../runtime/readiness.js";
import { waitForExit } from "./container-exit.js";
import { type Check, checkHttp } from "./http-expectation.js";
import { StageLog } from "./stage-log.js";

export interface ContainerTestOptions {
  engine: DockerEngine;
  /** Image ID or reference; it must be in the engine already (nothing is pulled). */
  image: string;
  service: ServiceConfig;
  system: string;
  runId: string;
  /** Appended to: the container's output, every probe, every test result (secrets masked). */
  logFile: string;
  /** Aborting stops the stage, removes what it created and rejects with the signal's reason. */
  signal: AbortSignal;
  /** Where `{ fromEnv }` values come from. */
  hostEnv: Readonly<Record<string, string | undefined>>;
  /** Default: max(30 s, initialDelay + period × (failureThreshold + successThreshold) + timeout + 5 s). */
  readinessDeadlineMs?: number;
}

export interface ContainerTestResult {
  name: string;
  passed: boolean;
  detail: string;
  durationMs: number;
}

export interface ContainerTestReport {
  passed: boolean;
  readyAfterMs?: number;
  results: ContainerTestResult[];
  /** Why the stage failed, in one sentence. */
  failure?: string;
  /** The log's last lines when anything failed; empty otherwise. */
  logTail: string[];
}

const LOG_TAIL_LINES = 20;
const OUTPUT_DRAIN_MS = 2000;

/** What every step needs; built once per stage. */
interface Scope {
  engine: DockerEngine;
  docker: Docker;
  service: ServiceConfig;
  image: string;
  signal: AbortSignal;
  log: StageLog;
  /** Writes to the log until it is closed; container output may still trickle in after that. */
  write(text: string): void;
  /** Settle when each attached container's output has ended. */
  outputs: Promise<void>[];
  secrets: readonly string[];
  labels: Record<string, string>;
  names: { target: string; network: string; testContainer(index: number): string };
}

/** The service's container, started and reachable. */
interface Target {
  container: Docker.Container;
  publishedPort(containerPort: number): number;
  liveness(): Promise<Liveness>;
  /** Settles when the container's output stream has ended (it exited, or was removed). */
  outputEnded: Promise<void>;
}

export async function runContainerTests(options: ContainerTestOptions): Promise<ContainerTestReport> {
  const { service, system, runId, signal, engine } = options;
  const { env, secretValues } = resolveServiceEnv(service.env, options.hostEnv, `service "${service.name}"`);
  const log = new StageLog(options.logFile, secretValues);
  let logOpen = true;
  const scope: Scope = {
    engine,
    docker: engine.api,
    service,
    image: options.image,
    signal,
    log,
    write: (text) => {
      if (logOpen) log.write(text);
    },
    outputs: [],
    secrets: secretValues,
    labels: { "org.slipway.system": system, "org.slipway.run": runId, "org.slipway.service": service.name, "org.slipway.purpose": "container-test", "org.slipway.pid": String(process.pid) },
    names: {
      target: dnsLabelName(system, service.name, "ct", runId),
      network: dnsLabelName(system, service.name, "ct", runId, "net"),
      testContainer: (index) => dnsLabelName(system, service.name, "ct", runId, `t${index + 1}`),
    },
  };

  try {
    let report: ContainerTestReport;
    try {
      report = await testImage(scope, env, options.readinessDeadlineMs ?? defaultReadinessDeadlineMs(service.readiness));
    } catch (err) {
      scope.write(signal.aborted ? "cancelled; removing what this stage created\n" : `stopped by an error: ${err instanceof Error ? err.message : String(err)}\n`);
      await removeCreated(scope).catch((cleanupError: unknown) => scope.write(`could not remove everything: ${String(cleanupError)}\n`));
      if (signal.aborted) throw signal.reason;
      throw err instanceof SlipwayError ? err : engine.translate(err);
    }
    await removeCreated(scope);
    return report;
  } finally {
    await settleWithin(Promise.all(scope.outputs), OUTPUT_DRAIN_MS);
    logOpen = false;
    await log.close();
  }
}

async function testImage(scope: Scope, env: Record<string, string>, readinessDeadlineMs: number): Promise<ContainerTestReport> {
  const { service, signal } = scope;
  signal.throwIfAborted();
  scope.write(`container-test of ${service.name}: image ${scope.image}, ${service.containerTests.length} test(s)\n`);

  const network = service.containerTests.some((t) => t.command !== undefined) ? await createNetwork(scope) : undefined;
  signal.throwIfAborted();
  const target = await startTarget(scope, env, network);
  signal.throwIfAborted();

  const readiness = await waitForReadiness(scope, target, readinessDeadlineMs);
  if (!readiness.ready) {
    if (readiness.endedBy === "exit") await settleWithin(target.outputEnded, OUTPUT_DRAIN_MS);
    return finish(scope, { passed: false, results: [], failure: notReadyReason(scope, readiness, readinessDeadlineMs) });
  }
  const readyAfterMs = Math.round(readiness.afterMs);
  scope.write(`ready after ${formatSeconds(readyAfterMs)}\n`);

  const results: ContainerTestResult[] = [];
  for (const [index, test] of service.containerTests.entries()) {
    results.push(await runTest(scope, test, index, target, network));
  }

  const failed = results.filter((r) => !r.passed);
  const afterTests = await target.liveness();
  if (!afterTests.alive) {
    await settleWithin(target.outputEnded, OUTPUT_DRAIN_MS);
    return finish(scope, { passed: false, readyAfterMs, results, failure: `the container ${afterTests.detail ?? "stopped"} during the tests` });
  }
  if (failed.length > 0) {
    const failure = `${failed.length} of ${results.length} container test${results.length === 1 ? "" : "s"} failed: ${failed.map((r) => `${r.name} (${r.detail})`).join("; ")}`;
    return finish(scope, { passed: false, readyAfterMs, results, failure });
  }
  return finish(scope, { passed: true, readyAfterMs, results });
}

/** Writes the outcome and, when it failed, takes the log's tail. */
function finish(scope: Scope, outcome: Omit<ContainerTestReport, "logTail">): ContainerTestReport {
  const failure = outcome.failure === undefined ? undefined : maskSecrets(outcome.failure, scope.secrets);
  scope.write(outcome.passed ? `container-test passed\n` : `container-test failed: ${failure ?? "unknown"}\n`);
  return { ...outcome, ...(failure === undefined ? {} : { failure }), logTail: outcome.passed ? [] : scope.log.tail(LOG_TAIL_LINES) };
}

// ------------------------------------------------------------ the container

async function createNetwork(scope: Scope): Promise<string> {
  // A user-defined bridge gives containers DNS by name, so command tests reach the service as http://<name>:<port>.
  await call(scope, scope.docker.createNetwork({ Name: scope.names.network, Driver: "bridge", CheckDuplicate: true, Labels: scope.labels }));
  scope.write(`created network ${scope.names.network}\n`);
  return scope.names.network;
}

async function startTarget(scope: Scope, env: Record<string, string>, network: string | undefined): Promise<Target> {
  const { service } = scope;
  const ports = [...new Set([service.port, probedPort(service.readiness, service.port)].filter((p): p is number => p !== undefined))];
  const container = await createTargetContainer(
    scope,
    {
      name: scope.names.target,
      Image: scope.image,
      Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
      Labels: scope.labels,
      ExposedPorts: Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}])),
      HostConfig: {
        // Loopback only, on a port the engine picks: parallel runs never collide and nothing is exposed beyond this host.
        PortBindings: Object.fromEntries(ports.map((p) => [`${p}/tcp`, [{ HostIp: "127.0.0.1", HostPort: "" }]])),
        ...(network === undefined ? {} : { NetworkMode: network }),
        ...resourceLimits(service.resources),
      },
    },
  );
  const output = await attachOutput(scope, container, service.name);
  await call(scope, container.start());
  const info = await call(scope, container.inspect());
  const published = new Map<number, number>();
  for (const port of ports) {
    const hostPort = info.NetworkSettings.Ports?.[`${port}/tcp`]?.[0]?.HostPort;
    if (hostPort !== undefined) published.set(port, Number(hostPort));
  }
  scope.write(`started container ${scope.names.target}; ${[...published].map(([c, h]) => `port ${c} → 127.0.0.1:${h}`).join(", ") || "no ports published yet"}\n`);

  return {
    container,
    publishedPort(containerPort) {
      const port = published.get(containerPort);
      if (port === undefined) throw new SlipwayError("INTERNAL", `port ${containerPort} of ${scope.names.target} was not published`);
      return port;
    },
    liveness: () => livenessOf(scope, container),
    outputEnded: output.ended,
  };
}

async function createTargetContainer(scope: Scope, spec: Docker.ContainerCreateOptions): Promise<Docker.Container> {
  try {
    return await scope.docker.createContainer(spec);
  } catch (err) {
    if (statusOf(err) !== 404) throw scope.engine.translate(err);
    throw new SlipwayError("COMPONENT_FAILED", `image ${scope.image} is not in Docker Engine, so it cannot be tested`, {
      cause: err,
      hint: "the image stage builds it just before this stage; check that it passed and that nothing removed the image in between",
    });
  }
}

async function livenessOf(scope: Scope, container: Docker.Container): Promise<Liveness> {
  try {
    const { State } = await container.inspect();
    if (State.Running) return { alive: true };
    const oom = State.OOMKilled ? ` after running out of memory (resources.memory is ${scope.service.resources.memory ?? "unset"})` : "";
    return { alive: false, detail: `exited with code ${State.ExitCode}${oom}${State.Error ? ` (${State.Error})` : ""}` };
  } catch (err) {
    if (statusOf(err) === 404) return { alive: false, detail: "was removed" };
    throw scope.engine.translate(err);
  }
}

/**
 * Streams a container's stdout and stderr, demultiplexed, into the log line
 * by line (so masking sees whole lines), keeping the last few lines.
 */
async function attachOutput(scope: Scope, container: Docker.Container, label: string): Promise<{ ended: Promise<void>; lastLines: string[] }> {
  const stream = await call(scope, container.attach({ stream: true, stdout: true, stderr: true }));
  // The engine client gives up on a socket after 30 s of silence; a quiet container is not an error.
  (stream as { socket?: Socket }).socket?.setTimeout(0);
  const lastLines: string[] = [];
  const sink = (kind: string) =>
    lineSink((line) => {
      scope.write(`[${label} ${kind}] ${line}\n`);
      lastLines.push(maskSecrets(line, scope.secrets));
      if (lastLines.length > 5) lastLines.shift();
    });
  const stdout = sink("stdout");
  const stderr = sink("stderr");
  scope.docker.modem.demuxStream(stream, stdout.stream, stderr.stream);
  const ended = new Promise<void>((resolve) => {
    const done = (): void => {
      stdout.flush();
      stderr.flush();
      resolve();
    };
    stream.on("end", done);
    stream.on("close", done);
    stream.on("error", done);
  });
  scope.outputs.push(ended);
  return { ended, lastLines };
}

function lineSink(onLine: (line: string) => void): { stream: Writable; flush(): void } {
  let partial = "";
  // Keeps a character split across two chunks whole.
  const decoder = new StringDecoder("utf8");
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (partial + decoder.write(chunk)).split(/\r?\n/);
      partial = lines.pop() ?? "";
      lines.forEach(onLine);
      done();
    },
  });
  const flush = (): void => {
    const rest = partial + decoder.end();
    if (rest !== "") onLine(rest);
    partial = "";
  };
  return { stream, flush };
}

// ------------------------------------------------------------ readiness

async function waitForReadiness(scope: Scope, target: Target, deadlineMs: number): Promise<ReadinessOutcome> {
  const spec = scope.service.readiness;
  const early = await target.liveness();
  // Exited before its ports could be read: there is nothing to probe.
  if (!early.alive) return { ready: false, afterMs: 0, attempts: 0, endedBy: "exit", exitDetail: early.detail ?? "exited" };

  const probe = probeFor(spec, {
    docker: scope.docker,
    containerId: target.container.id,
    defaultPort: scope.service.port,
    publishedPort: (port) => target.publishedPort(port),
  });
  scope.write(
    `readiness: ${describeProbe(spec, scope.service.port)} after ${spec.initialDelaySeconds}s, every ${spec.periodSeconds}s, ` +
      `timeout ${spec.timeoutSeconds}s, success/failure thresholds ${spec.successThreshold}/${spec.failureThreshold}; deadline ${formatSeconds(deadlineMs)}\n`,
  );
  return waitUntilReady(probe, spec, {
    deadlineMs,
    signal: scope.signal,
    isAlive: () => target.liveness(),
    onAttempt: (attempt) => scope.write(describeAttempt(attempt, spec, deadlineMs)),
  });
}

function describeAttempt(a: ProbeAttempt, spec: ReadinessProbe, deadlineMs: number): string {
  const what = `probe ${a.attempt} at ${formatSeconds(a.atMs)}: ${a.ok ? "passed" : "failed"}${a.detail === undefined ? "" : ` (${a.detail})`}`;
  const note =
    !a.ok && a.consecutiveFailures === spec.failureThreshold
      ? `; failureThreshold ${spec.failureThreshold} reached: not ready, probing goes on until the deadline (${formatSeconds(deadlineMs)})`
      : "";
  return `${what}${note}\n`;
}

function notReadyReason(scope: Scope, outcome: ReadinessOutcome, deadlineMs: number): string {
  if (outcome.endedBy === "exit") {
    return `the container ${outcome.exitDetail ?? "exited"} before it became ready; check the image's entry point (CMD/ENTRYPOINT) and its output in the log`;
  }
  const probe = describeProbe(scope.service.readiness, scope.service.port);
  const last = outcome.lastError === undefined ? "no probe ran (initialDelaySeconds reaches past the deadline)" : `the last said: ${outcome.lastError}`;
  return `not ready within ${formatSeconds(deadlineMs)}: ${outcome.attempts} probe${outcome.attempts === 1 ? "" : "s"} (${probe}) failed; ${last}`;
}

function defaultReadinessDeadlineMs(spec: ReadinessProbe): number {
  const seconds = spec.initialDelaySeconds + spec.periodSeconds * (spec.failureThreshold + spec.successThreshold) + spec.timeoutSeconds + 5;
  return Math.max(30_000, seconds * 1000);
}

// ------------------------------------------------------------ the tests

async function runTest(scope: Scope, test: ContainerTest, index: number, target: Target, network: string | undefined): Promise<ContainerTestResult> {
  const started = performance.now();
  const timeoutMs = test.timeoutSeconds * 1000;
  const checks: Check[] = [];
  if (test.http !== undefined) {
    checks.push(await checkHttp(test.http, `http://127.0.0.1:${target.publishedPort(scope.service.port)}`, timeoutMs, scope.signal));
  }
  if (test.command !== undefined && network !== undefined) {
    checks.push(await checkCommand(scope, test, test.command, index, network, timeoutMs));
  }
  const passed = checks.every((c) => c.passed);
  const detail = maskSecrets(checks.map((c) => c.detail).join("; "), scope.secrets);
  const durationMs = Math.round(performance.now() - started);
  scope.write(`test ${test.name}: ${passed ? "passed" : "FAILED"}: ${detail} (${durationMs} ms)\n`);
  return { name: test.name, passed, detail, durationMs };
}

/** Runs the test image next to the service with SLIPWAY_TARGET_URL pointing at it; exit code 0 passes. */
async function checkCommand(scope: Scope, test: ContainerTest, command: NonNullable<ContainerTest["command"]>, index: number, network: string, timeoutMs: number): Promise<Check> {
  const what = `${shorten(command.run.join(" "), 60)} in ${command.image}`;
  const targetUrl = `http://${scope.names.target}:${scope.service.port}`;
  let container: Docker.Container;
  try {
    container = await scope.docker.createContainer({
      name: scope.names.testContainer(index),
      Image: command.image,
      Cmd: [...command.run],
      Env: [`SLIPWAY_TARGET_URL=${targetUrl}`],
      Labels: scope.labels,
      HostConfig: { NetworkMode: network },
    });
  } catch (err) {
    if (statusOf(err) === 404) return { passed: false, detail: `${what}: the test image is not in the engine; build or pull ${command.image} first` };
    throw scope.engine.translate(err);
  }
  try {
    const output = await attachOutput(scope, container, `test ${test.name}`);
    scope.write(`test ${test.name}: running ${what} with SLIPWAY_TARGET_URL=${targetUrl}\n`);
    await call(scope, container.start());
    const exitCode = await waitForExit(() => call(scope, container.inspect()), timeoutMs, scope.signal);
    if (exitCode === undefined) return { passed: false, detail: `${what}: did not finish within ${formatSeconds(timeoutMs)}` };
    await settleWithin(output.ended, OUTPUT_DRAIN_MS);
    if (exitCode === 0) return { passed: true, detail: `${what} exited with code 0` };
    const last = output.lastLines.at(-1);
    return { passed: false, detail: `${what} exited with code ${exitCode}${last === undefined ? "" : `; its last output: ${shorten(last, 200)}`}` };
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}


// ------------------------------------------------------------ cleanup

/** Removes every container and network of this stage, found by label. */
async function removeCreated(scope: Scope): Promise<void> {
  const filters = { label: Object.entries(scope.labels).map(([k, v]) => `${k}=${v}`) };
  const containers = await call(scope, scope.docker.listContainers({ all: true, filters }));
  await call(scope, Promise.all(containers.map((c) => ignoreMissing(scope.docker.getContainer(c.Id).remove({ force: true, v: true })))));
  const networks = await call(scope, scope.docker.listNetworks({ filters }));
  for (const n of networks) await call(scope, ignoreMissing(scope.docker.getNetwork(n.Id).remove()));
  if (containers.length + networks.length > 0) {
    scope.write(`removed ${containers.length} container${containers.length === 1 ? "" : "s"} and ${networks.length} network${networks.length === 1 ? "" : "s"}\n`);
  }
}

// ------------------------------------------------------------ helpers

function resourceLimits(resources: ServiceConfig["resources"]): { Memory?: number; NanoCpus?: number } {
  return {
    ...(resources.memory === undefined ? {} : { Memory: parseMemoryQuantity(resources.memory) }),
    ...(resources.cpus === undefined ? {} : { NanoCpus: nanoCpus(resources.cpus) }),
  };
}

async function call<T>(scope: Scope, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (err) {
    throw scope.engine.translate(err);
  }
}

async function ignoreMissing<T>(promise: Promise<T>): Promise<T | undefined> {
  try {
    return await promise;
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** Waits for the promise, but no longer than ms. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}
