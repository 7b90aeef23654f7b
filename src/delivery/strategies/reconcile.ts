// From the world a strategy wants to the actions that get there without a
// failed request: instances are added first, routing changes next (only
// towards revisions with a ready instance), and instances are removed last
// (never from a revision that still carries weight or the preview).
// Strategies say where to go; this module alone decides what is safe now.
import type { Action, Observed } from "../types.js";
import { liveCount, normalWeights, readyCount, sameWeights, weightOf } from "./observation.js";

export interface DesiredWorld {
  /** Absolute instance counts for the revisions the plan has an opinion on; others are left alone. */
  replicas: Map<string, number>;
  /** The split to route now (percent, adding up to 100); undefined leaves the routing as it is. */
  weights?: Record<string, number>;
  /** The revision behind the preview endpoint; null for none; undefined leaves it as it is. */
  preview?: string | null;
}

export interface Reconciled {
  actions: Action[];
  /** Why part of the desired world was held back this time. */
  heldBack: string[];
}

export function reconcile(desired: DesiredWorld, observed: Observed): Reconciled {
  const heldBack: string[] = [];
  const ups: Action[] = [];
  const downs: { revision: string; replicas: number }[] = [];
  for (const [revision, replicas] of desired.replicas) {
    const live = liveCount(observed, revision);
    if (replicas > live) ups.push({ type: "scale", revision, replicas });
    else if (replicas < live) downs.push({ revision, replicas });
  }

  const observedWeights = normalWeights(observed.weights);
  const observedPreview = observed.previewRevision ?? null;
  const wantWeights = desired.weights === undefined ? observedWeights : normalWeights(desired.weights);
  const wantPreview = desired.preview === undefined ? observedPreview : desired.preview;
  const routingChanges = !sameWeights(wantWeights, observedWeights) || wantPreview !== observedPreview;
  // Nothing to route to and nothing asked to run: the service is being turned off on purpose.
  const switchingOff = Object.keys(wantWeights).length === 0 && [...desired.replicas.values()].every((n) => n === 0);

  let route: Action | undefined;
  if (routingChanges && !switchingOff) {
    const total = Object.values(wantWeights).reduce((sum, w) => sum + w, 0);
    if (total !== 100) throw new Error(`a planner asked for weights adding up to ${total}: ${JSON.stringify(wantWeights)}`);
    const unready = [...Object.keys(wantWeights), ...(wantPreview === null ? [] : [wantPreview])].filter((r) => readyCount(observed, r) === 0);
    if (unready.length > 0) heldBack.push(`routing waits for a ready instance of ${[...new Set(unready)].join(", ")}`);
    else route = { type: "route", weights: wantWeights, preview: wantPreview };
  }
  const routingSettled = !routingChanges || route !== undefined || switchingOff;
  const weightsAfter = route === undefined ? observedWeights : wantWeights;
  const previewAfter = route === undefined ? observedPreview : wantPreview;

  const removals: Action[] = [];
  for (const { revision, replicas } of downs) {
    const carriedBefore = weightOf(observedWeights, revision) > 0 || observedPreview === revision;
    const carriesAfter = weightOf(weightsAfter, revision) > 0 || previewAfter === revision;
    if (!routingSettled && carriedBefore) {
      heldBack.push(`${revision} keeps its instances until routing has moved`);
    } else if (replicas === 0 && carriesAfter && !switchingOff) {
      heldBack.push(`${revision} keeps its instances while it carries traffic`);
    } else {
      removals.push({ type: "scale", revision, replicas });
    }
  }
  return { actions: [...ups, ...(route === undefined ? [] : [route]), ...removals], heldBack };
}
