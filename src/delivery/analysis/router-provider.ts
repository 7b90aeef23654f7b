// Metrics from the router's own counters (HAProxy's per-server stot,
// hrsp_5xx, econ): no Prometheus needed. The counters are cumulative since the
// router started, so each measurement is computed over the DELTA since the
// previous reading: a canary that was bad ten minutes ago and is fine now
// reads as fine, and one that just broke is not diluted by its history.
//
// No requests in a window is "no data": an inconclusive verdict saying so,
// never an error rate of 0 (which would pass a canary nobody called).
import { SlipwayError } from "../../domain/errors.js";
import { defaultErrorRateJudge, defaultLatencyJudge, type ErrorRateJudgeOptions, judgeErrorRate, judgeLatency, type LatencyJudgeOptions } from "./judge.js";
import type { MeasureContext, MeasureResult, MetricProvider } from "./metric-provider.js";

/** Cumulative counters of one revision's instances, summed, as the router reports them. */
export interface RevisionCounters {
  /** Requests sent to the revision, including those whose connection failed. */
  requests: number;
  responses5xx: number;
  connectionErrors: number;
  /**
   * A cumulative latency histogram, as Prometheus keeps one: bucket upper
   * bounds in ms (ascending; the last may be Infinity) and the number of
   * requests at or below each. Gives exact-window percentiles.
   */
  latencyHistogram?: { upperBoundsMs: readonly number[]; counts: readonly number[] };
  /** Otherwise, percentiles over the router's own recent window (its recent request log). */
  latencyMs?: { p50?: number; p95?: number; p99?: number; average?: number };
  /** When the counters started (the router's start or reload); a change means they started again from zero. */
  countersSince?: string;
}

/** Reads a revision's counters from the router; injected, so tests and other routers plug in. */
export type RevisionCountersSource = (revision: string, signal: AbortSignal) => Promise<RevisionCounters>;

export const routerMetrics = ["errorRate", "latencyP50", "latencyP95", "latencyP99", "requestRate"] as const;
export type RouterMetric = (typeof routerMetrics)[number];

/** The schema's `router:` block, plus the judge (proposed schema addition: compareWithStable and judge). */
export interface RouterMetricSpec {
  metric: RouterMetric;
  /** Judge the canary against the stable revision over the same window instead of with conditions. */
  compareWithStable?: boolean;
  judge?: Partial<ErrorRateJudgeOptions & LatencyJudgeOptions>;
}

interface Reading {
  counters: RevisionCounters;
  atMs: number;
}

/** What one revision did between two readings. */
interface WindowDelta {
  requests: number;
  errors: number;
  seconds: number;
  /** The router restarted (counters went down): the window is since its restart. */
  reset: boolean;
  latency: { p50?: number; p95?: number; p99?: number; average?: number } | undefined;
}

export class RouterMetricProvider implements MetricProvider {
  readonly description: string;
  private readonly readings = new Map<string, Reading>();

  constructor(
    private readonly spec: RouterMetricSpec,
    private readonly readCounters: RevisionCountersSource,
    private readonly now: () => number = Date.now,
  ) {
    if (spec.compareWithStable === true && spec.metric === "requestRate") {
      throw new SlipwayError("CONFIG_INVALID", "router metric requestRate cannot be compared with stable: the canary's share of traffic is set by its weight", {
        hint: "compare errorRate or a latency percentile with stable, or give requestRate a fixed condition",
      });
    }
    this.description = `router ${spec.metric}${spec.compareWithStable === true ? " (canary vs stable)" : ""}`;
  }

  async begin(context: MeasureContext): Promise<void> {
    await Promise.all(this.revisionsOf(context).map((revision) => this.read(revision, context.signal)));
  }

