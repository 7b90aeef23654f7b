// Waits for an instance to become ready with Kubernetes readinessProbe
// semantics, so a readiness spec behaves the same on Docker as on a cluster:
// the first probe after initialDelaySeconds, then one every periodSeconds
// (counted from the start of the previous probe), each bounded by
// timeoutSeconds; ready after successThreshold consecutive successes. Reaching
// failureThreshold consecutive failures means "not ready", which is where a
// new instance starts anyway, so, as in Kubernetes, probing goes on until the
// caller's deadline. An instance whose process has exited never becomes
// ready, so that ends the wait at once.
//
// Independent of CI and of Docker: the probe and the liveness check are
// functions, so the rollout controller reuses this for every instance.
import type { ReadinessProbe } from "../domain/config-schema.js";

export interface ProbeResult {
  ok: boolean;
  /** What was seen, e.g. "HTTP 503" or "connection refused"; shown when it fails. */
  detail?: string;
}

/** One probe; it should give up by itself after timeoutMs (waitUntilReady also stops waiting then). */
export type ProbeOnce = (timeoutMs: number) => Promise<ProbeResult>;

export interface Liveness {
  alive: boolean;
  /** Why it is not alive, e.g. "exited with code 2". */
  detail?: string;
}

/** Time, injectable so tests run in virtual time. */
export interface Clock {
  /** Milliseconds on a monotonic scale. */
  now(): number;
  /** Resolves after ms; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface ProbeAttempt {
  /** 1-based. */
  attempt: number;
  ok: boolean;
  detail: string | undefined;
  /** When it started, from the start of the wait. */
  atMs: number;
  durationMs: number;
  consecutiveSuccesses: number;
  consecutiveFailures: number;
}

export interface ReadinessOptions {
  /** The wait gives up this long after it starts, initial delay included. */
  deadlineMs: number;
  /** Aborting rejects the wait with the signal's reason. */
  signal: AbortSignal;
  /** Whether the instance's process still runs; checked before each probe and while waiting. An error it throws ends the wait. */
  isAlive?: () => Promise<Liveness>;
  /** How often isAlive is asked between probes; default 500 ms. */
  livenessIntervalMs?: number;
  /** Told about every probe, e.g. to write it to a log. */
  onAttempt?: (attempt: ProbeAttempt) => void;
  clock?: Clock;
}

export interface ReadinessOutcome {
  ready: boolean;
  /** From the start of the wait until it became ready or gave up. */
  afterMs: number;
  attempts: number;
  /** The last failed probe's detail. */
  lastError?: string;
  /** Why the wait ended. */
  endedBy: "ready" | "deadline" | "exit";
  /** isAlive's detail when the instance exited. */
  exitDetail?: string;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, Math.max(0, ms));
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

export async function waitUntilReady(probeOnce: ProbeOnce, spec: ReadinessProbe, options: ReadinessOptions): Promise<ReadinessOutcome> {
  const clock = options.clock ?? systemClock;
  const { signal } = options;
  const start = clock.now();
  const deadlineAt = start + options.deadlineMs;
  const livenessIntervalMs = options.livenessIntervalMs ?? 500;
  const timeoutMs = spec.timeoutSeconds * 1000;

  let attempts = 0;
  let successes = 0;
  let failures = 0;
  let lastError: string | undefined;
  const end = (endedBy: ReadinessOutcome["endedBy"], exitDetail?: string): ReadinessOutcome => ({
    ready: endedBy === "ready",
    afterMs: clock.now() - start,
    attempts,
    ...(lastError === undefined ? {} : { lastError }),
    endedBy,
    ...(exitDetail === undefined ? {} : { exitDetail }),
  });

  let nextProbeAt = start + spec.initialDelaySeconds * 1000;
  for (;;) {
    const exited = await waitWatchingLiveness(Math.min(nextProbeAt, deadlineAt));
    if (exited !== undefined) return end("exit", exited);
    if (clock.now() >= deadlineAt) return end("deadline");

    const probeStart = clock.now();
    attempts++;
    const result = await probeWithin(Math.min(timeoutMs, deadlineAt - probeStart));
    if (result.ok) {
      successes++;
      failures = 0;
    } else {
      failures++;
      successes = 0;
      lastError = result.detail ?? "probe failed";
    }
    options.onAttempt?.({
      attempt: attempts,
      ok: result.ok,
      detail: result.detail,
      atMs: probeStart - start,
      durationMs: clock.now() - probeStart,
      consecutiveSuccesses: successes,
      consecutiveFailures: failures,
    });
    if (successes >= spec.successThreshold) return end("ready");
    nextProbeAt = probeStart + spec.periodSeconds * 1000;
  }

  /** Sleeps until `until`, asking isAlive on the way; returns the exit detail if the instance died. */
  async function waitWatchingLiveness(until: number): Promise<string | undefined> {
    for (;;) {
      signal.throwIfAborted();
      if (options.isAlive !== undefined) {
        const liveness = await options.isAlive();
        if (!liveness.alive) return liveness.detail ?? "the process exited";
      }
      const remaining = until - clock.now();
      if (remaining <= 0) return undefined;
      await clock.sleep(options.isAlive === undefined ? remaining : Math.min(remaining, livenessIntervalMs), signal);
    }
  }

  /** Runs one probe; a probe that throws or outlives its timeout has failed. */
  async function probeWithin(ms: number): Promise<ProbeResult> {
    const stopTimer = new AbortController();
    const cancelTimer = (): void => stopTimer.abort();
    signal.addEventListener("abort", cancelTimer, { once: true });
    const timedOut = clock.sleep(ms, stopTimer.signal).then(
      (): ProbeResult => ({ ok: false, detail: `no answer within ${formatDuration(ms)}` }),
      () => undefined,
    );
    const probed = probeOnce(ms).catch((err: unknown): ProbeResult => ({ ok: false, detail: err instanceof Error ? err.message : String(err) }));
    try {
      const result = await Promise.race([probed, timedOut]);
      signal.throwIfAborted();
      return result ?? { ok: false, detail: "probe cancelled" };
    } finally {
      signal.removeEventListener("abort", cancelTimer);
      stopTimer.abort();
    }
  }
}

/** "2s", "1.5s" or "250 ms", for probe details. */
export function formatDuration(ms: number): string {
  return ms >= 1000 && ms % 100 === 0 ? `${ms / 1000}s` : `${Math.round(ms)} ms`;
}
