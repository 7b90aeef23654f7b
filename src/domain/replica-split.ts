// A canary weight as a replica ratio, for traffic split by replicas behind one
// Service (kubernetes.traffic: replicas, ADR 26). Pure: the canary planner
// sizes revisions with it and validate says what each step becomes.

/** A canary weight as a replica ratio: instances of each revision and the share of traffic that ratio gives. */
export interface ReplicaSplit {
  canary: number;
  stable: number;
  /** The canary's share, whole percent: 100 × canary / (canary + stable), rounded. */
  percent: number;
}

/**
 * Argo Rollouts' basic canary (no traffic router): the service's `replicas`
 * are shared out so that the canary's part comes nearest to `weight` — the
 * canary gets round(replicas × weight / 100), at least one while the weight
 * is above 0 and at most replicas − 1 while it is below 100, so both
 * revisions serve — and the stable the rest. One replica cannot be split:
 * then the canary runs beside it (50%); validate refuses such a config.
 */
export function replicaSplit(replicas: number, weight: number): ReplicaSplit {
  if (weight <= 0 || replicas <= 0) return { canary: 0, stable: replicas, percent: 0 };
  if (weight >= 100) return { canary: replicas, stable: 0, percent: 100 };
  if (replicas === 1) return { canary: 1, stable: 1, percent: 50 };
  const canary = Math.min(replicas - 1, Math.max(1, Math.round((replicas * weight) / 100)));
  return { canary, stable: replicas - canary, percent: Math.round((canary * 100) / replicas) };
}

/** The canary weights `replicas` can give exactly, between 0 and 100 (e.g. 4: 25, 50, 75). */
export function achievableWeights(replicas: number): number[] {
  const weights: number[] = [];
  for (let canary = 1; canary < replicas; canary++) if ((canary * 100) % replicas === 0) weights.push((canary * 100) / replicas);
  return weights;
}
