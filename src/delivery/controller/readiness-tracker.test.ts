// The tracker where the platform tracks readiness itself (Kubernetes): it
// reads the runtime's feed, wakes the controller on each change, and never
// probes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReadinessProbe } from "../../domain/config-schema.js";
import type { Instance, PlatformReadiness, ReadinessFeed, Runtime } from "../../runtime/types.js";
import { ReadinessTracker } from "./readiness-tracker.js";

const probe: ReadinessProbe = { tcp: {}, initialDelaySeconds: 0, periodSeconds: 0.01, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 };
const instance = { id: "pod-1", name: "api-r-a-x", system: "s", environment: "e", service: "api", revision: "r-a", image: "i", phase: "running", address: { host: "10.0.0.1", port: 80 }, createdAt: new Date().toISOString() } satisfies Instance;

class Feed implements ReadinessFeed {
  verdicts = new Map<string, PlatformReadiness>();
  private listeners = new Set<() => void>();
  readinessOf(id: string): PlatformReadiness | undefined {
    return this.verdicts.get(id);
  }
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(id: string, verdict: PlatformReadiness): void {
    this.verdicts.set(id, verdict);
    this.listeners.forEach((l) => l());
  }
  get listening(): number {
    return this.listeners.size;
  }
}

describe("ReadinessTracker on a runtime with a readiness feed", () => {
  it("reads the feed's verdicts, wakes the controller on each change, and never probes", async () => {
    const feed = new Feed();
    let probes = 0;
    const runtime = { readinessFeed: feed, probeOnce: async () => (probes++, true) } as unknown as Runtime;
    let wakes = 0;
    const tracker = new ReadinessTracker(runtime, () => wakes++);
    tracker.track(instance, probe);
    assert.deepEqual(tracker.readinessOf("pod-1"), { ready: false }, "unknown to the feed: not ready");
    feed.set("pod-1", { ready: true, readySinceMs: 42 });
    assert.equal(wakes, 1);
    assert.deepEqual(tracker.readinessOf("pod-1"), { ready: true, readySinceMs: 42 });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(probes, 0, "the platform probes, slipway does not");
    tracker.stopAll();
    assert.equal(feed.listening, 0, "stopAll stops listening");
  });
});