  async measure(context: MeasureContext): Promise<MeasureResult> {
    const { revision, stableRevision, signal } = context;
    const [canary, stable] = await Promise.all([this.read(revision, signal), stableRevision === undefined ? undefined : this.read(stableRevision, signal)]);
    if (canary === undefined || (stableRevision !== undefined && stable === undefined)) {
      // Only when the reading at the metric's start failed: an error (retried), not a verdict.
      throw new SlipwayError("MEASUREMENT_FAILED", `no earlier reading of the router's counters to compute a window from; the next measurement will have one`, { retryable: true });
    }
    const detail: Record<string, unknown> = { windowSeconds: round(canary.seconds), requests: canary.requests, errors: canary.errors };
    if (canary.reset) detail["counterReset"] = true;
    if (stable !== undefined) Object.assign(detail, { stableRequests: stable.requests, stableErrors: stable.errors });

    if (this.spec.compareWithStable === true) return { ...this.judged(context, canary, stable), detail };

    if (this.spec.metric === "requestRate") {
      if (canary.seconds <= 0) return { value: null, verdict: { phase: "inconclusive", reason: "no data: the window is empty" }, detail };
      return { value: canary.requests / canary.seconds, ...this.baselineOf(stable, stableRevision, canary.seconds), detail };
    }
    if (canary.requests === 0) {
      return { value: null, verdict: { phase: "inconclusive", reason: `no data: no requests reached ${revision} in the last ${round(canary.seconds)} s` }, detail };
    }
    return { value: this.valueOf(revision, canary), ...this.baselineOf(stable, stableRevision, canary.seconds), detail };
  }

  /** The stable revision's value over the same window, or why there is none. */
  private baselineOf(stable: WindowDelta | undefined, stableRevision: string | undefined, seconds: number): { baseline?: number; baselineUnavailable?: string } {
    if (stable === undefined || stableRevision === undefined) return {};
    if (this.spec.metric === "requestRate") return { baseline: stable.seconds > 0 ? stable.requests / stable.seconds : NaN };
    if (stable.requests === 0) return { baselineUnavailable: `no requests reached the stable revision ${stableRevision} in the last ${round(seconds)} s` };
    try {
      return { baseline: this.valueOf(stableRevision, stable) };
    } catch (err) {
      return { baselineUnavailable: err instanceof Error ? err.message : String(err) };
    }
  }

  private judged(context: MeasureContext, canary: WindowDelta, stable: WindowDelta | undefined): MeasureResult {
    if (stable === undefined || context.stableRevision === undefined) {
      return { value: null, verdict: { phase: "inconclusive", reason: "no stable revision to compare the canary with (is this the first rollout?)" } };
    }
    const judge = this.spec.judge ?? {};
    if (this.spec.metric === "errorRate") {
      const verdict = judgeErrorRate(canary, stable, { ...defaultErrorRateJudge, ...judge });
      return { value: rate(canary), baseline: rate(stable), verdict };
    }
    const minRequests = judge.minRequests ?? defaultLatencyJudge.minRequests;
    if (canary.requests < minRequests || stable.requests < minRequests) {
      // Too few to judge, and maybe none at all: the judge says so without reading a latency.
      return { value: null, verdict: judgeLatency(this.spec.metric, { latencyMs: NaN, requests: canary.requests }, { latencyMs: NaN, requests: stable.requests }, judge) };
    }
    const canaryMs = this.valueOf(context.revision, canary);
    const stableMs = this.valueOf(context.stableRevision, stable);
    return { value: canaryMs, baseline: stableMs, verdict: judgeLatency(this.spec.metric, { latencyMs: canaryMs, requests: canary.requests }, { latencyMs: stableMs, requests: stable.requests }, judge) };
  }

