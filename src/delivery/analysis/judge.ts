// The canary-vs-stable judge: compares the canary with the stable revision
// over the same window instead of with a fixed threshold, so a service whose
// normal error rate is 2% is not failed for it, and one whose normal rate is
// 0.01% is failed for 1%.
//
// Error rate: a one-sided two-proportion z-test of "the canary's error rate
// exceeds the stable's by more than `tolerance`", with the pooled standard
// error (the classic test's, which stays sensible when the stable revision
// has no errors at all). Significantly worse → failed; otherwise successful;
// too few requests on either side → inconclusive, because "no evidence of
// harm" from 12 requests is no evidence. Latency: a ratio with a limit, on
// the same minimum sample.

export type JudgePhase = "successful" | "failed" | "inconclusive";

export interface JudgeVerdict {
  phase: JudgePhase;
  /** e.g. "canary 12.0% errors vs stable 0.1% over 500/4800 requests: worse by more than 0.5 points (z = 22.6, p < 0.001)". */
  reason: string;
}

export interface ErrorSample {
  requests: number;
  errors: number;
}

export interface ErrorRateJudgeOptions {
  /** Requests each side needs in the window before the judge decides anything. */
  minRequests: number;
  /** How much higher (absolute, 0.005 = half a percentage point) the canary's error rate may be before it counts as worse. */
  tolerance: number;
  /** One-sided confidence that the canary is worse before failing it. */
  confidence: number;
}

export const defaultErrorRateJudge: ErrorRateJudgeOptions = { minRequests: 100, tolerance: 0.005, confidence: 0.99 };

export function judgeErrorRate(canary: ErrorSample, stable: ErrorSample, options: Partial<ErrorRateJudgeOptions> = {}): JudgeVerdict {
  const { minRequests, tolerance, confidence } = { ...defaultErrorRateJudge, ...options };
  const pCanary = canary.requests === 0 ? 0 : Math.min(1, canary.errors / canary.requests);
  const pStable = stable.requests === 0 ? 0 : Math.min(1, stable.errors / stable.requests);
  const observed = `canary ${formatPercent(pCanary)} errors vs stable ${formatPercent(pStable)} over ${canary.requests}/${stable.requests} requests`;
  if (canary.requests < minRequests || stable.requests < minRequests) {
    const short = [canary.requests < minRequests ? `canary ${canary.requests}` : "", stable.requests < minRequests ? `stable ${stable.requests}` : ""].filter(Boolean).join(", ");
    return { phase: "inconclusive", reason: `${observed}: too few requests to judge (${short}; each side needs ${minRequests})` };
  }
  const excess = pCanary - pStable - tolerance;
  const pooled = Math.min(1, (canary.errors + stable.errors) / (canary.requests + stable.requests));
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / canary.requests + 1 / stable.requests));
  const allowed = `${formatPoints(tolerance)} point${tolerance === 0.01 ? "" : "s"}`;
  if (standardError === 0) {
    // Both sides all errors or all fine: no spread, the difference speaks for itself.
    return excess > 0 ? { phase: "failed", reason: `${observed}: worse by more than ${allowed}` } : { phase: "successful", reason: `${observed}: within ${allowed} of stable` };
  }
  const z = excess / standardError;
  const pValue = 1 - normalCdf(z);
  const evidence = `z = ${z.toFixed(1)}, p ${pValue < 0.001 ? "< 0.001" : `= ${pValue.toFixed(3)}`}`;
  if (pValue < 1 - confidence) return { phase: "failed", reason: `${observed}: worse by more than ${allowed} (${evidence})` };
  return { phase: "successful", reason: `${observed}: not significantly worse than stable + ${allowed} (${evidence})` };
}

export interface LatencySample {
  /** The percentile in milliseconds over the window; not read when the sample is too small. */
  latencyMs: number;
  requests: number;
}

export interface LatencyJudgeOptions {
  minRequests: number;
  /** The canary may be this many times slower than stable: 1.2 allows 20%. */
  maxRatio: number;
  /**
   * A canary within this many milliseconds of stable passes whatever the
   * ratio: against a 2 ms stable, a new instance's first slow requests
   * double the p95 without telling anything about the version.
   */
  minDifferenceMs: number;
}

export const defaultLatencyJudge: LatencyJudgeOptions = { minRequests: 100, maxRatio: 1.2, minDifferenceMs: 0 };

export function judgeLatency(label: string, canary: LatencySample, stable: LatencySample, options: Partial<LatencyJudgeOptions> = {}): JudgeVerdict {
  const { minRequests, maxRatio, minDifferenceMs } = { ...defaultLatencyJudge, ...options };
  if (canary.requests < minRequests || stable.requests < minRequests) {
    return { phase: "inconclusive", reason: `${label}: too few requests to judge: canary ${canary.requests}, stable ${stable.requests} (each side needs ${minRequests})` };
  }
  const observed = `canary ${label} ${formatMs(canary.latencyMs)} vs stable ${formatMs(stable.latencyMs)} over ${canary.requests}/${stable.requests} requests`;
  const limit = Math.max(stable.latencyMs * maxRatio, stable.latencyMs + minDifferenceMs);
  const allowed = minDifferenceMs > 0 ? `${maxRatio} × stable or ${formatMs(minDifferenceMs)} more (${formatMs(limit)})` : `${maxRatio} × stable (${formatMs(limit)})`;
  if (canary.latencyMs > limit) return { phase: "failed", reason: `${observed}: slower than ${allowed}` };
  return { phase: "successful", reason: `${observed}: within ${allowed}` };
}

/** Φ(z), from the complementary error function (Abramowitz and Stegun 7.1.26, error below 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erfc = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))) * Math.exp(-x * x);
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/** 0.12 → "12.0%", 0.001 → "0.1%", 0.00004 → "0.004%": enough digits to tell small rates apart. */
export function formatPercent(fraction: number): string {
  const percent = fraction * 100;
  if (percent === 0 || percent >= 0.1) return `${percent.toFixed(1)}%`;
  return `${Number(percent.toPrecision(1))}%`;
}

function formatPoints(fraction: number): string {
  return String(Number((fraction * 100).toPrecision(3)));
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toPrecision(3))} s` : `${Number(ms.toPrecision(3))} ms`;
}
