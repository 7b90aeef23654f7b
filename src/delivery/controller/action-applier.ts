// Carries out a plan's actions through the runtime, the router and the
// analysis runs, in the plan's order, stopping at the first failure. Every
// action is absolute and idempotent (see ../types.ts), so applying one again
// after a crash is harmless. The one rule that keeps requests from failing
// lives here too: an instance leaves the router (drained) before it stops.
import { SlipwayError } from "../../domain/errors.js";
import type { Instance } from "../../runtime/types.js";
import type { Action, CompletionOutcome } from "../types.js";
import { instanceSpecFor } from "./revision-template.js";
import type { ServiceWorld } from "./service-world.js";

export type ApplyResult = { kind: "wait"; untilMs?: number; reason: string } | { kind: "complete"; outcome: CompletionOutcome; reason?: string };

export class ActionApplier {
  constructor(
    private readonly world: ServiceWorld,
    private readonly hostEnv: Readonly<Record<string, string | undefined>>,
    /** Things a person should act on, e.g. an instance that had to be killed. */
    private readonly warn: (line: string) => void = () => undefined,
  ) {}

  async apply(rolloutId: string, actions: readonly Action[]): Promise<ApplyResult> {
    for (const action of actions) {
      switch (action.type) {
        case "scale":
          await this.scale(action.revision, action.replicas);
          break;
        case "route":
          await this.route(action.weights, action.preview);
          break;
        case "startAnalysis":
          this.world.deps.analyses.start({ rolloutId, key: action.key, metrics: action.metrics, revision: action.revision, baseline: action.baseline });
          break;
        case "stopAnalysis":
          this.world.deps.analyses.stop(rolloutId, action.key);
          break;
        case "forgetRevisions":
          // The platform's objects first: a crash in between leaves the records, and the next plan forgets them again.
          await this.world.deps.runtime.forgetRevisions?.(this.world.scope, action.revisions);
          this.world.deps.store.deleteRevisions(this.world.scope, action.revisions);
          break;
        case "wait":
          return { kind: "wait", reason: action.reason, ...(action.untilMs === undefined ? {} : { untilMs: action.untilMs }) };
        case "complete":
          return { kind: "complete", outcome: action.outcome, ...(action.reason === undefined ? {} : { reason: action.reason }) };
      }
    }
    throw new SlipwayError("INTERNAL", `the plan for rollout ${rolloutId} did not end with wait or complete`);
  }

  /**
   * Exactly `replicas` live instances: exited ones go (but those the engine may
   * start again count, within their grace: ExitGrace), missing ones are
   * created, surplus ones (not ready first, then newest) are drained and stopped.
   */
  private async scale(revisionName: string, replicas: number): Promise<void> {
    const revision = this.world.revisions().find((r) => r.name === revisionName);
    const instances = await this.world.instances(revisionName);
    if (revision === undefined) {
      if (replicas > 0) throw new SlipwayError("INTERNAL", `a plan scales revision ${revisionName} of ${this.world.scope.service}, which the store does not know`);
      await Promise.all(instances.map((i) => this.retire(i, 0)));
      return;
    }
    const grace = revision.template.terminationGracePeriodSeconds;
    const kept = await this.world.exitedToKeep(instances);
    await Promise.all(instances.filter((i) => i.phase === "exited" && !kept.has(i.id)).map((i) => this.retire(i, 0)));
    const live = instances.filter((i) => i.phase !== "exited" || kept.has(i.id));
    if (live.length < replicas) {
      const spec = instanceSpecFor(revision, this.hostEnv);
      await Promise.all(
        Array.from({ length: replicas - live.length }, async () => {
          const created = await this.world.deps.runtime.createInstance(spec);
          this.world.deps.tracker.track(created, revision.template.readiness);
        }),
      );
    } else if (live.length > replicas) {
      const tracker = this.world.deps.tracker;
      const surplus = [...live]
        .sort((a, b) => Number(tracker.readinessOf(a.id).ready) - Number(tracker.readinessOf(b.id).ready) || b.createdAt.localeCompare(a.createdAt))
        .slice(0, live.length - replicas);
      await Promise.all(surplus.map((i) => this.retire(i, grace)));
    }
  }

  /** Out of the router first (in-flight requests finish), then SIGTERM and the grace period. */
  private async retire(instance: Instance, graceSeconds: number): Promise<void> {
    await this.world.deps.router.removeBackend(this.world.scope.service, instance.name);
    this.world.deps.tracker.forget(instance.id);
    const removal = await this.world.deps.runtime.removeInstance(instance, graceSeconds);
    if (removal.killedAfterGraceSeconds !== undefined) this.warn(killedWarning(this.world.scope.service, instance.name, removal.killedAfterGraceSeconds));
  }

  private async route(weights: Record<string, number>, preview: string | null): Promise<void> {
    const { router } = this.world.deps;
    const service = this.world.scope.service;
    const shares = Object.fromEntries(Object.entries(weights).filter(([, w]) => w > 0));
    if (Object.keys(shares).length > 0) await router.setRevisionWeights(service, shares);
    for (const backend of await router.listBackends(service)) {
      const role = preview !== null && backend.revision === preview ? "preview" : "stable";
      if (backend.role !== role) await router.setBackendRole(service, backend.name, role);
    }
  }
}

/** An instance ignored SIGTERM for its whole grace period: every scale-down of it takes that long, and in-flight work is cut off. */
export function killedWarning(service: string, instance: string, graceSeconds: number): string {
  return `${service}: instance ${instance} did not exit within its ${graceSeconds}s grace period after SIGTERM and was killed (SIGKILL); make the service exit on SIGTERM — as PID 1 a process gets no default handler (see "Stopping gracefully" in docs/service-authors.md)`;
}
