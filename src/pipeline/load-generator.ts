// Runs one load test scenario with autocannon against a URL and measures
// it: its ramp steps (domain/load-ramp.ts), then the steady phase, each one
// bounded autocannon run. Latency percentiles and req/s are the steady
// phase's (nearest rank over every response); failures (connection errors,
// timeouts, non-2xx) count from every phase; per-second latency samples span
// the whole run for the report. Stops early on abort.
import autocannon from "autocannon";
import type { LoadTest } from "../domain/config-schema.js";
import type { LatencySample } from "../domain/latency-svg.js";
import { loadPhases, type LoadPhase } from "../domain/load-ramp.js";
import { percentile, type LoadMeasurement } from "../domain/load-test-verdict.js";

export interface LoadRun {
  measurement: LoadMeasurement;
  samples: LatencySample[];
  /** Seconds from the start at which the steady phase began (0 without a ramp). */
  steadyFromSecond: number;
}

export async function generateLoad(baseUrl: string, scenario: LoadTest, signal: AbortSignal): Promise<LoadRun> {
  const url = new URL(scenario.target.path, baseUrl).toString();
  const perSecond: number[][] = [];
  const started = Date.now();
  let steadyFromSecond = 0;
  let steady: { result: autocannon.Result; latencies: number[] } | undefined;
  let requests = 0;
  let errors = 0;
  for (const phase of loadPhases(scenario)) {
    if (signal.aborted) break;
    if (phase.name === "steady") steadyFromSecond = (Date.now() - started) / 1000;
    const latencies: number[] = [];
    const result = await runPhase(url, scenario, phase, signal, (ms) => {
      latencies.push(ms);
      (perSecond[Math.floor((Date.now() - started) / 1000)] ??= []).push(ms);
    });
    requests += result.requests.total;
    errors += result.errors + result.non2xx;
    if (phase.name === "steady") steady = { result, latencies };
  }
  const latencies = (steady?.latencies ?? []).sort((a, b) => a - b);
  const steadyDuration = steady?.result.duration ?? 0;
  const measurement: LoadMeasurement = {
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    rps: steady !== undefined && steadyDuration > 0 ? steady.result.requests.total / steadyDuration : 0,
    requests,
    errors,
  };
  const samples = perSecond.flatMap((values, second) => {
    if (values === undefined) return [];
    values.sort((a, b) => a - b);
    return [{ second, values: { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) } }];
  });
  return { measurement, samples, steadyFromSecond };
}

/** One bounded autocannon run; the abort listener goes with it. */
function runPhase(url: string, scenario: LoadTest, phase: LoadPhase, signal: AbortSignal, onLatency: (ms: number) => void): Promise<autocannon.Result> {
  return new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        method: scenario.target.method,
        ...(scenario.target.headers ? { headers: scenario.target.headers } : {}),
        ...(scenario.target.body !== undefined ? { body: scenario.target.body } : {}),
        connections: phase.connections,
        ...(phase.rate !== undefined ? { overallRate: phase.rate } : {}),
        duration: phase.seconds,
        timeout: 10,
      },
      (err, res) => {
        signal.removeEventListener("abort", stop);
        if (err) reject(err);
        else resolve(res);
      },
    );
    const stop = (): void => instance.stop();
    instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => onLatency(responseTime));
    signal.addEventListener("abort", stop, { once: true });
  });
}
