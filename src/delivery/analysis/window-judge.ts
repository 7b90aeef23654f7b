// Judges router metrics over one window that has already passed — a soak's:
// from the counters read when the rollout finished (the mark) to the counters
// now. The window is one measurement of an ordinary analysis (count 1, no
// limits), so a metric means what it means in a canary step: the same
// conditions, "no data" when no request arrived (inconclusive, never a pass).
import { SlipwayError } from "../../domain/errors.js";
import { runAnalysis, type AnalysisClock, wallClock } from "./analysis-run.js";
import type { MetricConfig } from "./create-provider.js";
import { type RevisionCounters, RouterMetricProvider } from "./router-provider.js";

export interface WindowReadings {
  revision: string;
  /** At the window's start, and its time (ms). */
  start: RevisionCounters;
  startMs: number;
  /** Now; latency percentiles (when the router gives them) over the window. */
  end: RevisionCounters;
  endMs: number;
}

export interface WindowVerdict {
  metric: string;
  phase: "successful" | "failed" | "inconclusive";
  /** The measurement in words, e.g. "result 0.0312: result < 0.01 is false". */
  message: string;
}

/** One verdict per metric; a metric that is not a router metric is refused (a soak judges the router's counters). */
export async function judgeWindow(metrics: readonly MetricConfig[], readings: WindowReadings, signal: AbortSignal): Promise<WindowVerdict[]> {
  const verdicts: WindowVerdict[] = [];
  for (const metric of metrics) {
    const spec = metric.provider.router;
    if (spec === undefined) throw new SlipwayError("CONFIG_INVALID", `metric ${JSON.stringify(metric.name)} is not a router metric; a soak judges its window from the router's counters`, { hint: "name a router metric in promotion.soak.analysis" });
    // Two readings: the mark at begin(), now at the measurement; the provider's clock gives the window's length.
    const counters = [readings.start, readings.end];
    const times = [readings.startMs, readings.endMs];
    let read = 0;
    let timed = 0;
    const provider = new RouterMetricProvider(
      spec,
      async () => counters[Math.min(read++, 1)] as RevisionCounters,
      () => times[Math.min(timed++, 1)] as number,
    );
    // The window is over: "now" is its end; sleeping is only the measurement's time limit.
    const clock: AnalysisClock = { now: () => readings.endMs, sleep: wallClock.sleep };
    const outcome = await runAnalysis({
      metrics: [{ name: metric.name, provider, successCondition: metric.successCondition, failureCondition: metric.failureCondition, interval: 0, count: 1, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 0 }],
      revision: readings.revision,
      signal,
      clock,
    });
    const last = outcome.metrics[0]?.tally.last;
    verdicts.push({ metric: metric.name, phase: outcome.phase, message: last?.message ?? outcome.message });
  }
  return verdicts;
}
