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

server.listen(port, () => {
  logLine({ level: "info", msg: `listening on :${port}`, workflowUrl, logLevel: process.env["LOG_LEVEL"] ?? "info" });
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
