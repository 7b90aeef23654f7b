// What a service's HTTPRoute should say, from the split Slipway asked for and
// the revisions that have serving pods; and whether the gateway has taken a
// route in. Pure, table-tested.
//
// The split is kept on the route itself (annotation org.slipway.split) as an
// ordered list: a revision joins at the end, so the first is the incumbent —
// the stable revision, which the stable Service selects — and the others are
// newcomers (canaries), which the `X-Slipway-Canary: always` rule reaches. A
// split of one revision starts the order again.
import type { RevisionPercentages } from "../types.js";

export const SPLIT_ANNOTATION = "org.slipway.split";
export const PREVIEW_ANNOTATION = "org.slipway.preview";

/** [revision, percent] in the order the revisions joined. */
export type OrderedSplit = readonly (readonly [string, number])[];

export function orderSplit(previous: OrderedSplit, percentages: RevisionPercentages): OrderedSplit {
  const wanted = new Map(Object.entries(percentages).filter(([, p]) => p > 0));
  const kept = previous.filter(([r]) => wanted.has(r)).map(([r]): [string, number] => [r, wanted.get(r) ?? 0]);
  const joined = [...wanted.keys()]
    .filter((r) => !previous.some(([p]) => p === r))
    .sort()
    .map((r): [string, number] => [r, wanted.get(r) ?? 0]);
  return [...kept, ...joined];
}

export function parseSplit(annotation: string | undefined): OrderedSplit {
  if (annotation === undefined) return [];
  try {
    const parsed = JSON.parse(annotation) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.filter((e): e is [string, number] => Array.isArray(e) && typeof e[0] === "string" && typeof e[1] === "number");
  } catch {
    return [];
  }
}

/** The incumbent: what the stable Service selects. */
export function stableRevision(split: OrderedSplit): string | undefined {
  return split[0]?.[0];
}

export interface RoutePlan {
  weights: { revision: string; weight: number }[];
  headerRevisions: string[];
}

/**
 * The weighted rule names the split's revisions that have a serving pod (a
 * backend with no endpoint would fail its share of requests); when none has
 * one, all of them, as asked. The header rule reaches the preview revision,
 * else the newcomers, where they have serving pods.
 */
export function planRoute(split: OrderedSplit, preview: string | undefined, serving: ReadonlySet<string>): RoutePlan {
  const reachable = split.filter(([r]) => serving.has(r));
  const weighted = (reachable.length > 0 ? reachable : split).map(([revision, weight]) => ({ revision, weight }));
  const header = preview !== undefined ? [preview] : split.slice(1).map(([r]) => r);
  return { weights: weighted, headerRevisions: header.filter((r) => serving.has(r)) };
}

interface RouteStatus {
  metadata?: { generation?: number };
  status?: { parents?: { parentRef?: { name?: string }; conditions?: { type?: string; status?: string; observedGeneration?: number; reason?: string; message?: string }[] }[] };
}

/**
 * Whether the gateway accepted the route at `generation` (or later) and
 * resolved its backends: Accepted and ResolvedRefs True for that generation
 * on the Gateway's parent status. `detail` says what is missing.
 */
export function routeTakenIn(route: RouteStatus, gateway: string, generation: number): { ok: boolean; detail: string } {
  const parent = route.status?.parents?.find((p) => p.parentRef?.name === gateway);
  if (parent === undefined) return { ok: false, detail: `no status from Gateway ${gateway} yet` };
  for (const type of ["Accepted", "ResolvedRefs"]) {
    const c = parent.conditions?.find((x) => x.type === type);
    if (c === undefined) return { ok: false, detail: `no ${type} condition yet` };
    if ((c.observedGeneration ?? 0) < generation) return { ok: false, detail: `${type} is for generation ${c.observedGeneration ?? 0}, not ${generation} yet` };
    if (c.status !== "True") return { ok: false, detail: `${type} is ${c.status ?? "unknown"}: ${c.reason ?? ""} ${c.message ?? ""}`.trim() };
  }
  return { ok: true, detail: `Accepted and ResolvedRefs for generation ${generation}` };
}
