// Entry point: configuration from the environment, listen, shut down on SIGTERM.

import { createApp, SERVICE_NAME } from "./app.js";
import { closeGracefully } from "./shutdown.js";

function logLine(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), service: SERVICE_NAME, ...fields })}\n`);
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  }
  return value;
}

const port = envNumber("PORT", 8080);
// Slipway sets HOST=127.0.0.1 on its host network; unset, listen on every interface (a container's own).
const host = process.env["HOST"] || undefined;
const shutdownTimeoutMs = envNumber("SHUTDOWN_TIMEOUT_SECONDS", 20) * 1000;
const workflowUrl = process.env["WORKFLOW_URL"] || "http://workflow:8080";
if (!process.env["WORKFLOW_URL"]) {
  logLine({ level: "warn", msg: `WORKFLOW_URL is not set; using ${workflowUrl}` });
}

const server = createApp({
  workflowUrl,
  version: process.env["SLIPWAY_VERSION"] || "0.0.0-dev",
  revision: process.env["SLIPWAY_REVISION"] || "unknown",
  upstreamTimeoutMs: envNumber("WORKFLOW_TIMEOUT_SECONDS", 10) * 1000,
});

// Node closes idle keep-alive connections after 5 s by default. Behind a router
// that pools connections (HAProxy), a request sent just as the server closes
// one is lost, and a POST cannot be retried: so the server keeps idle
// connections longer than the router does, and the router closes them first.
server.keepAliveTimeout = 75_000;
server.headersTimeout = 76_000;

server.listen(port, host, () => {
  logLine({ level: "info", msg: `listening on ${host ?? ""}:${port}`, workflowUrl, logLevel: process.env["LOG_LEVEL"] ?? "info" });
});

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  logLine({ level: "info", msg: `${signal} received; finishing in-flight requests` });
  closeGracefully(server, shutdownTimeoutMs).then((clean) => {
    logLine({ level: clean ? "info" : "warn", msg: clean ? "stopped" : "stopped; cut connections still open at the deadline" });
    process.exit(0);
  }, (err: unknown) => {
    logLine({ level: "error", msg: `shutdown failed: ${String(err)}` });
    process.exit(1);
  });
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
