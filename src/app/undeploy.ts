// Taking services out of an environment (`slipway undeploy <service…> | --all
// --env E`): each instance leaves the router first (drained: requests in
// flight finish), then gets SIGTERM and its grace period; the undeploy is
// recorded as the service's latest rollout (nothing serves, desired 0) and in
// the audit log, so `status` shows it gone and replica repair keeps it at 0.
// On a cluster its HTTPRoute, Services, Gateway listener and Secret are
// deleted too (the ReplicaSets stay as the revision history).
// A service others still depend on is refused unless they go too (--all) or
// --force says so. Dependents go first.
import type { LoadedService } from "../config/load-system.js";
import { killedWarning } from "../delivery/controller/action-applier.js";
import { recordNothingServes, servingRevision } from "../delivery/controller/begin-rollout.js";
import { acquireControllerLock, lockPath, type ControllerLock } from "../delivery/controller/controller-lock.js";
import { holdsForScaleDown } from "../delivery/controller/scale-down-finisher.js";
import { SlipwayError } from "../domain/errors.js";
import { didYouMean } from "../domain/did-you-mean.js";
import type { Identity } from "../release/identity.js";
import { SqliteReleaseStore } from "../store/sqlite/release-store.js";
import { otherEnvironmentControllerOf, scopeOf, type EnvironmentSession } from "./environment.js";
import type { Reporter } from "./events.js";

export interface UndeployRequest {
  services: string[];
  all?: boolean;
  force?: boolean;
}

export interface UndeployedService {
  service: string;
  revision?: string;
  instances: number;
}

/** Deployed: the latest rollout leaves a revision serving (not undeployed). */
function deployed(session: EnvironmentSession, service: string): boolean {
  return servingRevision(session.rollouts.latestRollout(scopeOf(session, service))) !== undefined;
}

export async function undeploy(session: EnvironmentSession, request: UndeployRequest, options: { reporter: Reporter; identity: Identity }): Promise<UndeployedService[]> {
  const env = session.environment.name;
  const configured = session.system.services.map((s) => s.config.name);
  if (request.all === true && request.services.length > 0) throw new SlipwayError("USAGE", "give service names or --all, not both");
  if (request.all !== true && request.services.length === 0) throw new SlipwayError("USAGE", "name the services to undeploy, or --all", { hint: `slipway undeploy <service…> --env ${env}` });
  for (const name of request.services) {
    if (!configured.includes(name)) {
      const guess = didYouMean(name, configured);
      throw new SlipwayError("USAGE", `there is no service "${name}"${guess === undefined ? "" : `; did you mean "${guess}"?`}`, { hint: `services: ${configured.join(", ")}` });
    }
  }
  await untilNoController(session);
  // Dependents first: the system's services come in dependency order.
  const ordered = [...session.system.services].reverse();
  const targets = ordered.filter((s) => (request.all === true ? deployed(session, s.config.name) : request.services.includes(s.config.name)));
  const names = new Set(targets.map((s) => s.config.name));
  const dependents = ordered.filter((s) => !names.has(s.config.name) && deployed(session, s.config.name) && s.config.dependsOn.some((d) => names.has(d)));
  if (dependents.length > 0 && request.force !== true) {
    const uses = dependents.map((s) => `${s.config.name} (dependsOn ${s.config.dependsOn.filter((d) => names.has(d)).join(", ")})`).join(", ");
    throw new SlipwayError("USAGE", `${[...names].join(", ")} ${names.size === 1 ? "is" : "are"} still used in ${env} by ${uses}`, {
      hint: `undeploy those too (name them, or --all), or pass --force to leave them calling a service that is gone`,
    });
  }
  for (const s of dependents) options.reporter.emit({ type: "warning", message: `warning: ${s.config.name} in ${env} depends on ${s.config.dependsOn.filter((d) => names.has(d)).join(", ")}, which is being undeployed (--force)` });
  for (const s of targets) {
    const latest = session.rollouts.latestRollout(scopeOf(session, s.config.name));
    if (latest !== undefined && !latest.finished) {
      throw new SlipwayError("ROLLOUT_IN_PROGRESS", `${s.config.name} in ${env} has a rollout in progress (${latest.id})`, { hint: `\`slipway rollout abort ${s.config.name} --env ${env}\` first, then undeploy` });
    }
  }
  const done: UndeployedService[] = [];
  for (const service of targets) done.push(await undeployOne(session, service, options));
  return done;
}

