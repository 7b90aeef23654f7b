// Runs an analysis: every metric measures on its own interval until it has
// `count` measurements or a limit decides it, with Argo Rollouts' semantics
// (see README.md beside this file). The first metric that fails, errors or
// turns inconclusive decides the run and stops the others, so a bad canary is
// aborted within interval × failureLimit of its first measurement.
//
// Time comes from an injected clock, so tests run in virtual time. Every
// finished measurement is handed to onMeasurement (awaited, so a controller
// can persist it first); passing those back as `previous` resumes a run after
// a restart without repeating what was measured.
import { SlipwayError } from "../../domain/errors.js";
import { systemClock } from "../../runtime/readiness.js";
import { assessConditions, type Condition, ConditionEvaluationError, describeValue, parseCondition } from "./conditions.js";
import type { MeasureContext, Measurement, MeasurementPhase, MeasureResult, MetricProvider } from "./metric-provider.js";
import { addMeasurement, assessMetric, type MetricLimits, type MetricTally, tallyOf } from "./metric-tally.js";

/** Wall-clock time: measurements are persisted and compared across restarts. */
export interface AnalysisClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after ms; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const wallClock: AnalysisClock = { now: () => Date.now(), sleep: systemClock.sleep };

export const defaultConsecutiveErrorLimit = 4;
export const defaultMeasurementTimeoutMs = 30_000;

/** A metric from slipway.service.yaml with its provider built. */
export interface AnalysisMetric {
  name: string;
  provider: MetricProvider;
  successCondition?: string | undefined;
  failureCondition?: string | undefined;
  /** Seconds between the end of one measurement and the start of the next. */
  interval: number;
  count: number;
  failureLimit: number;
  inconclusiveLimit: number;
  /** Default 4, as in Argo Rollouts. */
  consecutiveErrorLimit?: number;
}

export interface AnalysisRunOptions {
  metrics: readonly AnalysisMetric[];
  revision: string;
  stableRevision?: string | undefined;
  /** Aborting stops every metric, drops in-flight measurements and rejects with the signal's reason. */
  signal: AbortSignal;
  clock?: AnalysisClock;
  /** Measurements persisted by an earlier run of this analysis; they are replayed, not repeated. */
  previous?: readonly Measurement[];
  /** Told about every finished measurement, in order per metric; awaited. A rejection stops the run and is rethrown. */
  onMeasurement?: (measurement: Measurement) => void | Promise<void>;
}

/** "stopped": another metric decided the run before this one finished. */
export type MetricPhase = "successful" | "failed" | "inconclusive" | "error" | "stopped";

export interface MetricSummary {
  name: string;
  phase: MetricPhase;
  /** Why, e.g. "failed (2) > failureLimit (1)". */
  message: string;
  tally: MetricTally;
}

export interface AnalysisOutcome {
  /** failed: abort and roll back. inconclusive: pause for a person. An erroring metric fails the run. */
  phase: "successful" | "failed" | "inconclusive";
  /** One line for a person: which metric decided, and its last measurement. */
  message: string;
  metrics: MetricSummary[];
}

interface MetricPlan {
  metric: AnalysisMetric;
  limits: MetricLimits;
  success: Condition | undefined;
  failure: Condition | undefined;
  tally: MetricTally;
}

interface Shared {
  clock: AnalysisClock;
  /** Aborts when the caller aborts or a metric decides the run. */
  signal: AbortSignal;
  decide: () => void;
  options: AnalysisRunOptions;
}

/** Checks conditions and names before anything is measured; a bad condition is a CONFIG_INVALID error here. */
export async function runAnalysis(options: AnalysisRunOptions): Promise<AnalysisOutcome> {
  const plans = planMetrics(options.metrics, options.previous ?? []);
  if (isDecided(plans)) return outcomeOf(plans);

  const decided = new AbortController();
  const shared: Shared = {
    clock: options.clock ?? wallClock,
    signal: AbortSignal.any([options.signal, decided.signal]),
    decide: () => decided.abort(new Error("another metric decided the analysis")),
    options,
  };
  const results = await Promise.allSettled(
    plans.map((plan) =>
      runMetric(plan, shared).catch((err: unknown) => {
        shared.decide();
        throw err;
      }),
    ),
  );
  options.signal.throwIfAborted();
  const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failure !== undefined) throw failure.reason;
  return outcomeOf(plans);
}

