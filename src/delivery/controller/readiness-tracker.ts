// Keeps probing every live instance, the way the kubelet keeps running a
// readinessProbe after the first success: successThreshold consecutive
// passes make it ready, failureThreshold consecutive failures make it not
// ready again. The planner's `ready` and `readySinceMs` come from here.
// Where the platform probes by itself (Kubernetes: the runtime's
// readinessFeed, watched from the kubelet's pod conditions), nothing is
// probed here: its verdicts are read, and each change wakes the controller.
import type { ReadinessProbe } from "../../domain/config-schema.js";
import type { Instance, Runtime } from "../../runtime/types.js";

export interface Readiness {
  ready: boolean;
  readySinceMs?: number;
}

interface Probed {
  instance: Instance;
  probe: ReadinessProbe;
  ready: boolean;
  readySinceMs?: number;
  passes: number;
  failures: number;
  stop: AbortController;
}

export class ReadinessTracker {
  private readonly probed = new Map<string, Probed>();
  private readonly unsubscribe: (() => void) | undefined;

  /** onChange: an instance turned ready or not ready (the controller plans again). */
  constructor(
    private readonly runtime: Runtime,
    private readonly onChange: () => void,
  ) {
    this.unsubscribe = runtime.readinessFeed?.onChange(onChange);
  }

  /**
   * Starts probing an instance unless it already is. One the router already
   * routes (found after a restart) was ready when it was routed: it counts as
   * ready until its probe fails failureThreshold times, as the kubelet keeps
   * the last verdict, instead of being pulled from the router while unknown.
   */
  track(instance: Instance, probe: ReadinessProbe, assumeReady = false): void {
    if (this.runtime.readinessFeed !== undefined || this.probed.has(instance.id)) return;
    const entry: Probed = { instance, probe, ready: assumeReady, passes: 0, failures: 0, stop: new AbortController() };
    if (assumeReady) entry.readySinceMs = Date.now();
    this.probed.set(instance.id, entry);
    void this.probeLoop(entry);
  }

  /** Stops probing instances not in `liveIds` (removed or exited). */
  retain(liveIds: ReadonlySet<string>): void {
    for (const id of [...this.probed.keys()]) if (!liveIds.has(id)) this.forget(id);
  }

  forget(id: string): void {
    this.probed.get(id)?.stop.abort();
    this.probed.delete(id);
  }

  readinessOf(id: string): Readiness {
    const feed = this.runtime.readinessFeed;
    if (feed !== undefined) return feed.readinessOf(id) ?? { ready: false };
    const entry = this.probed.get(id);
    if (entry === undefined || !entry.ready) return { ready: false };
    return entry.readySinceMs === undefined ? { ready: true } : { ready: true, readySinceMs: entry.readySinceMs };
  }

  /** Stops probing everything, and listening to the platform's feed. */
  stopAll(): void {
    for (const id of [...this.probed.keys()]) this.forget(id);
    this.unsubscribe?.();
  }

  private async probeLoop(entry: Probed): Promise<void> {
    const { signal } = entry.stop;
    const createdMs = Date.parse(entry.instance.createdAt);
    const delayMs = Number.isNaN(createdMs) ? 0 : createdMs + entry.probe.initialDelaySeconds * 1000 - Date.now();
    if (delayMs > 0 && !(await pause(delayMs, signal))) return;
    while (!signal.aborted) {
      const ok = await this.runtime.probeOnce(entry.instance, entry.probe).catch(() => false);
      if (signal.aborted) return;
      this.record(entry, ok);
      if (!(await pause(entry.probe.periodSeconds * 1000, signal))) return;
    }
  }

  private record(entry: Probed, ok: boolean): void {
    entry.passes = ok ? entry.passes + 1 : 0;
    entry.failures = ok ? 0 : entry.failures + 1;
    if (!entry.ready && entry.passes >= entry.probe.successThreshold) {
      entry.ready = true;
      entry.readySinceMs = Date.now();
      this.onChange();
    } else if (entry.ready && entry.failures >= entry.probe.failureThreshold) {
      entry.ready = false;
      delete entry.readySinceMs;
      this.onChange();
    }
  }
}

/** Resolves true after ms, false when aborted first. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
