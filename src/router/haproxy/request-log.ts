// Latency percentiles from the router's recent requests. HAProxy 2.6's
// counters only give averages, so every routed request is also logged, one
// short line each, into an in-memory ring (no disk, no log daemon) that
// `show events` dumps; percentiles are computed over the lines in a window.
import type { LatencySummary } from "../types.js";
import { REQUEST_LOG_TAG } from "./haproxy-config.js";

export interface LoggedRequest {
  atMs: number;
  proxy: string;
  server: string;
  status: number;
  /** Time to response headers; -1 when no response came from a server. */
  responseMs: number;
}

const linePattern = new RegExp(`^${REQUEST_LOG_TAG} (\\d+) (\\S+) (\\S+) (-?\\d+) (-?\\d+)$`);

export function parseRequestLog(text: string): LoggedRequest[] {
  const requests: LoggedRequest[] = [];
  for (const line of text.split("\n")) {
    const m = linePattern.exec(line.trim());
    if (m === null) continue; // Server state messages and truncated lines.
    requests.push({ atMs: Number(m[1]), proxy: m[2] ?? "", server: m[3] ?? "", status: Number(m[4]), responseMs: Number(m[5]) });
  }
  return requests;
}

/** Nearest-rank percentiles of the response times; undefined for an empty sample. */
export function summarizeLatency(responseMs: readonly number[], windowMs: number): LatencySummary | undefined {
  if (responseMs.length === 0) return undefined;
  const sorted = [...responseMs].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  return { samples: sorted.length, windowMs, p50Ms: rank(50), p90Ms: rank(90), p95Ms: rank(95), p99Ms: rank(99), maxMs: sorted[sorted.length - 1] ?? 0 };
}
