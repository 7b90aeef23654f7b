// Disaster recovery. A snapshot is the system lock of an environment — each
// service's serving revision from the store, checked against the running
// instances — and a restore redeploys exactly those digests onto a target
// environment through the rollout controller, dependencies first, as a
// deploy does.
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { alreadyServes, beginRollout, recordNothingServes, servingRevision } from "../delivery/controller/begin-rollout.js";
import { ensureImagePresent } from "../delivery/controller/image-presence.js";
import { revisionName } from "../delivery/controller/revision-template.js";
import type { InstanceTemplate, ServiceScope } from "../delivery/controller/store-port.js";
import {
  buildLock,
  checkLockFits,
  dependenciesOutsideLock,
  lockService,
  parseLock,
  restoreOrder,
  targetTemplate,
  type LockedService,
  type OmittedService,
  type SystemLock,
} from "../delivery/recovery/system-lock.js";
import type { ReadinessProbe } from "../domain/config-schema.js";
import { SlipwayError, asSlipwayError } from "../domain/errors.js";
import { dependencyUrls, endpointPort } from "../domain/placement.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import { parseImageReference } from "../registry/reference.js";
import { drive, originOf, untilPausedByHand } from "./drive.js";
import { endpointsOf, routeService, scopeOf, serviceOf, type EnvironmentSession } from "./environment.js";
import type { Reporter } from "./events.js";
import { clusterDependencyUrls } from "./kubernetes-environment.js";
import { countReady } from "./ready-instances.js";
import { registryClient } from "./registry-clients.js";

/** Instances of a revision that answer their readiness probe now. */
async function readyInstances(session: EnvironmentSession, scope: ServiceScope, revision: string, readiness: ReadinessProbe): Promise<number> {
  const instances = (await session.runtime.listInstances({ ...scope, revision })).filter((i) => i.phase !== "exited");
  return countReady(session.runtime, instances, readiness);
}

/** The `<DEPENDENCY>_URL` variables slipway gives a service in this environment (cluster DNS names on Kubernetes; host network only on Docker). */
function injectedUrls(session: EnvironmentSession, service: { name: string; dependsOn: readonly string[] }): Record<string, string> {
  const known = session.system.services.map((s) => s.config);
  if (session.kubernetes !== undefined) return clusterDependencyUrls(session.kubernetes.scope, service.dependsOn.filter((d) => known.some((k) => k.name === d)), session.system);
  if (session.environment.network !== "host") return {};
  return dependencyUrls({ name: service.name, dependsOn: service.dependsOn.filter((d) => known.some((k) => k.name === d)) }, known, session.portOffset, session.environment.endpointPorts);
}

/** Reads and checks a lock file written by `slipway snapshot`. */
export function readLock(file: string): SystemLock {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new SlipwayError("USAGE", `cannot read the lock ${file}: ${(err as Error).message}`, { hint: "take one with `slipway snapshot --env <env> -o <file>`" });
  }
  return parseLock(text, file);
}

// --------------------------------------------------------------- snapshot

export interface Snapshot {
  lock: SystemLock;
  locked: LockedService[];
  omitted: OmittedService[];
}

export async function takeSnapshot(session: EnvironmentSession, opts: { allowPartial?: boolean }): Promise<Snapshot> {
  if (session.kubernetes === undefined) await session.engine.ping();
  const locked: LockedService[] = [];
  const omitted: OmittedService[] = [];
  for (const name of session.system.graph.topologicalOrder()) {
    const service = serviceOf(session.system, name);
    const scope = scopeOf(session, name);
    const latest = session.rollouts.latestRollout(scope);
    const revisions = session.rollouts.listRevisions(scope);
    const serving = revisions.find((r) => r.name === servingRevision(latest));
    const ready = serving === undefined ? 0 : await readyInstances(session, scope, serving.name, serving.template.readiness);
    const result = lockService({ service: name, latest, revisions, readyInstances: ready, dependsOn: service.config.dependsOn, injectedUrls: injectedUrls(session, service.config) });
    if ("locked" in result) locked.push(result.locked);
    else omitted.push(result.omitted);
  }
  const where = `${session.system.config.system} in ${session.environment.name}`;
  if (omitted.length > 0 && opts.allowPartial !== true) {
    throw new SlipwayError("USAGE", `cannot take a complete snapshot of ${where}:\n  ${omitted.map((o) => `${o.service}: ${o.reason}`).join("\n  ")}`, {
      hint: `deploy or settle ${omitted.length === 1 ? "that service" : "those services"} (\`slipway status --env ${session.environment.name}\`), or pass --allow-partial to lock only the others`,
    });
  }
  const lock = buildLock({ system: session.system.config.system, environment: session.environment.name, takenAt: new Date(), services: locked, omitted });
  return { lock, locked, omitted };
}