function planMetrics(metrics: readonly AnalysisMetric[], previous: readonly Measurement[]): MetricPlan[] {
  if (metrics.length === 0) throw new SlipwayError("CONFIG_INVALID", "an analysis needs at least one metric");
  const names = new Set(metrics.map((m) => m.name));
  if (names.size !== metrics.length) throw new SlipwayError("CONFIG_INVALID", "an analysis names the same metric twice");
  const stray = previous.find((m) => !names.has(m.metric));
  if (stray !== undefined) {
    throw new SlipwayError("INTERNAL", `a persisted measurement is of metric ${JSON.stringify(stray.metric)}, which this analysis does not have`);
  }
  return metrics.map((metric) => {
    const condition = (field: "successCondition" | "failureCondition"): Condition | undefined => {
      const source = metric[field];
      return source === undefined ? undefined : parseCondition(source, { label: `${field} of metric ${JSON.stringify(metric.name)}` });
    };
    return {
      metric,
      limits: {
        count: metric.count,
        failureLimit: metric.failureLimit,
        inconclusiveLimit: metric.inconclusiveLimit,
        consecutiveErrorLimit: metric.consecutiveErrorLimit ?? defaultConsecutiveErrorLimit,
      },
      success: condition("successCondition"),
      failure: condition("failureCondition"),
      tally: tallyOf(previous.filter((m) => m.metric === metric.name).sort((a, b) => a.index - b.index)),
    };
  });
}

async function runMetric(plan: MetricPlan, shared: Shared): Promise<void> {
  const { clock, signal } = shared;
  const intervalMs = plan.metric.interval * 1000;
  if (assessMetric(plan.tally, plan.limits).phase !== "running") return;
  try {
    const last = plan.tally.last;
    let nextAt = last === undefined ? clock.now() : Date.parse(last.finishedAt) + intervalMs;
    const provider = plan.metric.provider;
    if (provider.begin !== undefined) {
      const begunAt = clock.now();
      // A failed first reading is not fatal: the first measurement then reports the error.
      await withinTimeout((s) => provider.begin?.(context(shared, s)) ?? Promise.resolve(), provider, shared).catch(() => signal.throwIfAborted());
      nextAt = Math.max(nextAt, begunAt + intervalMs);
    }
    for (;;) {
      const wait = nextAt - clock.now();
      if (wait > 0) await clock.sleep(wait, signal);
      const measurement = await measureOnce(plan, shared);
      plan.tally = addMeasurement(plan.tally, measurement);
      await shared.options.onMeasurement?.(measurement);
      const { phase } = assessMetric(plan.tally, plan.limits);
      if (phase !== "running") {
        if (phase !== "successful") shared.decide();
        return;
      }
      nextAt = Date.parse(measurement.finishedAt) + intervalMs;
    }
  } catch (err) {
    // Stopped: by the caller (runAnalysis rethrows its reason) or because another metric decided.
    if (signal.aborted && err === signal.reason) return;
    throw err;
  }
}

async function measureOnce(plan: MetricPlan, shared: Shared): Promise<Measurement> {
  const { clock, signal } = shared;
  const { provider, name } = plan.metric;
  const startedAt = new Date(clock.now()).toISOString();
  const index = plan.tally.measurements + 1;
  let result: MeasureResult;
  try {
    result = await withinTimeout((s) => provider.measure(context(shared, s)), provider, shared);
  } catch (err) {
    signal.throwIfAborted();
    return { metric: name, index, phase: "error", startedAt, finishedAt: new Date(clock.now()).toISOString(), message: describeError(err) };
  }
  signal.throwIfAborted();
  const { phase, message } = judgeResult(plan, result, shared.options.stableRevision);
  return {
    metric: name,
    index,
    phase,
    startedAt,
    finishedAt: new Date(clock.now()).toISOString(),
    value: result.value,
    ...(result.baseline === undefined ? {} : { baseline: result.baseline }),
    message,
    ...(result.detail === undefined ? {} : { detail: result.detail }),
  };
}