async function undeployOne(session: EnvironmentSession, service: LoadedService, options: { reporter: Reporter; identity: Identity }): Promise<UndeployedService> {
  const name = service.config.name;
  const scope = scopeOf(session, name);
  const lock = await serviceLockFor(session, name);
  try {
    const latest = session.rollouts.latestRollout(scope);
    const revision = servingRevision(latest);
    const revisions = session.rollouts.listRevisions(scope);
    // Out of the router first: requests in flight finish, no new ones come.
    const backends = await session.router.listBackends(name).catch(() => []);
    for (const b of backends) await session.router.removeBackend(name, b.name);
    const instances = await session.runtime.listInstances(scope);
    for (const instance of instances) {
      const grace = instance.phase === "exited" ? 0 : (revisions.find((r) => r.name === instance.revision)?.template.terminationGracePeriodSeconds ?? service.config.terminationGracePeriodSeconds);
      const removal = await session.runtime.removeInstance(instance, grace);
      if (removal.killedAfterGraceSeconds !== undefined) options.reporter.emit({ type: "warning", message: `warning: ${killedWarning(name, instance.name, removal.killedAfterGraceSeconds)}` });
    }
    // Nothing routes to it any more (on a cluster its HTTPRoute, Services and Gateway listener go; HAProxy keeps the endpoint, types.ts),
    // and nothing of it is kept but the revision history (on a cluster its Secret goes).
    await session.router.removeService?.(name);
    await session.runtime.removeService?.(scope);
    if (latest !== undefined) recordNothingServes(session.rollouts, session.system.config.system, latest, Date.now(), `undeployed by ${options.identity.name}`, { actor: options.identity.name, action: "undeploy" });
    new SqliteReleaseStore(session.store.db).appendAudit({
      actor: options.identity.name,
      action: "undeploy",
      subject: `${name}@${session.environment.name}`,
      detail: { ...(revision === undefined ? {} : { revision }), instances: instances.map((i) => i.name) },
    });
    options.reporter.emit({ type: "service.undeployed", service: name, environment: session.environment.name, instances: instances.length, ...(revision === undefined ? {} : { revision }) });
    return { service: name, instances: instances.length, ...(revision === undefined ? {} : { revision }) };
  } finally {
    lock.release();
  }
}

/** How long undeploy waits for a controller that is stopping: it lets go once its rollouts are saved (well under a second when idle). */
const STOPPING_CONTROLLER_WAIT_MS = 15_000;

/**
 * Refuses while a controller (`slipway serve`, `slipway controller`) runs
 * for the environment: it is the only router writer. One that is stopping
 * still holds its lock until it has saved where its rollouts are; undeploy
 * waits for that (bounded) instead of refusing a user who just stopped it.
 */
async function untilNoController(session: EnvironmentSession): Promise<void> {
  const env = session.environment.name;
  const deadline = Date.now() + STOPPING_CONTROLLER_WAIT_MS;
  for (;;) {
    const controller = otherEnvironmentControllerOf(session);
    if (controller === undefined) return;
    const who = `${controller.holder ?? "a slipway controller"} (process ${controller.pid})`;
    if (!controller.stopping) {
      throw new SlipwayError("ROLLOUT_IN_PROGRESS", `${who} runs the controller of ${env}, the environment's only router writer: undeploy does not go through it`, {
        hint: `stop it (Ctrl-C there, or kill -TERM ${controller.pid}), undeploy, then start it again`,
      });
    }
    if (Date.now() >= deadline) {
      throw new SlipwayError("ROLLOUT_IN_PROGRESS", `${who} is stopping but still holds the controller lock of ${env} after ${STOPPING_CONTROLLER_WAIT_MS / 1000} s: it is saving where its rollouts are`, {
        hint: `undeploy again once it has exited (its rollouts resume from the store on the next start)`,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The service's lock; a scale-down pass holding it is waited for, anything else (a rollout being driven) refuses. */
async function serviceLockFor(session: EnvironmentSession, service: string): Promise<ControllerLock> {
  const path = lockPath(session.system.stateDir, session.environment.name, service);
  for (;;) {
    const lock = acquireControllerLock(path);
    if (!("heldBy" in lock)) return lock;
    if (!holdsForScaleDown(path, lock.heldBy)) throw new SlipwayError("ROLLOUT_IN_PROGRESS", `process ${lock.heldBy} drives ${service} in ${session.environment.name}`, { hint: "wait for it to finish, then undeploy" });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
