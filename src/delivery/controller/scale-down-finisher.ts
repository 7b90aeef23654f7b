// Finishes the scale-down a finished rollout left behind (strategies/
// scale-down.ts): a rollout ends once traffic is settled, and the revisions
// it kept warm for a rollback go at their scale-down time. `slipway
// controller` runs a pass per settled service beside replica repair; when no
// controller runs, the command that finished the rollout starts a detached
// `slipway scale-down --env E`, which runs passes until nothing is left.
// Each pass holds the service's lock, so it never overlaps a rollout loop of
// the same service (which inherits the timers and finishes them itself).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { planScaleDown } from "../strategies/scale-down.js";
import { ActionApplier } from "./action-applier.js";
import { acquireControllerLock } from "./controller-lock.js";
import { createServiceController, type ServiceControllerDeps } from "./service-controller.js";
import type { RolloutStore, ServiceScope } from "./store-port.js";

export interface ScaleDownDeps extends Omit<ServiceControllerDeps, "metricsFor"> {
  /** The service's controller lock (lockPath). */
  lockPath: string;
  log: (line: string) => void;
  hostEnv?: Readonly<Record<string, string | undefined>>;
}

export type ScaleDownPass =
  | { kind: "skipped"; reason: string; retryAtMs?: number }
  /** nextAtMs: the next scale-down time still ahead; none when the service has nothing left to scale down. */
  | { kind: "done"; removed: string[]; nextAtMs?: number };

/** Quick check without the lock: does the service's finished rollout still keep anything, by the store alone? */
export function keepsRevisionsWarm(store: RolloutStore, scope: ServiceScope): boolean {
  const latest = store.latestRollout(scope);
  return latest !== undefined && latest.finished && latest.outcome !== "degraded" && latest.state.scaleDownAt.length > 0;
}

export async function scaleDownPass(deps: ScaleDownDeps): Promise<ScaleDownPass> {
  const latest = deps.store.latestRollout(deps.scope);
  if (latest === undefined || !latest.finished) return { kind: "skipped", reason: "a rollout is in flight: it scales down what it inherited" };
  const lock = acquireControllerLock(deps.lockPath);
  if ("heldBy" in lock) return { kind: "skipped", reason: `process ${lock.heldBy} drives the service`, retryAtMs: Date.now() + 1000 };
  const controller = createServiceController({ ...deps, metricsFor: () => [] });
  writeFileSync(markerPath(deps.lockPath), String(process.pid));
  try {
    // Looked at again under the lock: a rollout may have begun meanwhile.
    const now = deps.store.latestRollout(deps.scope);
    if (now === undefined || !now.finished || now.id !== latest.id) return { kind: "skipped", reason: "a rollout began" };
    const { observed } = await controller.world.observe(now.id);
    const plan = planScaleDown(now.state, now.outcome ?? "healthy", observed);
    for (const revision of plan.carrying) deps.log(`${revision} is due to scale down but still carries traffic; left running`);
    if (plan.actions.length > 0) {
      deps.log(`scaling down ${plan.actions.map((a) => a.revision).join(", ")} (its scale-down time has come)`);
      await new ActionApplier(controller.world, deps.hostEnv ?? process.env, deps.log).apply(now.id, [...plan.actions, { type: "wait", reason: "scaled down" }]);
    }
    return { kind: "done", removed: plan.actions.map((a) => a.revision), ...(plan.nextAtMs === undefined ? {} : { nextAtMs: plan.nextAtMs }) };
  } finally {
    controller.close();
    rmSync(markerPath(deps.lockPath), { force: true });
    lock.release();
  }
}

/** Beside the service's lock while a scale-down pass holds it: a rollout wanting the lock waits for the pass instead of following a rollout nobody drives. */
function markerPath(lockPath: string): string {
  return `${lockPath}.scale-down`;
}

/** True when `pid`, which holds the service's lock, is running a scale-down pass (short: it ends by itself). */
export function holdsForScaleDown(lockPath: string, pid: number): boolean {
  try {
    return Number(readFileSync(markerPath(lockPath), "utf8").trim()) === pid;
  } catch {
    return false;
  }
}
