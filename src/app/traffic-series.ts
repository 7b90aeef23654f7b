// Per-revision traffic over time for the dashboard's rollout charts: the
// environment's router counters (what analysis measures, router-provider.ts)
// sampled every second while someone looks, as request rate, error rate and
// p95 latency per revision, kept in a short ring buffer in memory. Sampling
// a service starts when it is first asked for and stops after a minute
// nobody asked, so an idle server reads no router.
import { loadSystem } from "../config/load-system.js";
import type { ServiceStats } from "../router/types.js";
import { openEnvironmentOf, serviceOf, type EnvironmentSession } from "./environment.js";

export interface RevisionTraffic {
  requestsPerSecond: number;
  /** Failed answers and connection errors per request in the interval; null without requests. */
  errorRate: number | null;
  /** Over the router's recent request log (the last LATENCY_WINDOW_MS); null without requests in it. */
  p95Ms: number | null;
}

export interface TrafficPoint {
  atMs: number;
  revisions: Record<string, RevisionTraffic>;
  /** The router's split at this moment: revision → percent of the weighted traffic (ready instances only). */
  weights: Record<string, number>;
}

export interface TrafficSeries {
  environment: string;
  service: string;
  intervalMs: number;
  points: TrafficPoint[];
  /** Why the last sample failed (the router not running, a cluster without Prometheus, …). */
  error?: string;
}

export interface TrafficSamplerOptions {
  intervalMs?: number;
  /** Points kept per service: 300 at 1 s is five minutes. */
  capacity?: number;
  /** Sampling stops this long after the last request for the series. */
  idleMs?: number;
}

const LATENCY_WINDOW_MS = 5_000;
const COUNTERS_SINCE_JITTER_MS = 2_000;

/** What each revision did between two readings of the router's cumulative counters. */
export function trafficPoint(before: ServiceStats | undefined, after: ServiceStats, weights: Record<string, number>, atMs: number, seconds: number): TrafficPoint {
  const revisions: Record<string, RevisionTraffic> = {};
  // countersSince is the router's uptime subtracted from now, in whole seconds: it jitters by a second between reads.
  const restarted = before === undefined || Math.abs(Date.parse(before.countersSince) - Date.parse(after.countersSince)) > COUNTERS_SINCE_JITTER_MS;
  for (const [name, now] of Object.entries(after.revisions)) {
    const previous = restarted ? undefined : before.revisions[name];
    // Counters that went down started again (a reload): count from zero.
    const was = previous !== undefined && previous.requests <= now.requests ? previous : undefined;
    const requests = Math.max(0, now.requests - (was?.requests ?? 0));
    const errors = Math.min(requests, Math.max(0, now.responses5xx - (was?.responses5xx ?? 0) + now.connectionErrors - (was?.connectionErrors ?? 0)));
    revisions[name] = {
      requestsPerSecond: seconds > 0 ? requests / seconds : 0,
      errorRate: requests === 0 ? null : errors / requests,
      p95Ms: now.latency === undefined ? null : now.latency.p95Ms,
    };
  }
  return { atMs, revisions, weights };
}

/** Percent of the weighted traffic per revision, over the backends that take traffic (as `slipway status` shows it). */
export function revisionPercents(backends: readonly { revision: string; weight: number; state: string }[]): Record<string, number> {
  const ready = backends.filter((b) => b.state === "ready");
  const total = ready.reduce((n, b) => n + b.weight, 0);
  const percents: Record<string, number> = {};
  for (const b of ready) percents[b.revision] = (percents[b.revision] ?? 0) + (total === 0 ? 0 : (b.weight * 100) / total);
  for (const r of Object.keys(percents)) percents[r] = Math.round(percents[r] ?? 0);
  return percents;
}

interface Sampling {
  session: EnvironmentSession;
  series: TrafficSeries;
  last?: { stats: ServiceStats; atMs: number };
  lastAskedMs: number;
  timer?: NodeJS.Timeout;
  stopped: boolean;
}

export class TrafficSampler {
  /** Promises, set before any await, so two first requests at once start one sampling, not two. */
  private readonly sampling = new Map<string, Promise<Sampling>>();
  private readonly intervalMs: number;
  private readonly capacity: number;
  private readonly idleMs: number;

  constructor(
    private readonly config: string,
    options: TrafficSamplerOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 1000;
    this.capacity = options.capacity ?? 300;
    this.idleMs = options.idleMs ?? 60_000;
  }

  /** The series so far (empty at first: sampling starts now). Unknown environments and services are refused as the other use cases refuse them. */
  async series(environment: string, service: string): Promise<TrafficSeries> {
    const key = `${environment}/${service}`;
    let started = this.sampling.get(key);
    if (started === undefined) {
      started = this.start(environment, service);
      this.sampling.set(key, started);
      started.catch(() => this.sampling.delete(key));
    }
    const entry = await started;
    entry.lastAskedMs = Date.now();
    return { ...entry.series, points: [...entry.series.points] };
  }

  close(): void {
    for (const started of this.sampling.values()) void started.then((entry) => this.stop(entry), () => undefined);
    this.sampling.clear();
  }

  private async start(environment: string, service: string): Promise<Sampling> {
    const system = await loadSystem(this.config);
    serviceOf(system, service);
    const entry: Sampling = { session: openEnvironmentOf(system, environment), series: { environment, service, intervalMs: this.intervalMs, points: [] }, lastAskedMs: Date.now(), stopped: false };
    await this.sample(entry);
    return entry;
  }

  /** One reading, then the next one interval later: never two at once, so each point spans the time between two reads. */
  private async sample(entry: Sampling): Promise<void> {
    if (entry.stopped) return;
    if (Date.now() - entry.lastAskedMs > this.idleMs) {
      this.sampling.delete(`${entry.series.environment}/${entry.series.service}`);
      return this.stop(entry);
    }
    try {
      const { router } = entry.session;
      const atMs = Date.now();
      const [stats, backends] = [await router.revisionStats(entry.series.service, { latencyWindowMs: LATENCY_WINDOW_MS }), await router.listBackends(entry.series.service)];
      if (entry.last !== undefined) {
        entry.series.points.push(trafficPoint(entry.last.stats, stats, revisionPercents(backends), atMs, (atMs - entry.last.atMs) / 1000));
        if (entry.series.points.length > this.capacity) entry.series.points.shift();
      }
      entry.last = { stats, atMs };
      delete entry.series.error;
    } catch (err) {
      entry.series.error = err instanceof Error ? err.message : String(err);
    }
    if (entry.stopped) return;
    entry.timer = setTimeout(() => void this.sample(entry), this.intervalMs);
    entry.timer.unref();
  }

  private stop(entry: Sampling): void {
    entry.stopped = true;
    clearTimeout(entry.timer);
    entry.session.close();
  }
}
