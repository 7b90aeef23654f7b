// What every metric provider (router, prometheus, web, job) implements, and
// what one measurement records. The analysis run knows nothing of where
// values come from; a provider knows nothing of conditions or limits.

export interface MeasureContext {
  /** The revision under analysis: the canary, or the blue-green preview. */
  revision: string;
  /** The revision serving production now, when there is one: the baseline to compare with. */
  stableRevision?: string;
  /** Aborts the measurement: the run was stopped, or the measurement took too long. */
  signal: AbortSignal;
}

/** A provider's own judgement, which replaces the conditions for this measurement. */
export interface ProviderVerdict {
  phase: "successful" | "failed" | "inconclusive";
  reason: string;
}

export interface MeasureResult {
  /** What conditions see as `result`: a number, a boolean, a string, an array for a Prometheus vector. */
  value: unknown;
  /** The stable revision's value over the same window; what conditions see as `baseline`. */
  baseline?: unknown;
  /** Why there is no baseline (the stable revision had no requests); a condition that reads baseline is then inconclusive. */
  baselineUnavailable?: string;
  /**
   * Set when the provider can judge for itself: "no data" (no requests in the
   * window) is an inconclusive verdict, and the canary-vs-stable judge gives
   * every verdict. Conditions are then not evaluated.
   */
  verdict?: ProviderVerdict;
  /** How the value came about, for the measurement's message, e.g. "exited with code 1 (last output: …)"; default "result <value>". */
  summary?: string;
  /** Kept with the measurement for a person: the query, the samples, a job's exit code and output. */
  detail?: Record<string, unknown>;
}

export interface MetricProvider {
  /** For messages, e.g. `router errorRate` or `prometheus http://127.0.0.1:9090`. */
  readonly description: string;
  /** The analysis run gives up on a measurement after this long; default 30 s. */
  readonly timeoutMs?: number;
  /**
   * Providers that measure a window (the router's counters) take their first
   * reading here when a metric starts or resumes; the run then takes the first
   * measurement one interval later, so every window is one interval long.
   */
  begin?(context: MeasureContext): Promise<void>;
  /** Throws when it cannot measure (unreachable, an error answer): the measurement is an error. */
  measure(context: MeasureContext): Promise<MeasureResult>;
}

/** Argo Rollouts' measurement phases. An error is "could not measure", which is not a failure. */
export type MeasurementPhase = "successful" | "failed" | "inconclusive" | "error";

/** One finished measurement, as the run emits it and a controller persists it. JSON-safe except NaN values. */
export interface Measurement {
  metric: string;
  /** 1-based within its metric, errors included. */
  index: number;
  phase: MeasurementPhase;
  /** ISO 8601 times from the run's clock; resuming schedules the next measurement from finishedAt. */
  startedAt: string;
  finishedAt: string;
  value?: unknown;
  baseline?: unknown;
  /** Why this phase, in one sentence: the value and the condition that decided, or the error. */
  message: string;
  detail?: Record<string, unknown>;
}
