// Applies a rollout.progress event from the event stream to an overview
// cell at once — weights, readiness and the rollout's phase — so a change
// shows without waiting for GET /api/status, which asks every runtime and
// router again and is refetched behind it.
import { servingFirst, servingLabels, type OverviewCell, type TrafficShare } from "./overview.js";

/** The parts of a rollout.progress event (src/app/events.ts) the overview reads. */
export interface ProgressEvent {
  type: "rollout.progress";
  service: string;
  environment: string;
  rolloutId: string;
  state: { phase: string; userPaused: boolean; targetRevision: string; desiredReplicas: number };
  observed: { weights: Record<string, number>; revisions: { revision: string; image: string; instances: { ready: boolean; phase: string }[] }[] };
}

/** sha256:0123456789ab… → sha256:0123456789ab (what `slipway status` shows). */
export function shortDigest(image: string): string {
  const digest = image.includes("@") ? (image.split("@")[1] ?? "") : image;
  return digest.slice(0, 19);
}

/** A revision's label: its version when known (from rollout.started or the status), else its short digest. */
export function revisionLabel(revision: string, image: string | undefined, versions: ReadonlyMap<string, string>): string {
  return versions.get(revision) ?? (image === undefined ? revision : shortDigest(image));
}

export function rolloutText(state: { phase: string; userPaused: boolean }): string {
  return `${state.phase}${state.userPaused ? " (paused)" : ""}`;
}

export function patchCell(cell: OverviewCell, event: ProgressEvent, versions: ReadonlyMap<string, string>): OverviewCell {
  const images = new Map(event.observed.revisions.map((r) => [r.revision, r.image]));
  const traffic: TrafficShare[] = Object.entries(event.observed.weights)
    .filter(([, percent]) => percent > 0)
    .map(([revision, percent]) => ({ label: revisionLabel(revision, images.get(revision), versions), percent }));
  const target = event.observed.revisions.find((r) => r.revision === event.state.targetRevision);
  const ready = target?.instances.filter((i) => i.ready && i.phase !== "exited").length ?? 0;
  const base = cell.status ?? { environment: event.environment, service: event.service, version: "-", digest: "" };
  return { ...cell, traffic: servingFirst(traffic, servingLabels(cell.status)), status: { ...base, rollout: rolloutText(event.state), ready: `${ready}/${event.state.desiredReplicas}` } };
}
