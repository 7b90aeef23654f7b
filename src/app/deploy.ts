// Deploying a service to an environment: pins the image (a released digest
// for environments deploying from the prod registry, CI's newest build or a
// given digest otherwise), records the rollout and drives it.
import type { LoadedService } from "../config/load-system.js";
import { clusterDependencyUrls } from "./kubernetes-environment.js";
import { alreadyServes, beginRollout } from "../delivery/controller/begin-rollout.js";
import { ensureImagePresent } from "../delivery/controller/image-presence.js";
import type { InstanceTemplate } from "../delivery/controller/store-port.js";
import type { RolloutState } from "../delivery/types.js";
import { SlipwayError } from "../domain/errors.js";
import { imageRepository } from "../domain/image-names.js";
import { dependencyUrls } from "../domain/placement.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import { resolveServiceEnv } from "../domain/service-env.js";
import { SqlitePipelineRunStore } from "../store/sqlite/pipeline-run-store.js";
import { chooseRelease, describeAborted } from "../release/deploy-choice.js";
import { SqliteReleaseStore } from "../store/sqlite/release-store.js";
import { drive, originOf, untilPausedByHand, type DriveOptions, type DriveResult, type RecordOnly } from "./drive.js";
import { endpointsOf, otherEnvironmentController, routeService, scopeOf, serviceOf, type EnvironmentSession } from "./environment.js";
import type { Endpoints } from "./events.js";

export interface DeployRequest {
  service: string;
  version?: string;
  digest?: string;
}

export type DeployResult = { kind: "already-serves"; service: string; environment: string; image: string; endpoints: Endpoints } | ({ kind: "rolled-out" } & DriveResult);

/**
 * Starts the rollout and drives it until done or paused by hand; with
 * recordOnly it only records it (for a process whose controller drives every
 * rollout, such as `slipway serve`) and returns once it is in the store.
 */
export async function deploy(session: EnvironmentSession, request: DeployRequest, options: DriveOptions & RecordOnly & { stopWhen?: (s: RolloutState) => boolean }): Promise<DeployResult> {
  if (request.version !== undefined && request.digest !== undefined) throw new SlipwayError("USAGE", "give --version or --digest, not both");
  const service = serviceOf(session.system, request.service);
  const { image, version, notes } = resolveImage(session, service, request);
  for (const message of notes) options.reporter.emit({ type: "deploy.note", service: request.service, environment: session.environment.name, message });
  const template = templateOf(session, service);
  // A cluster pulls the pinned image itself (by digest, with its own credentials); Docker gets it first.
  if (session.kubernetes === undefined) {
    await session.engine.ping();
    await ensureImagePresent(session.engine, image);
  }
  // With recordOnly, this process's controller is the environment's router writer: it routes the service when it drives.
  if (options.recordOnly !== true && options.ownController === undefined && otherEnvironmentController(session) === undefined) await routeService(session, service.config);
  const endpoints = endpointsOf(session, service.config);
  // Deploying what already runs is a no-op, so scripts (and the quickstart) can run again.
  if (alreadyServes(session.rollouts, { ...scopeOf(session, request.service), image, template })) {
    return { kind: "already-serves", service: request.service, environment: session.environment.name, image, endpoints };
  }
  const rollout = beginRollout(session.rollouts, { ...scopeOf(session, request.service), image, ...(version === undefined ? {} : { version }), template, strategy: service.config.strategy, replicas: service.config.replicas, nowMs: Date.now(), origin: originOf(options, "deploy") });
  options.reporter.emit({ type: "rollout.started", cause: "deploy", service: request.service, environment: session.environment.name, rolloutId: rollout.id, image, targetRevision: rollout.state.targetRevision, strategy: rollout.state.strategy, endpoints });
  if (options.recordOnly === true) return { kind: "rolled-out", rolloutId: rollout.id, end: { kind: "stopped", state: rollout.state }, expected: "healthy" };
  return { kind: "rolled-out", ...(await drive(session, service, rollout.id, options.stopWhen ?? untilPausedByHand, options)) };
}

/**
 * The pinned image: a prod environment deploys released digests only; a dev
 * one CI's newest or the one given. Without --version/--digest, a digest
 * whose rollout was aborted in this environment is not chosen again; `notes`
 * say what was passed over (or that an aborted one was asked for).
 */
