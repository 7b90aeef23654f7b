// Preloaded into a process under test (`node --import <this>.js …`): every
// HTTP(S) request the process makes, from Node's diagnostics channels, one
// JSON line each in $SLIPWAY_BENCH_API_LOG when the process exits — method,
// host, path, when it started and how long until the response ended (a
// watch's response ends when the watch does). The benchmarks count a
// command's Kubernetes API calls and see where its time went without a
// line of product code.
import { subscribe } from "node:diagnostics_channel";
import type { ClientRequest, IncomingMessage } from "node:http";
import { appendFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

export interface ApiCall {
  method: string;
  /** The Host header: host:port. */
  host: string;
  path: string;
  /** ms since the process started. */
  startMs: number;
  status?: number;
  /** ms from the request to the response's end; absent when the process exited first (an open watch). */
  ms?: number;
}

const file = process.env["SLIPWAY_BENCH_API_LOG"];
if (file !== undefined && file !== "") {
  const calls = new Map<ClientRequest, ApiCall>();
  const done: ApiCall[] = [];
  subscribe("http.client.request.start", (message) => {
    const { request } = message as { request: ClientRequest };
    calls.set(request, { method: request.method, host: String(request.getHeader("host") ?? request.host), path: request.path, startMs: performance.now() });
  });
  subscribe("http.client.response.finish", (message) => {
    const { request, response } = message as { request: ClientRequest; response: IncomingMessage };
    const call = calls.get(request);
    if (call === undefined) return;
    calls.delete(request);
    call.status = response.statusCode;
    // The response's headers arrived; its body (a watch's stream) may go on: time the body's end too.
    response.once("end", () => (call.ms = performance.now() - call.startMs));
    response.once("close", () => (call.ms ??= performance.now() - call.startMs));
    done.push(call);
  });
  process.once("exit", () => {
    const lines = [...done, ...calls.values()].sort((a, b) => a.startMs - b.startMs).map((c) => JSON.stringify(c));
    if (lines.length > 0) appendFileSync(file, `${lines.join("\n")}\n`);
  });
}
