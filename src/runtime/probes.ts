// The three readiness probe kinds, run against a Docker container the way the
// kubelet runs them against a pod: http and tcp through the port published on
// loopback, exec through the Engine API. A probe never throws: whatever goes
// wrong is a failed probe whose detail says what was seen.
import { request } from "node:http";
import { connect } from "node:net";
import { Writable } from "node:stream";
import type Docker from "dockerode";
import type { ReadinessProbe } from "../domain/config-schema.js";
import { formatDuration, type ProbeOnce, type ProbeResult } from "./readiness.js";

/** A running container as the probes reach it. */
export interface ProbeTarget {
  docker: Docker;
  containerId: string;
  /** The port the service listens on, for probes that name none. */
  defaultPort: number;
  /** The loopback port a container port is published on. */
  publishedPort(containerPort: number): number;
}

/** The container port an http or tcp probe needs published; undefined for exec. */
export function probedPort(spec: ReadinessProbe, defaultPort: number): number | undefined {
  if (spec.http !== undefined) return spec.http.port ?? defaultPort;
  if (spec.tcp !== undefined) return spec.tcp.port ?? defaultPort;
  return undefined;
}

/** "http GET :8080/healthz", for logs. */
export function describeProbe(spec: ReadinessProbe, defaultPort: number): string {
  if (spec.http !== undefined) return `http GET :${spec.http.port ?? defaultPort}${spec.http.path}`;
  if (spec.tcp !== undefined) return `tcp connect :${spec.tcp.port ?? defaultPort}`;
  return `exec ${JSON.stringify(spec.exec?.command ?? [])}`;
}

export function probeFor(spec: ReadinessProbe, target: ProbeTarget): ProbeOnce {
  if (spec.http !== undefined) {
    return httpGetProbe(`http://127.0.0.1:${target.publishedPort(spec.http.port ?? target.defaultPort)}${spec.http.path}`);
  }
  if (spec.tcp !== undefined) return tcpConnectProbe("127.0.0.1", target.publishedPort(spec.tcp.port ?? target.defaultPort));
  return execProbe(target.docker, target.containerId, spec.exec?.command ?? []);
}

/** GET the URL; 200–399 is ready, as in Kubernetes. Redirects are not followed: a 3xx is already a success. */
export function httpGetProbe(url: string): ProbeOnce {
  return (requestedMs) =>
    new Promise<ProbeResult>((resolve) => {
      const timeoutMs = wholeMs(requestedMs);
      const req = request(
        url,
        // A fresh connection per probe, as the kubelet does, so a probe never rides on a socket a dead server left behind.
        { method: "GET", agent: false, headers: { "user-agent": "slipway-probe", accept: "*/*", connection: "close" }, signal: AbortSignal.timeout(timeoutMs) },
        (res) => {
          const status = res.statusCode ?? 0;
          res.destroy();
          resolve({ ok: status >= 200 && status < 400, detail: `HTTP ${status}` });
        },
      );
      req.on("error", (err) => resolve({ ok: false, detail: describeNetworkError(err, timeoutMs) }));
      req.end();
    });
}

/**
 * Connect to the port. Docker's port proxy accepts on a published port even
 * when nothing listens inside the container, and closes the connection a
 * moment later; so a connection counts once it has stayed open for
 * `settleMs` (or the server has spoken).
 */
export function tcpConnectProbe(host: string, port: number, settleMs = 100): ProbeOnce {
  return (requestedMs) =>
    new Promise<ProbeResult>((resolve) => {
      const timeoutMs = wholeMs(requestedMs);
      const socket = connect({ host, port });
      const timers: NodeJS.Timeout[] = [];
      const finish = (result: ProbeResult): void => {
        timers.forEach(clearTimeout);
        socket.destroy();
        resolve(result);
      };
      timers.push(setTimeout(() => finish({ ok: false, detail: `no connection within ${formatDuration(timeoutMs)}` }), timeoutMs));
      socket.once("connect", () => {
        timers.push(setTimeout(() => finish({ ok: true, detail: "connected" }), Math.min(settleMs, timeoutMs / 2)));
        socket.once("data", () => finish({ ok: true, detail: "connected" }));
        socket.once("close", () => finish({ ok: false, detail: "connection closed at once: nothing listens on the port in the container" }));
      });
      socket.once("error", (err) => finish({ ok: false, detail: describeNetworkError(err, timeoutMs) }));
    });
}

/** Run the command in the container; exit code 0 is ready. */
export function execProbe(docker: Docker, containerId: string, command: readonly string[]): ProbeOnce {
  return async (requestedMs) => {
    const timeoutMs = wholeMs(requestedMs);
    let stream: NodeJS.ReadableStream | undefined;
    try {
      const exec = await docker.getContainer(containerId).exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true });
      stream = await exec.start({ hijack: true, stdin: false });
      const output = await collectOutput(docker, stream, timeoutMs);
      if (output === undefined) return { ok: false, detail: `${JSON.stringify(command)} did not exit within ${formatDuration(timeoutMs)}` };
      const ExitCode = await exitCodeOf(exec);
      if (ExitCode === 0) return { ok: true };
      const lastLine = output.trimEnd().split("\n").pop()?.slice(0, 200);
      return { ok: false, detail: `${JSON.stringify(command)} exited with code ${ExitCode ?? "unknown"}${lastLine ? `: ${lastLine}` : ""}` };
    } catch (err) {
      return { ok: false, detail: `exec failed: ${err instanceof Error ? err.message : String(err)}` };
    } finally {
      (stream as { destroy?: () => void } | undefined)?.destroy?.();
    }
  };
}

/** The engine may record the exit code a moment after the output stream ends. */
async function exitCodeOf(exec: Docker.Exec): Promise<number | null> {
  for (let tries = 0; ; tries++) {
    const { ExitCode, Running } = await exec.inspect();
    if (!Running || tries >= 20) return ExitCode;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Stdout and stderr of an exec until it ends, or undefined if it outlives timeoutMs. */
function collectOutput(docker: Docker, stream: NodeJS.ReadableStream, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    docker.modem.demuxStream(stream, sink, sink);
    const timer = setTimeout(() => resolve(undefined), timeoutMs);
    const end = (): void => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    };
    stream.once("end", end);
    stream.once("close", end);
    stream.once("error", end);
  });
}

/** AbortSignal.timeout wants whole milliseconds; a timeout clamped to a deadline may not be one. */
function wholeMs(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

function describeNetworkError(err: Error, timeoutMs: number): string {
  const code = (err as { code?: string }).code;
  if (err.name === "AbortError" || err.name === "TimeoutError") return `no answer within ${formatDuration(timeoutMs)}`;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET") return "connection closed without an answer: nothing listens on the port in the container yet";
  return err.message;
}
