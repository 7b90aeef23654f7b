// Percent per revision → weight per instance. Routers weigh instances, not
// revisions, and cap a weight (HAProxy: 256), so each revision gets exactly
// percent × K in total, K as large as the cap allows: shares between
// revisions are exact at 1% granularity, and the large K keeps the split
// between a revision's instances as even as integers can.
import { SlipwayError } from "../domain/errors.js";
import type { RevisionPercentages } from "./types.js";

export interface WeightedInstance {
  name: string;
  revision: string;
}

/** The split that instance weights give, in whole percent; undefined when no instance has weight. */
export function effectivePercentages(instances: readonly (WeightedInstance & { weight: number })[]): Record<string, number> | undefined {
  const total = instances.reduce((sum, i) => sum + i.weight, 0);
  if (total === 0) return undefined;
  const byRevision: Record<string, number> = {};
  for (const i of instances) byRevision[i.revision] = (byRevision[i.revision] ?? 0) + i.weight;
  return Object.fromEntries(Object.entries(byRevision).map(([revision, w]) => [revision, Math.round((w * 100) / total)]));
}

/** Throws ROUTER_INVALID_WEIGHTS unless every value is an integer 0–100 and they add up to 100. */
export function checkPercentages(service: string, percentages: RevisionPercentages): void {
  const entries = Object.entries(percentages);
  const bad = entries.filter(([, p]) => !Number.isInteger(p) || p < 0 || p > 100);
  if (bad.length > 0) {
    throw invalid(service, `percentages must be whole numbers from 0 to 100, got ${bad.map(([r, p]) => `${r}=${p}`).join(", ")}`);
  }
  const sum = entries.reduce((total, [, p]) => total + p, 0);
  if (sum !== 100) throw invalid(service, `percentages add up to ${sum}, not 100 (${entries.map(([r, p]) => `${r}=${p}`).join(", ") || "none given"})`);
}

/**
 * Weight per instance name. Instances of revisions not in `percentages` get 0.
 * A revision with a share but no instance is an error, unless `starved` is
 * "tolerate" (an instance went away after the split was set): then the
 * others keep their exact ratio and share its part.
 */
export function instanceWeights(
  service: string,
  percentages: RevisionPercentages,
  instances: readonly WeightedInstance[],
  maxWeight: number,
  starved: "refuse" | "tolerate" = "refuse",
): Map<string, number> {
  checkPercentages(service, percentages);
  const byRevision = new Map<string, string[]>();
  for (const instance of [...instances].sort((a, b) => a.name.localeCompare(b.name))) {
    byRevision.set(instance.revision, [...(byRevision.get(instance.revision) ?? []), instance.name]);
  }
  const empty = Object.entries(percentages).filter(([revision, p]) => p > 0 && !byRevision.has(revision));
  if (empty.length > 0 && starved === "refuse") {
    throw invalid(service, `revision ${empty.map(([r]) => r).join(", ")} has a share but no ready backend to take it`);
  }

  // The largest K with ceil(p·K / n) ≤ maxWeight for every revision.
  let scale = Number.POSITIVE_INFINITY;
  for (const [revision, p] of Object.entries(percentages)) {
    const n = byRevision.get(revision)?.length ?? 0;
    if (p > 0 && n > 0) scale = Math.min(scale, Math.floor((maxWeight * n) / p));
  }
  if (scale === Number.POSITIVE_INFINITY) scale = 0;

  const weights = new Map<string, number>();
  for (const [revision, names] of byRevision) {
    const total = (percentages[revision] ?? 0) * scale;
    const base = Math.floor(total / names.length);
    const remainder = total - base * names.length;
    names.forEach((name, i) => weights.set(name, base + (i < remainder ? 1 : 0)));
  }
  return weights;
}

function invalid(service: string, detail: string): SlipwayError {
  return new SlipwayError("ROUTER_INVALID_WEIGHTS", `cannot split traffic of service ${service}: ${detail}`, {
    hint: "give every revision a whole percentage, name only revisions that have ready backends, and make the shares add up to 100",
  });
}
