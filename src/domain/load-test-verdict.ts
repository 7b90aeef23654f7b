// Whether a load test run passed: each threshold of the scenario, and the
// regression check against the last passing run, judged on the measured
// numbers. Pure; every verdict names its threshold so a failure says which.
import type { LoadTest } from "./config-schema.js";

export interface LoadMeasurement {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** Mean requests per second over the run. */
  rps: number;
  requests: number;
  /** Requests that errored, timed out or answered non-2xx. */
  errors: number;
}

export interface ThresholdVerdict {
  /** e.g. "p99Ms", "maxErrorRate", "regression.p95Percent". */
  threshold: string;
  limit: number;
  actual: number;
  passed: boolean;
}

/** The previous passing run the regression threshold compares with. */
export interface Baseline {
  runId: string;
  p95Ms: number;
}

export function errorRate(m: Pick<LoadMeasurement, "requests" | "errors">): number {
  return m.requests === 0 ? 1 : m.errors / m.requests;
}

export function judgeLoadTest(scenario: Pick<LoadTest, "thresholds" | "regression">, m: LoadMeasurement, baseline: Baseline | undefined): ThresholdVerdict[] {
  const t = scenario.thresholds;
  const verdicts: ThresholdVerdict[] = [];
  const atMost = (threshold: string, limit: number, actual: number): void => void verdicts.push({ threshold, limit, actual, passed: actual <= limit });
  if (t.p95Ms !== undefined) atMost("p95Ms", t.p95Ms, m.p95Ms);
  if (t.p99Ms !== undefined) atMost("p99Ms", t.p99Ms, m.p99Ms);
  atMost("maxErrorRate", t.maxErrorRate, errorRate(m));
  if (t.minRps !== undefined) verdicts.push({ threshold: "minRps", limit: t.minRps, actual: m.rps, passed: m.rps >= t.minRps });
  // Without a passing run before this one there is nothing to regress from.
  if (scenario.regression !== undefined && baseline !== undefined) {
    atMost("regression.p95Percent", scenario.regression.p95Percent, baseline.p95Ms === 0 ? 0 : ((m.p95Ms - baseline.p95Ms) / baseline.p95Ms) * 100);
  }
  return verdicts;
}

/** "p99Ms 3.2 > 0.001" for a failed verdict; for summaries and errors. */
export function describeVerdict(v: ThresholdVerdict): string {
  const op = v.threshold === "minRps" ? (v.passed ? ">=" : "<") : v.passed ? "<=" : ">";
  return `${v.threshold} ${round(v.actual)} ${op} ${v.limit}`;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** The value at percentile `p` (0..100) of ascending `sorted`, nearest-rank; 0 for none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? 0;
}
