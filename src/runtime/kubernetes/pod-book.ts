// The watch-driven readiness tracker: the pods of an environment as the pod
// informer's events describe them, and their readiness as the kubelet
// reports it. Nothing here polls or probes: every change arrives as an event
// (apply), and whoever listens hears of it at once. Pure apart from the
// clock, so it is tested by feeding events.
import type { V1Pod } from "@kubernetes/client-node";
import type { Instance, InstanceFilter, PlatformReadiness, ReadinessFeed } from "../types.js";
import { podState, type PodState } from "./pod-state.js";

export type PodEvent = "add" | "update" | "delete";

export class PodBook implements ReadinessFeed {
  private readonly pods = new Map<string, PodState>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes one informer event; returns the pod's state now (undefined: gone or being deleted). */
  apply(event: PodEvent, pod: V1Pod): PodState | undefined {
    const uid = pod.metadata?.uid;
    if (uid === undefined) return undefined;
    const before = this.pods.get(uid);
    const after = event === "delete" ? undefined : podState(pod);
    if (after === undefined) {
      this.pods.delete(uid);
    } else {
      // Seen turning ready here: now is more precise than the condition's whole-second timestamp.
      if (after.readiness.ready && before !== undefined && !before.readiness.ready) after.readiness = { ready: true, readySinceMs: this.now() };
      else if (after.readiness.ready && before?.readiness.ready === true && before.readiness.readySinceMs !== undefined) after.readiness = before.readiness;
      this.pods.set(uid, after);
    }
    if (changed(before, after)) this.listeners.forEach((l) => l());
    return after;
  }

  readinessOf(instanceId: string): PlatformReadiness | undefined {
    return this.pods.get(instanceId)?.readiness;
  }

  state(instanceId: string): PodState | undefined {
    return this.pods.get(instanceId);
  }

  /** Live instances (not being deleted) matching the filter, oldest first. */
  instances(filter: InstanceFilter): Instance[] {
    return [...this.pods.values()]
      .map((p) => p.instance)
      .filter((i) => i.system === filter.system && i.environment === filter.environment && (filter.service === undefined || i.service === filter.service) && (filter.revision === undefined || i.revision === filter.revision))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** What a listener cares about: the pod came or went, or its phase, readiness, address or restarts changed. */
function changed(before: PodState | undefined, after: PodState | undefined): boolean {
  if (before === undefined || after === undefined) return before !== after;
  return (
    before.readiness.ready !== after.readiness.ready ||
    before.instance.phase !== after.instance.phase ||
    before.instance.address.host !== after.instance.address.host ||
    before.restarts !== after.restarts ||
    before.serving !== after.serving ||
    before.weighted !== after.weighted ||
    before.down !== after.down
  );
}
