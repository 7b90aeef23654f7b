// Exited instances the engine may start again by itself, kept for a grace
// period instead of being replaced — the rollout path's side of the replica
// repair's rule (replica-repair.ts): Docker's shutdown stops every container
// under `unless-stopped` and starts it again when the engine comes back, as
// the same container on the same address, but the Engine API cannot tell that
// from `docker stop`. Only "exited" is kept: a crash-looping ("restarting")
// instance during a rollout is replaced as before.
import type { Instance } from "../../runtime/types.js";
import type { EngineState } from "./replica-repair.js";

export type EngineStateOf = (instance: Instance) => Promise<EngineState | undefined>;

export class ExitGrace {
  /** Instance id → when it was first seen exited. */
  private readonly since = new Map<string, number>();

  constructor(
    private readonly engineStateOf: EngineStateOf,
    private readonly graceMs: number,
  ) {}

  /** The ids of the exited instances among `instances` that still count (within their grace). */
  async keep(instances: readonly Instance[], nowMs = Date.now()): Promise<Set<string>> {
    const exited = instances.filter((i) => i.phase === "exited");
    const states = await Promise.all(exited.map((i) => this.engineStateOf(i)));
    const kept = new Set<string>();
    exited.forEach((instance, n) => {
      if (states[n] !== "exited") return this.since.delete(instance.id);
      const since = this.since.get(instance.id) ?? nowMs;
      this.since.set(instance.id, since);
      if (nowMs - since < this.graceMs) kept.add(instance.id);
    });
    // Running again, or gone: forgotten, so a later exit starts a new grace.
    const exitedIds = new Set(exited.map((i) => i.id));
    for (const id of [...this.since.keys()]) if (!exitedIds.has(id)) this.since.delete(id);
    return kept;
  }
}
