// Runs one load test scenario with autocannon against a URL and measures
// it: nearest-rank p50/p95/p99 over every response, mean req/s, failures
// (connection errors, timeouts, non-2xx) and per-second latency samples for
// the report. Bounded by the scenario's duration; stops early on abort.
import autocannon from "autocannon";
import type { LoadTest } from "../domain/config-schema.js";
import type { LatencySample } from "../domain/latency-svg.js";
import { percentile, type LoadMeasurement } from "../domain/load-test-verdict.js";

export interface LoadRun {
  measurement: LoadMeasurement;
  samples: LatencySample[];
}

export async function generateLoad(baseUrl: string, scenario: LoadTest, signal: AbortSignal): Promise<LoadRun> {
  const all: number[] = [];
  const perSecond: number[][] = [];
  const started = Date.now();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: new URL(scenario.target.path, baseUrl).toString(),
        method: scenario.target.method,
        ...(scenario.target.headers ? { headers: scenario.target.headers } : {}),
        ...(scenario.target.body !== undefined ? { body: scenario.target.body } : {}),
        connections: scenario.connections,
        ...(scenario.rate !== undefined ? { overallRate: scenario.rate } : {}),
        duration: scenario.durationSeconds,
        timeout: 10,
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      all.push(responseTime);
      const second = Math.floor((Date.now() - started) / 1000);
      (perSecond[second] ??= []).push(responseTime);
    });
    signal.addEventListener("abort", () => instance.stop(), { once: true });
  });
  all.sort((a, b) => a - b);
  const requests = result.requests.total;
  const measurement: LoadMeasurement = {
    p50Ms: percentile(all, 50),
    p95Ms: percentile(all, 95),
    p99Ms: percentile(all, 99),
    rps: result.duration > 0 ? requests / result.duration : 0,
    requests,
    errors: result.errors + result.non2xx,
  };
  const samples = perSecond.flatMap((latencies, second) => {
    if (latencies === undefined) return [];
    latencies.sort((a, b) => a - b);
    return [{ second, values: { p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99) } }];
  });
  return { measurement, samples };
}