  private valueOf(revision: string, delta: WindowDelta): number {
    const metric = this.spec.metric;
    if (metric === "errorRate") return rate(delta);
    if (metric === "requestRate") return delta.requests / delta.seconds;
    const key = metric === "latencyP50" ? "p50" : metric === "latencyP95" ? "p95" : "p99";
    const value = delta.latency?.[key];
    if (value === undefined) {
      const only = delta.latency?.average === undefined ? "no latency" : "only an average latency";
      throw new SlipwayError("MEASUREMENT_FAILED", `the router reports ${only} for ${revision}, so ${metric} cannot be measured`, {
        hint: "use a router that reports latency percentiles or a histogram, or measure latency with a prometheus metric",
      });
    }
    return value;
  }

  private revisionsOf(context: MeasureContext): string[] {
    return context.stableRevision === undefined ? [context.revision] : [context.revision, context.stableRevision];
  }

  /** Reads the counters and returns the delta since the previous reading (undefined on the first). */
  private async read(revision: string, signal: AbortSignal): Promise<WindowDelta | undefined> {
    let counters: RevisionCounters;
    try {
      counters = await this.readCounters(revision, signal);
    } catch (err) {
      signal.throwIfAborted();
      if (err instanceof SlipwayError) throw err;
      throw new SlipwayError("MEASUREMENT_FAILED", `could not read the router's counters for ${revision}: ${err instanceof Error ? err.message : String(err)}`, { cause: err, retryable: true });
    }
    const reading = { counters, atMs: this.now() };
    const previous = this.readings.get(revision);
    this.readings.set(revision, reading);
    return previous === undefined ? undefined : deltaBetween(previous, reading);
  }
}

function deltaBetween(before: Reading, after: Reading): WindowDelta {
  const a = before.counters;
  const b = after.counters;
  // Counters start again when the router restarts or reloads; then everything since is the window.
  const reset = a.countersSince !== b.countersSince || b.requests < a.requests || b.responses5xx < a.responses5xx || b.connectionErrors < a.connectionErrors;
  const from = reset ? { requests: 0, responses5xx: 0, connectionErrors: 0 } : a;
  const requests = b.requests - from.requests;
  const errors = Math.min(requests, b.responses5xx - from.responses5xx + (b.connectionErrors - from.connectionErrors));
  const histogram = b.latencyHistogram === undefined ? undefined : windowHistogram(reset ? undefined : a.latencyHistogram, b.latencyHistogram);
  const latency = histogram === undefined ? b.latencyMs : { p50: quantile(histogram, 0.5), p95: quantile(histogram, 0.95), p99: quantile(histogram, 0.99) };
  return { requests, errors, seconds: (after.atMs - before.atMs) / 1000, reset, latency };
}

type Histogram = NonNullable<RevisionCounters["latencyHistogram"]>;

function windowHistogram(before: Histogram | undefined, after: Histogram): Histogram {
  const sameBuckets = before !== undefined && before.upperBoundsMs.length === after.upperBoundsMs.length && before.upperBoundsMs.every((b, i) => b === after.upperBoundsMs[i]);
  if (!sameBuckets) return after;
  return { upperBoundsMs: after.upperBoundsMs, counts: after.counts.map((c, i) => c - (before.counts[i] ?? 0)) };
}

/** Prometheus' histogram_quantile: linear within the bucket; the lower bound of an open last bucket. */
export function quantile(histogram: Histogram, q: number): number | undefined {
  const { upperBoundsMs, counts } = histogram;
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] ?? 0;
    if (count < rank) continue;
    const upper = upperBoundsMs[i] ?? Infinity;
    const lower = i === 0 ? 0 : (upperBoundsMs[i - 1] ?? 0);
    if (upper === Infinity) return lower;
    const below = i === 0 ? 0 : (counts[i - 1] ?? 0);
    const inBucket = count - below;
    return inBucket <= 0 ? upper : lower + (upper - lower) * ((rank - below) / inBucket);
  }
  return upperBoundsMs.at(-1);
}

function rate(delta: { requests: number; errors: number }): number {
  return delta.requests === 0 ? NaN : delta.errors / delta.requests;
}

function round(n: number): number {
  return Number(n.toFixed(3));
}
