// Replica repair of a settled service, as Kubernetes' ReplicaSet controller
// keeps a ReplicaSet at its replica count: pure planning from what was
// observed to the actions that bring the serving revision back to its
// desired number of ready, routed instances. `replica-repairer.ts` observes
// and applies; `slipway controller --env` runs it for every service whose
// latest rollout has finished (a rollout in flight belongs to the rollout loop).
//
// Docker's `unless-stopped` policy restarts a crashed process in the same
// container; that is not fought: an instance that is restarting (or paused)
// still counts for `unavailableGraceMs` from when it was first seen so, and
// one that exited under that policy for `exitedGraceMs` — the engine's own
// shutdown stops every container (and still answers the API meanwhile), then
// starts them again when it comes back, as the same containers on the same
// addresses; meanwhile it stays routed (the router's health check keeps
// traffic off its dead address) so it takes its share again the moment it
// answers. Only one the engine will not start again (stopped), one
// unavailable for longer, or one that is gone is replaced.
import type { BackendRole, BackendState } from "../../router/types.js";

/**
 * What the engine says of an instance, finer than the runtime's phase (which
 * folds restarting into exited). "exited": not running, but its restart policy
 * starts it again when the engine starts — stopped by the engine's shutdown
 * (which leaves it to be restarted) or by hand (which does not); the Engine API
 * cannot tell the two apart. "stopped": the engine will not start it again.
 */
export type EngineState = "starting" | "running" | "restarting" | "paused" | "exited" | "stopped";

export interface RepairInstance {
  id: string;
  name: string;
  revision: string;
  state: EngineState;
  /** The readiness tracker's verdict (kubelet rules); only kept for the settled revision. */
  ready: boolean;
  /** Restarting, paused or exited: when it was first seen so without being ready since. */
  unavailableSinceMs?: number;
  /** ISO time; the newest surplus instance goes first. */
  createdAt: string;
}

export interface RepairBackend {
  name: string;
  revision: string;
  role: BackendRole;
  state: BackendState;
  weight: number;
}

export interface RepairObservation {
  /** The revision the finished rollout left serving: its target when healthy, its stable one when aborted. */
  revision: string;
  desiredReplicas: number;
  nowMs: number;
  /** Every instance of the service, whatever its revision. */
  instances: readonly RepairInstance[];
  /** The service's router backends. */
  backends: readonly RepairBackend[];
}

export interface RepairOptions {
  /** How long a restarting or paused instance still counts before it is replaced. */
  unavailableGraceMs: number;
  /** How long an exited instance whose restart policy brings it back with the engine still counts before it is replaced. */
  exitedGraceMs: number;
}

/**
 * In the order they are applied: out of the router first, then containers
 * removed (grace 0 for dead ones, the revision's grace for surplus ones),
 * then new instances created; ready ones are routed once the tracker says so.
 */
export type RepairAction =
  | { type: "unroute"; backend: string; reason: string }
  | { type: "remove"; instance: string; graceful: boolean; reason: string }
  | { type: "create"; count: number; reason: string }
  | { type: "route"; instance: string; role: BackendRole; weight: number };

/**
 * Docker's restart back-off tops out at one minute; twice that is "not coming
 * back by itself". An engine shutting down gives its containers at most its
 * shutdown timeout (15 s by default) and answers until it exits; once it
 * answers again it has started them (restore runs before the API serves).
 * A minute covers that with room; a container stopped by hand is replaced
 * after it (it is out of the router at once, so only capacity waits).
 */
export const DEFAULT_REPAIR_OPTIONS: RepairOptions = { unavailableGraceMs: 120_000, exitedGraceMs: 60_000 };

/** States in which an instance still counts, for a grace period, because the engine may bring it back. */
function graceOf(state: EngineState, options: RepairOptions): number | undefined {
  if (state === "restarting" || state === "paused") return options.unavailableGraceMs;
  if (state === "exited") return options.exitedGraceMs;
  return undefined;
}