// ---------------------------------------------------------------- restore

interface Step {
  locked: LockedService;
  image: string;
  template: InstanceTemplate;
  skip: boolean;
}

export type RestoreResult =
  | { kind: "restored"; restored: string[]; skipped: string[]; unanswered: string[] }
  | { kind: "failed"; restored: string[]; skipped: string[]; failed: string; reason: string; cleaned: number; notRestored: string[] };

export async function restore(session: EnvironmentSession, lock: SystemLock, reporter: Reporter): Promise<RestoreResult> {
  const system = session.system.config.system;
  const target = session.environment.name;
  checkLockFits(lock, system, session.system.services.map((s) => s.config.name));
  const inFlight = session.rollouts.unfinishedRollouts(system, target);
  if (inFlight.length > 0) {
    const list = inFlight.map((r) => `${r.state.service} (${r.id}, ${r.state.phase})`).join(", ");
    throw new SlipwayError("ROLLOUT_IN_PROGRESS", `${target} has ${inFlight.length === 1 ? "a rollout" : "rollouts"} in progress: ${list}; nothing was restored`, {
      hint: `let ${inFlight.length === 1 ? "it" : "them"} finish (\`slipway rollout watch <service> --env ${target}\`) or abort (\`slipway rollout abort <service> --env ${target}\`), then restore again`,
    });
  }
  if (session.kubernetes === undefined) await session.engine.ping();
  for (const { service, dependency } of dependenciesOutsideLock(lock)) reporter.emit({ type: "warning", message: `${service} depends on ${dependency}, which the lock does not carry: it must already run in ${target}` });
  if (lock.omitted !== undefined) reporter.emit({ type: "warning", message: `the lock is partial: ${lock.omitted.map((o) => o.service).join(", ")} left out when it was taken` });

  // Plan every service first: what already runs is skipped, and every image is pulled before anything starts.
  const steps: Step[] = [];
  for (const locked of restoreOrder(lock.services)) {
    const scope = scopeOf(session, locked.service);
    const template = targetTemplate(locked, injectedUrls(session, { name: locked.service, dependsOn: locked.dependsOn }));
    const request = { ...scope, image: locked.image, template };
    let skip = false;
    if (alreadyServes(session.rollouts, request)) {
      const name = revisionName(locked.image, template);
      const ready = await readyInstances(session, scope, name, template.readiness);
      if (ready === 0 && (await lostWithItsTarget(session, scope, reporter))) {
        steps.push({ locked, image: locked.image, template, skip: false });
        continue;
      }
      if (ready === 0) {
        throw new SlipwayError("USAGE", `the state store says ${locked.service} runs ${locked.image} (${name}) in ${target}, but none of its instances is ready; nothing was restored`, {
          hint: `slipway cannot re-create the instances of a settled rollout (README, Limitations): restore onto a fresh state store, or deploy another revision of ${locked.service} first`,
        });
      }
      skip = true;
    }
    steps.push({ locked, image: locked.image, template, skip });
  }
  for (const step of steps.filter((s) => !s.skip)) {
    try {
      if (session.kubernetes !== undefined) {
        // The cluster pulls by digest itself: the registry must hold it.
        await checkRegistryHolds(session, step.image);
        continue;
      }
      const how = await ensureImagePresent(session.engine, step.image);
      if (how === "pulled") reporter.emit({ type: "image.pulled", service: step.locked.service, image: step.image });
    } catch (err) {
      const cause = asSlipwayError(err);
      throw new SlipwayError(cause.code, `cannot pull ${step.locked.service}'s image ${step.image}; nothing was restored`, {
        cause: err,
        hint: `the lock pins that digest: its registry must hold it (recover the registry's data, or push that digest), then restore again`,
      });
    }
  }

  const restored: string[] = [];
  const skipped: string[] = [];
  for (const [index, step] of steps.entries()) {
    const name = step.locked.service;
    const service = serviceOf(session.system, name);
    if (step.skip) {
      reporter.emit({ type: "restore.skipped", service: name, environment: target, image: step.image });
      skipped.push(name);
      continue;
    }
    await routeService(session, service.config);
    const rollout = beginRollout(session.rollouts, {
      ...scopeOf(session, name),
      image: step.image,
      ...(step.locked.version === undefined ? {} : { version: step.locked.version }),
      template: step.template,
      strategy: service.config.strategy,
      replicas: step.locked.replicas,
      nowMs: Date.now(),
      origin: originOf({}, "restore"),
    });
    reporter.emit({ type: "rollout.started", cause: "restore", service: name, environment: target, rolloutId: rollout.id, image: step.image, targetRevision: rollout.state.targetRevision, strategy: rollout.state.strategy, endpoints: endpointsOf(session, service.config) });
    await drive(session, service, rollout.id, untilPausedByHand, { reporter });
    const end = session.rollouts.getRollout(rollout.id);
    if (end?.finished === true && end.outcome === "healthy") {
      restored.push(name);
      continue;
    }
    const why = end === undefined ? "its rollout record is gone" : end.finished ? `its rollout ended ${end.outcome ?? "finished"}${end.state.abortReason ? ` (${end.state.abortReason})` : end.state.message ? ` (${end.state.message})` : ""}` : `its rollout ${rollout.id} stopped ${end.state.phase}${end.state.userPaused || end.state.pause?.kind === "manual" ? " (paused for a person)" : ""}`;
    const cleaned = end?.finished === true && end.outcome !== "healthy" && end.state.stableRevision === undefined ? await removeFailedFirstDeploy(session, name, rollout.state.targetRevision) : 0;
    return { kind: "failed", restored, skipped, failed: name, reason: why, cleaned, notRestored: steps.slice(index + 1).map((s) => s.locked.service) };
  }
  return { kind: "restored", restored, skipped, unanswered: await checkEndpoints(session, steps.map((s) => s.locked)) };
}

