// Counts from a rollout spec, and traffic split into percentages, rounded the
// way Kubernetes and Argo Rollouts round them, so a spec behaves the same here
// as on a cluster.

/** A count, or a percentage such as "25%" (the schema's intOrPercent). */
export type IntOrPercent = number | string;

/** Kubernetes' GetScaledValueFromIntOrPercent: a percentage of `total`, rounded up or down; a count as it is. */
export function scaledValue(value: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof value === "number") return value;
  const match = /^(\d+)%$/.exec(value);
  if (match === null) throw new Error(`"${value}" is neither a count nor a percentage such as "25%"`);
  const scaled = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}

export interface RollingBounds {
  /** Instances allowed above the desired count. */
  maxSurge: number;
  /** Instances allowed below the desired count being available. */
  maxUnavailable: number;
}

/**
 * Kubernetes' ResolveFenceposts plus MaxUnavailable: surge rounds up,
 * unavailable rounds down; when both come to 0, unavailable becomes 1 (or a
 * rollout could never move); unavailable never exceeds the desired count,
 * and is 0 when that is 0.
 */
export function resolveRollingBounds(maxSurge: IntOrPercent, maxUnavailable: IntOrPercent, replicas: number): RollingBounds {
  const surge = scaledValue(maxSurge, replicas, true);
  let unavailable = scaledValue(maxUnavailable, replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { maxSurge: surge, maxUnavailable: replicas === 0 ? 0 : Math.min(unavailable, replicas) };
}

/**
 * Argo Rollouts' canary size for a traffic weight: ceil(replicas × weight / 100),
 * and at least one instance while the weight is above 0, so a weight always
 * has an instance to go to.
 */
export function canaryReplicas(replicas: number, weight: number): number {
  if (weight <= 0) return 0;
  return Math.max(1, Math.ceil((replicas * weight) / 100));
}

/** Percentages proportional to counts, adding up to 100 (largest remainder; ties to the earlier entry). Undefined when all counts are 0. */
export function proportionalWeights(counts: readonly (readonly [string, number])[]): Record<string, number> | undefined {
  const total = counts.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return undefined;
  const shares = counts.map(([revision, n], index) => ({ revision, index, floor: Math.floor((n * 100) / total), remainder: (n * 100) % total }));
  let left = 100 - shares.reduce((sum, x) => sum + x.floor, 0);
  for (const x of [...shares].sort((a, b) => b.remainder - a.remainder || a.index - b.index)) {
    if (left === 0) break;
    x.floor += 1;
    left -= 1;
  }
  return Object.fromEntries(shares.filter((x) => x.floor > 0).map((x) => [x.revision, x.floor]));
}
