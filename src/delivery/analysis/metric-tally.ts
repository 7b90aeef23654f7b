// Counting a metric's measurements and deciding its phase, with Argo Rollouts'
// rules (analysis/analysis.go assessMetricStatus): errors do not count toward
// `count`; failed beats inconclusive beats error; count reached is success.
// Pure, so resuming from persisted measurements is just replaying them here.
import type { Measurement } from "./metric-provider.js";

export interface MetricLimits {
  count: number;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
}

export interface MetricTally {
  /** Measurements that reached a verdict: successful + failed + inconclusive (not errors). */
  count: number;
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
  consecutiveErrors: number;
  /** Every measurement, errors included; the next one's index is this + 1. */
  measurements: number;
  last?: Measurement;
}

export type MetricProgress = "running" | "successful" | "failed" | "inconclusive" | "error";

export const emptyTally: MetricTally = { count: 0, successful: 0, failed: 0, inconclusive: 0, error: 0, consecutiveErrors: 0, measurements: 0 };

export function addMeasurement(tally: MetricTally, m: Measurement): MetricTally {
  const next = { ...tally, measurements: tally.measurements + 1, last: m };
  if (m.phase === "error") return { ...next, error: tally.error + 1, consecutiveErrors: tally.consecutiveErrors + 1 };
  return { ...next, count: tally.count + 1, [m.phase]: tally[m.phase] + 1, consecutiveErrors: 0 };
}

export function tallyOf(measurements: readonly Measurement[]): MetricTally {
  return measurements.reduce(addMeasurement, emptyTally);
}

/** The metric's phase now, and why, in the words Argo Rollouts uses. */
export function assessMetric(tally: MetricTally, limits: MetricLimits): { phase: MetricProgress; message: string } {
  if (tally.failed > limits.failureLimit) return { phase: "failed", message: `failed (${tally.failed}) > failureLimit (${limits.failureLimit})` };
  if (tally.inconclusive > limits.inconclusiveLimit) {
    return { phase: "inconclusive", message: `inconclusive (${tally.inconclusive}) > inconclusiveLimit (${limits.inconclusiveLimit})` };
  }
  if (tally.consecutiveErrors > limits.consecutiveErrorLimit) {
    return { phase: "error", message: `consecutive errors (${tally.consecutiveErrors}) > consecutiveErrorLimit (${limits.consecutiveErrorLimit})` };
  }
  const counts = `${tally.successful} successful, ${tally.failed} failed, ${tally.inconclusive} inconclusive, ${tally.error} error${tally.error === 1 ? "" : "s"}`;
  if (tally.count >= limits.count) return { phase: "successful", message: `count (${limits.count}) reached: ${counts}` };
  return { phase: "running", message: `${tally.count} of ${limits.count} measurements: ${counts}` };
}