/**
 * On Kubernetes, a service the store says serves but of which the cluster has
 * no pod at all lost its target (the namespace deleted, the cluster re-created
 * empty): the loss is recorded as nothing serving, so the restore deploys it
 * as a first deployment. On Docker such a store is refused (README, Limitations).
 */
async function lostWithItsTarget(session: EnvironmentSession, scope: ServiceScope, reporter: Reporter): Promise<boolean> {
  if (session.kubernetes === undefined || (await session.runtime.listInstances(scope)).length > 0) return false;
  const latest = session.rollouts.latestRollout(scope);
  if (latest === undefined) return false;
  const message = `no pod of ${scope.service} in namespace ${session.kubernetes.scope.namespace}: lost with its target, restored from a lock`;
  recordNothingServes(session.rollouts, scope.system, latest, Date.now(), message, originOf({}, "restore"));
  reporter.emit({ type: "warning", message: `${scope.service}: the state store says it serves ${servingRevision(latest) ?? "?"} in ${scope.environment}, but the cluster has no pod of it; restoring it as a first deployment` });
  return true;
}

/** The lock's digest in the configured registry that the image names (another registry: the cluster's own credentials decide). */
async function checkRegistryHolds(session: EnvironmentSession, image: string): Promise<void> {
  const reference = parseImageReference(image);
  const role = (["dev", "prod"] as const).find((r) => parseRegistryUrl(session.system.config.registries[r].url).authority === reference.registry);
  if (role === undefined || reference.digest === undefined) return;
  const found = await registryClient(session.system, role).headManifest(reference.repository, reference.digest);
  if (found === undefined) throw new SlipwayError("REGISTRY_NOT_FOUND", `the ${role} registry has no ${reference.repository}@${reference.digest}`);
}

/**
 * A first deploy that did not become healthy ends degraded with its
 * instances left for diagnosis (there is no stable revision to go back to).
 * Restore leaves nothing half-done: they are taken out of the router and
 * removed; the store keeps the degraded rollout as the record of what failed.
 */
async function removeFailedFirstDeploy(session: EnvironmentSession, service: string, revision: string): Promise<number> {
  const instances = await session.runtime.listInstances({ ...scopeOf(session, service), revision });
  for (const instance of instances) {
    await session.router.removeBackend(service, instance.name).catch(() => undefined);
    await session.runtime.removeInstance(instance, 0);
  }
  await session.router.close();
  return instances.length;
}

/** Each restored service's endpoint, through the router: its readiness path for http probes, else any answer below 500. */
async function checkEndpoints(session: EnvironmentSession, services: readonly LockedService[]): Promise<string[]> {
  const problems: string[] = [];
  for (const locked of services) {
    const port = endpointPort(serviceOf(session.system, locked.service).config, session.portOffset, session.environment.endpointPorts);
    const path = locked.template.readiness.http?.path ?? "/";
    const strict = locked.template.readiness.http !== undefined;
    let last = "";
    for (let attempt = 0; attempt < 20; attempt++) {
      const status = await getStatus(port, path).catch((err: Error) => err.message);
      if (typeof status === "number" && (strict ? status >= 200 && status < 400 : status < 500)) {
        last = "";
        break;
      }
      last = typeof status === "number" ? `HTTP ${status}` : status;
      await sleep(250);
    }
    if (last !== "") problems.push(`${locked.service} does not answer through the router at http://127.0.0.1:${port}${path}: ${last}`);
  }
  return problems;
}

function getStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent: false, signal: AbortSignal.timeout(2000) }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end();
  });
}