function resolveImage(session: EnvironmentSession, service: LoadedService, opts: { version?: string; digest?: string }): { image: string; version?: string; notes: string[] } {
  const role = session.environment.registry;
  const registry = parseRegistryUrl(session.system.config.registries[role].url);
  const repository = imageRepository(session.system.config, service.config, registry);
  const name = service.config.name;
  const env = session.environment.name;
  const aborted = session.rollouts.abortedImages({ system: session.system.config.system, service: name, environment: env });
  const askedFor = (digest: string, version: string | undefined): string[] => {
    const mark = aborted.find((a) => a.digest === digest);
    return mark === undefined ? [] : [`note: ${version ?? digest.slice(0, 19)} was ${describeAborted(mark, env)}; deploying it because it was asked for by name`];
  };
  if (role === "prod") {
    const releases = new SqliteReleaseStore(session.store.db);
    if (opts.version !== undefined || opts.digest !== undefined) {
      const release =
        opts.version !== undefined ? releases.findRelease(name, opts.version) : releases.listReleases(name).find((r) => r.digest === opts.digest && r.status === "released");
      if (release === undefined || release.status !== "released") {
        throw new SlipwayError("USAGE", `${name} ${opts.version ?? opts.digest ?? ""} is not released, and ${env} deploys from the prod registry`, {
          hint: `release it first (\`slipway release ${name}${opts.version ? ` --version ${opts.version}` : ""}\`); \`slipway releases ${name}\` lists what is released`,
        });
      }
      return { image: `${repository}@${release.digest}`, version: release.version, notes: askedFor(release.digest, release.version) };
    }
    const choice = chooseRelease(releases.listReleases(name), aborted);
    if (choice.kind === "none-released") {
      throw new SlipwayError("USAGE", `${name} has no release yet, and ${env} deploys from the prod registry`, {
        hint: `release it first (\`slipway release ${name}\`); \`slipway releases ${name}\` lists what is released`,
      });
    }
    if (choice.kind === "all-aborted") {
      throw new SlipwayError("USAGE", `every release of ${name} was aborted in ${env}: ${choice.skipped.map((s) => `${s.release.version} (rollout ${s.aborted.rolloutId})`).join(", ")}`, {
        hint: `release a fixed build (\`slipway ci\`, \`slipway release ${name}\`), or deploy one anyway with --version`,
      });
    }
    const notes = choice.skipped.map((s) => `skipping ${s.release.version}: ${describeAborted(s.aborted, env)}; \`--version ${s.release.version}\` deploys it anyway`);
    return { image: `${repository}@${choice.release.digest}`, version: choice.release.version, notes };
  }
  if (opts.version !== undefined) throw new SlipwayError("USAGE", `${env} deploys from the dev registry: pass --digest, or nothing for CI's newest build`);
  if (opts.digest !== undefined) {
    if (!/^sha256:[0-9a-f]{64}$/.test(opts.digest)) throw new SlipwayError("REFERENCE_INVALID", `--digest ${opts.digest} is not sha256:<64 hex digits>`);
    return { image: `${repository}@${opts.digest}`, notes: askedFor(opts.digest, undefined) };
  }
  const built = new SqlitePipelineRunStore(session.store.db).latestSuccessful(name);
  if (built?.record.digest === undefined) throw new SlipwayError("USAGE", `CI has not built ${name} yet`, { hint: `run \`slipway ci ${name}\`, or pass --digest` });
  const mark = aborted.find((a) => a.digest === built.record.digest);
  if (mark !== undefined) {
    throw new SlipwayError("USAGE", `CI's newest build of ${name} (${built.record.digest.slice(0, 19)}) was ${describeAborted(mark, env)}`, {
      hint: `push a fixed build with \`slipway ci ${name}\`, or deploy it anyway with --digest ${built.record.digest}`,
    });
  }
  return { image: `${repository}@${built.record.digest}`, notes: [] };
}

/**
 * Literal variables are kept with the revision; secrets only by the host
 * variable's name (checked now). On the host network each dependency's
 * router endpoint comes as <DEPENDENCY>_URL, unless the service sets it.
 */
function templateOf(session: EnvironmentSession, service: LoadedService): InstanceTemplate {
  const c = service.config;
  resolveServiceEnv(c.env, process.env, `service ${c.name}`);
  const env: Record<string, string> =
    session.kubernetes !== undefined
      ? clusterDependencyUrls(session.kubernetes.scope, c.dependsOn, session.system)
      : session.environment.network === "host"
        ? dependencyUrls(c, session.system.services.map((s) => s.config), session.portOffset, session.environment.endpointPorts)
        : {};
  const secretEnv: Record<string, string> = {};
  for (const [variable, value] of Object.entries(c.env)) {
    if (typeof value === "object") secretEnv[variable] = value.fromEnv;
    else env[variable] = String(value);
  }
  return { port: c.port, env, secretEnv, resources: c.resources, readiness: c.readiness, terminationGracePeriodSeconds: c.terminationGracePeriodSeconds };
}
