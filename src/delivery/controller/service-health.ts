// A service's health for `slipway status`, from what the runtime and the
// router say now — not from how its last rollout ended. A rollout that
// finished healthy says nothing about instances removed since, a router that
// died, or a controller that is not running to repair them: the service is
// then degraded, and the reason says which. Pure: the caller observes.
import type { CompletionOutcome } from "../types.js";

export type ServiceHealth = "healthy" | "degraded" | "progressing" | "paused" | "not deployed";

export interface HealthObservation {
  /** The service's latest rollout; undefined when it was never deployed. */
  rollout?: { finished: boolean; outcome?: CompletionOutcome; userPaused: boolean; pausedForPerson: boolean };
  /** Instances the serving revision should have (the replica count its rollout recorded). */
  desired: number;
  /** Instances of the serving revision the runtime reports running (not exited). */
  running: number;
  /** Of those, the ones answering their readiness probe now. */
  ready: number;
  /** The router's share of traffic for the serving revision, 0–100; undefined when the router does not answer. */
  trafficPercent: number | undefined;
}

export interface HealthVerdict {
  health: ServiceHealth;
  /** Why it is not healthy, for a person. */
  reason?: string;
}

export function serviceHealth(o: HealthObservation): HealthVerdict {
  if (o.rollout === undefined) return { health: "not deployed" };
  if (!o.rollout.finished) return o.rollout.userPaused || o.rollout.pausedForPerson ? { health: "paused", reason: "the rollout waits for a person" } : { health: "progressing" };
  if (o.rollout.outcome === "degraded") return { health: "degraded", reason: "its last rollout ended degraded" };
  if (o.trafficPercent === undefined) return { health: "degraded", reason: "the router does not answer" };
  if (o.running < o.desired) return { health: "degraded", reason: `${o.running} of ${o.desired} instances run` };
  if (o.ready < o.desired) return { health: "degraded", reason: `${o.ready} of ${o.desired} instances ready` };
  if (o.desired > 0 && o.trafficPercent === 0) return { health: "degraded", reason: "the router sends it no traffic" };
  return { health: "healthy" };
}

/**
 * The `ready` cell: the serving revision's ready instances of the desired
 * count, and apart from them those of other revisions — after a healthy
 * rollout, the previous revision kept warm until its scale-down (it was
 * shown as "4/2", which reads as a surge nobody asked for).
 */
export function readyCell(o: { desired: number; readyServing: number; readyOther: number; rollout: { finished: boolean; outcome?: CompletionOutcome } }): string {
  const cell = `${o.readyServing}/${o.desired}`;
  if (o.readyOther === 0) return cell;
  const kept = o.rollout.finished && o.rollout.outcome === "healthy";
  return `${cell} (+${o.readyOther} ${kept ? "kept for rollback" : "of other revisions"})`;
}
