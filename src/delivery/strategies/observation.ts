// Reading an observation: counts of a revision's instances in the states the
// planners reason about (live, ready, available), and weight tables compared
// by value.
import type { Observed, ObservedInstance } from "../types.js";

function instancesOf(observed: Observed, revision: string | undefined): ObservedInstance[] {
  if (revision === undefined) return [];
  return observed.revisions.find((r) => r.revision === revision)?.instances ?? [];
}

/** Instances that exist and have not exited: what a ReplicaSet's spec.replicas counts. */
export function liveCount(observed: Observed, revision: string | undefined): number {
  return instancesOf(observed, revision).filter((i) => i.phase !== "exited").length;
}

export function readyCount(observed: Observed, revision: string | undefined): number {
  return instancesOf(observed, revision).filter((i) => i.phase !== "exited" && i.ready).length;
}

/** When a ready instance counts as available: minReadySeconds after it turned ready. An unknown start counts as now. */
function availableFromMs(instance: ObservedInstance, observed: Observed, minReadyMs: number): number {
  return (instance.readySinceMs ?? observed.nowMs) + minReadyMs;
}

/** Ready for at least minReadySeconds, as Kubernetes counts availableReplicas. */
export function availableCount(observed: Observed, revision: string | undefined, minReadyMs = 0): number {
  return instancesOf(observed, revision).filter(
    (i) => i.phase !== "exited" && i.ready && (minReadyMs === 0 || availableFromMs(i, observed, minReadyMs) <= observed.nowMs),
  ).length;
}

/** The next moment a ready-but-not-yet-available instance becomes available, so the controller knows when to plan again. */
export function nextAvailableMs(observed: Observed, revision: string | undefined, minReadyMs: number): number | undefined {
  if (minReadyMs === 0) return undefined;
  const times = instancesOf(observed, revision)
    .filter((i) => i.phase !== "exited" && i.ready)
    .map((i) => availableFromMs(i, observed, minReadyMs))
    .filter((t) => t > observed.nowMs);
  return times.length === 0 ? undefined : Math.min(...times);
}

/** The weights without zero entries, keys sorted: the canonical form to compare and to emit. */
export function normalWeights(weights: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(weights)
      .filter(([, w]) => w > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

export function sameWeights(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  return JSON.stringify(normalWeights(a)) === JSON.stringify(normalWeights(b));
}

export function weightOf(weights: Readonly<Record<string, number>>, revision: string | undefined): number {
  return revision === undefined ? 0 : (weights[revision] ?? 0);
}

/** A two-revision split at `weight` percent for `canary`; a revision at 0% is left out. */
export function splitWeights(stable: string, canary: string, weight: number): Record<string, number> {
  if (stable === canary) return { [stable]: 100 };
  return normalWeights({ [stable]: 100 - weight, [canary]: weight });
}