export function planReplicaRepair(observed: RepairObservation, options: RepairOptions = DEFAULT_REPAIR_OPTIONS): RepairAction[] {
  const ours = observed.instances.filter((i) => i.revision === observed.revision);
  const dead = ours.filter((i) => {
    const grace = graceOf(i.state, options);
    return i.state === "stopped" || (grace !== undefined && !i.ready && observed.nowMs - (i.unavailableSinceMs ?? observed.nowMs) >= grace);
  });
  const deadNames = new Set(dead.map((i) => i.name));
  const counted = ours.filter((i) => !deadNames.has(i.name));
  // Surplus (a ReplicaSet scales down too): not ready first, then the newest.
  const surplus = [...counted].sort((a, b) => Number(a.ready) - Number(b.ready) || b.createdAt.localeCompare(a.createdAt)).slice(0, Math.max(0, counted.length - observed.desiredReplicas));
  const surplusNames = new Set(surplus.map((i) => i.name));
  const byName = new Map(observed.instances.map((i) => [i.name, i]));

  const unroutes: RepairAction[] = [];
  for (const b of observed.backends) {
    const why = unrouteReason(b, byName.get(b.name), observed.revision, deadNames, surplusNames);
    if (why !== undefined) unroutes.push({ type: "unroute", backend: b.name, reason: why });
  }
  const unrouted = new Set(unroutes.map((a) => (a.type === "unroute" ? a.backend : "")));

  const removals: RepairAction[] = [
    ...dead.map((i): RepairAction => ({ type: "remove", instance: i.name, graceful: false, reason: i.state === "stopped" ? "it exited and the engine will not start it again" : `it has been ${i.state} for ${Math.round((observed.nowMs - (i.unavailableSinceMs ?? observed.nowMs)) / 1000)} s` })),
    ...surplus.map((i): RepairAction => ({ type: "remove", instance: i.name, graceful: true, reason: `surplus: ${counted.length} instances, ${observed.desiredReplicas} wanted` })),
  ];
  const missing = observed.desiredReplicas - counted.length;
  const creations: RepairAction[] = missing > 0 ? [{ type: "create", count: missing, reason: `${counted.length} of ${observed.desiredReplicas} instances exist` }] : [];

  // A ready instance of the revision that the router does not route (a replacement that became ready) joins its revision's share.
  const routedReady = new Set(observed.backends.filter((b) => b.state === "ready" && !unrouted.has(b.name)).map((b) => b.name));
  const siblings = observed.backends.filter((b) => b.revision === observed.revision && b.state === "ready" && !unrouted.has(b.name));
  const role: BackendRole = observed.backends.some((b) => b.role === "preview" && b.revision === observed.revision) ? "preview" : "stable";
  // Under a revision split the router gives the newcomer its part of the revision's share whatever weight it is given.
  const weight = Math.max(1, ...siblings.map((b) => b.weight));
  const routes: RepairAction[] = counted
    .filter((i) => i.ready && i.state === "running" && !surplusNames.has(i.name) && !routedReady.has(i.name))
    .map((i) => ({ type: "route", instance: i.name, role, weight }));

  return [...unroutes, ...removals, ...creations, ...routes];
}

/** Why a backend leaves the router, or undefined when it stays. Backends of other revisions whose containers live are left alone. */
function unrouteReason(backend: RepairBackend, instance: RepairInstance | undefined, revision: string, dead: ReadonlySet<string>, surplus: ReadonlySet<string>): string | undefined {
  if (instance === undefined) return "its container is gone";
  if (instance.state === "stopped") return "its container exited";
  if (instance.revision !== revision) return instance.state === "exited" ? "its container exited" : undefined;
  if (dead.has(instance.name)) return `it has been ${instance.state} too long`;
  // Within its grace an exited instance keeps its slot and weight: the router's own health check keeps
  // traffic off the dead address and sends it again once the engine has restarted it (same address).
  if (instance.state === "exited") return undefined;
  if (surplus.has(instance.name)) return "surplus instance";
  if (!instance.ready) return "not ready";
  // Left draining by a removal that never finished, while the instance lives on: routed afresh.
  if (backend.state === "draining") return "left draining; routed again";
  return undefined;
}

/** One line per action, for the controller's log. */
export function describeRepair(action: RepairAction): string {
  switch (action.type) {
    case "unroute":
      return `took ${action.backend} out of the router (${action.reason})`;
    case "remove":
      return `removed instance ${action.instance} (${action.reason})`;
    case "create":
      return `creating ${action.count} instance${action.count === 1 ? "" : "s"} (${action.reason})`;
    case "route":
      return `routed ${action.instance} (ready)`;
  }
}
