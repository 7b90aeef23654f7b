// A constant keep-alive GET load on a loopback endpoint, for the rollout e2e
// tests: every non-2xx answer and every connection error counts as a failure.
// Bounded: at most `rps` requests a second, for at most 120 s.
import assert from "node:assert/strict";
import http from "node:http";

export interface LoadResult {
  sent: number;
  ok: number;
  failures: string[];
  /** When the first and the last failed answer arrived (epoch ms). */
  failureSpan?: { firstMs: number; lastMs: number };
  /** Answers by body (200) or by status. */
  byBody: Record<string, number>;
  seconds: number;
  /** The slowest answer, in ms. */
  maxLatencyMs: number;
}

const MAX_LOAD_MS = 120_000;
/** Loads still running, for an `after` hook to stop when a failed test left one. */
const running = new Set<() => Promise<LoadResult>>();

/** Stops by itself after `maxMs` (its timer cleared), so a test that fails before `stop()` cannot keep the process alive. */
export function startLoad(port: number, rps = 500, maxMs = MAX_LOAD_MS): { stop: () => Promise<LoadResult> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const result: LoadResult = { sent: 0, ok: 0, failures: [], byBody: {}, seconds: 0, maxLatencyMs: 0 };
  const started = Date.now();
  const inFlight = new Set<Promise<void>>();
  let stopping = false;
  const failed = (what: string): void => {
    result.failures.push(what);
    const now = Date.now();
    result.failureSpan = { firstMs: result.failureSpan?.firstMs ?? now, lastMs: now };
  };
  const tick = setInterval(() => {
    const elapsed = Date.now() - started;
    if (elapsed > maxMs) clearInterval(tick);
    if (stopping || elapsed > maxMs) return;
    const due = Math.floor((elapsed * rps) / 1000) - result.sent;
    for (let i = 0; i < due; i++) {
      result.sent++;
      const sentAt = Date.now();
      const p = getOnce(agent, port).then(
        ({ status, body }) => {
          result.maxLatencyMs = Math.max(result.maxLatencyMs, Date.now() - sentAt);
          const key = status === 200 ? body : `HTTP ${status}`;
          result.byBody[key] = (result.byBody[key] ?? 0) + 1;
          if (status >= 200 && status < 300) result.ok++;
          else failed(`HTTP ${status} ${body.slice(0, 40)}`);
        },
        (err: Error) => failed(err.message),
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  }, 10);
  const stop = async (): Promise<LoadResult> => {
    running.delete(stop);
    stopping = true;
    clearInterval(tick);
    await Promise.all(inFlight);
    agent.destroy();
    result.seconds = (Date.now() - started) / 1000;
    return result;
  };
  running.add(stop);
  return { stop };
}

export async function stopAllLoads(): Promise<void> {
  await Promise.all([...running].map((stop) => stop()));
}

/** One GET of `path` (default /); a 10 s client timeout. */
export function getOnce(agent: http.Agent, port: number, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent, headers, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("client timeout")));
    req.on("error", reject);
  });
}

/** n GETs one after another: how many answered each body (or status). */
export async function sample(port: number, n: number): Promise<Record<string, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const { status, body } = await getOnce(agent, port);
    const key = status === 200 ? body : `HTTP ${status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  agent.destroy();
  return counts;
}

/** "# <name>: N requests in S s (R req/s), F failed (...), slowest M ms, answers {...}" — a TAP diagnostic line. */
export function describeLoad(name: string, r: LoadResult): string {
  const failures = r.failures.length === 0 ? "" : ` (${[...new Set(r.failures)].slice(0, 3).join("; ")})`;
  return `# ${name}: ${r.sent} requests in ${r.seconds.toFixed(1)} s (${Math.round(r.sent / r.seconds)} req/s), ${r.failures.length} failed${failures}, slowest ${r.maxLatencyMs} ms, answers ${JSON.stringify(r.byBody)}`;
}

export function assertNoFailures(r: LoadResult, minRequests = 0): void {
  assert.deepEqual(r.failures.slice(0, 10), [], `${r.failures.length} of ${r.sent} requests failed`);
  assert.equal(r.ok, r.sent);
  assert.ok(r.sent >= minRequests, `the load sent only ${r.sent} requests`);
}