/** The provider's own verdict when it gives one; otherwise the conditions decide. */
function judgeResult(plan: MetricPlan, result: MeasureResult, stableRevision: string | undefined): { phase: MeasurementPhase; message: string } {
  if (result.verdict !== undefined) return { phase: result.verdict.phase, message: result.verdict.reason };
  const shown = result.summary ?? `result ${describeValue(result.value)}${result.baseline === undefined ? "" : `, baseline ${describeValue(result.baseline)}`}`;
  const readsBaseline = plan.success?.names.has("baseline") === true || plan.failure?.names.has("baseline") === true;
  if (readsBaseline && (result.baseline === undefined || Number.isNaN(result.baseline))) {
    const why = result.baselineUnavailable ?? (stableRevision === undefined ? "there is no stable revision" : `${plan.metric.provider.description} gives none`);
    return { phase: "inconclusive", message: `${shown}: the condition compares with baseline, but there is none (${why})` };
  }
  try {
    const verdict = assessConditions({ success: plan.success, failure: plan.failure }, { result: result.value, baseline: result.baseline });
    return { phase: verdict.phase, message: `${shown}: ${verdict.reason}` };
  } catch (err) {
    if (err instanceof ConditionEvaluationError) return { phase: "error", message: `${shown}: ${err.message}` };
    throw err;
  }
}

/**
 * Runs work with the provider's time limit, in the run's clock; a timeout is a
 * retryable MEASUREMENT_FAILED. When the run stops, the work is told through
 * its signal and awaited (still within the limit), so a job's container is
 * removed before the run returns.
 */
async function withinTimeout<T>(work: (signal: AbortSignal) => Promise<T>, provider: MetricProvider, shared: Shared): Promise<T> {
  const ms = provider.timeoutMs ?? defaultMeasurementTimeoutMs;
  const attempt = new AbortController();
  const timer = new AbortController();
  const timedOut = shared.clock.sleep(ms, timer.signal).then((): never => {
    const error = new SlipwayError("MEASUREMENT_FAILED", `${provider.description} gave no result within ${ms / 1000} s`, { retryable: true });
    attempt.abort(error);
    throw error;
  });
  try {
    return await Promise.race([work(AbortSignal.any([shared.signal, attempt.signal])), timedOut]);
  } finally {
    timer.abort();
  }
}

function context(shared: Shared, signal: AbortSignal): MeasureContext {
  const { revision, stableRevision } = shared.options;
  return { revision, ...(stableRevision === undefined ? {} : { stableRevision }), signal };
}

function describeError(err: unknown): string {
  if (err instanceof SlipwayError) return err.message;
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error && !err.message.includes(err.cause.message) ? `: ${err.cause.message}` : "";
  return `${err.message}${cause}`;
}

function isDecided(plans: readonly MetricPlan[]): boolean {
  return plans.some((p) => ["failed", "inconclusive", "error"].includes(assessMetric(p.tally, p.limits).phase));
}

const severity: Record<MetricPhase, number> = { successful: 0, stopped: 1, inconclusive: 2, error: 3, failed: 4 };

function outcomeOf(plans: readonly MetricPlan[]): AnalysisOutcome {
  const metrics: MetricSummary[] = plans.map((p) => {
    const assessed = assessMetric(p.tally, p.limits);
    return assessed.phase === "running"
      ? { name: p.metric.name, phase: "stopped", message: `stopped after ${assessed.message}`, tally: p.tally }
      : { name: p.metric.name, phase: assessed.phase, message: assessed.message, tally: p.tally };
  });
  const worst = metrics.reduce((a, b) => (severity[b.phase] > severity[a.phase] ? b : a));
  const phase = worst.phase === "failed" || worst.phase === "error" ? "failed" : worst.phase === "inconclusive" ? "inconclusive" : "successful";
  if (phase === "successful") return { phase, message: `all ${metrics.length} metric${metrics.length === 1 ? "" : "s"} successful`, metrics };
  const last = worst.tally.last === undefined ? "" : `; last measurement: ${worst.tally.last.message}`;
  return { phase, message: `metric ${JSON.stringify(worst.name)} ${worst.phase === "error" ? "kept erroring" : `is ${worst.phase}`}: ${worst.message}${last}`, metrics };
}
