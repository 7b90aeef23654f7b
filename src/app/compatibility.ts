// `slipway test --env <target> --mixed <service>`: the integration tests with
// one service at its new digest and every other service at the digest the
// target environment runs — the old/new mix a rolling update of that service
// creates there. The mix is deployed into a scratch copy of the target (the
// environment's `scratch:` ports, from the dev registry, ADR 23), tested, and
// taken down again, so the live environment is never touched. The run is
// recorded with both locks; a failure names the service pairs it points at
// (domain/compatibility-pairs.ts); a pass is signed for the new digest as
// `compatibility` evidence.
import { loadSystem, type LoadedSystem } from "../config/load-system.js";
import { DockerEngine } from "../docker/engine.js";
import { brokenPairs, type DependencyEdges } from "../domain/compatibility-pairs.js";
import type { EnvironmentConfig } from "../domain/config-schema.js";
import { SlipwayError } from "../domain/errors.js";
import { environmentOf } from "../domain/placement.js";
import type { Identity } from "../release/identity.js";
import { HaproxyRouter } from "../router/haproxy/haproxy-router.js";
import { DockerRuntime } from "../runtime/docker/docker-runtime.js";
import { SqliteCompatibilityRunStore, type CompatibilityRun } from "../store/sqlite/compatibility-run-store.js";
import { SqlitePipelineRunStore } from "../store/sqlite/pipeline-run-store.js";
import { SqliteRolloutStore } from "../store/sqlite/rollout-store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { storePath } from "../store/store-path.js";
import { deploy } from "./deploy.js";
import { driveSucceeded } from "./drive.js";
import { openEnvironmentOf, serviceOf, type EnvironmentSession } from "./environment.js";
import type { Reporter } from "./events.js";
import { signEvidence } from "./evidence-signing.js";
import { deployedSystem, integrationLogFile, requireIntegrationTests, runId, testEnvironment } from "./integration.js";
import { undeploy } from "./undeploy.js";

export type { CompatibilityRun };

export interface CompatibilityRequest {
  /** The service to check at its new digest. */
  service: string;
  /** Default: CI's newest successful build of the service (its release candidate). */
  digest?: string;
}

/** The recorded run with its log file; undefined when interrupted (nothing recorded; the scratch copy is taken down). */
export async function runCompatibilityTests(config: string, targetName: string, request: CompatibilityRequest, options: { reporter: Reporter; signal: AbortSignal; identity: Identity }): Promise<{ run: CompatibilityRun; logFile: string } | undefined> {
  const system = await loadSystem(config);
  requireIntegrationTests(system);
  const { environment: target } = environmentOf(system.config, targetName);
  if (target.runtime !== "docker") throw new SlipwayError("USAGE", `environment ${target.name} runs on ${target.runtime}; this slipway checks compatibility against Docker environments only`);
  const service = serviceOf(system, request.service).config.name;
  const scratch = scratchSystem(system, target);
  const store = SqliteStore.open(storePath(system));
  try {
    const engine = new DockerEngine();
    await engine.ping();
    const targetLock = await deployedSystem(system, target.name, new SqliteRolloutStore(store.db), new DockerRuntime(engine, { network: target.network }), "a compatibility check takes the digests");
    const digest = request.digest ?? releaseCandidate(store, service);
    if (!/^sha256:[0-9a-f]{64}$/.test(digest)) throw new SlipwayError("REFERENCE_INVALID", `--digest ${digest} is not sha256:<64 hex digits>`);
    const mixedLock = { ...targetLock, [service]: digest };
    const startedAt = new Date();
    const id = runId(startedAt);
    const logFile = integrationLogFile(system, id);
    options.reporter.emit({ type: "compatibility.started", id, environment: target.name, scratch: scratch.environment, service, digest, lock: mixedLock });
    const session = openEnvironmentOf(scratch.system, scratch.environment, store);
    let results;
    try {
      if (!(await deployMix(session, mixedLock, options))) return undefined;
      options.reporter.emit({ type: "integration.started", id, environment: scratch.environment, deployed: mixedLock });
      results = await testEnvironment(system, engine, { environment: scratch.environment, portOffset: session.portOffset }, { id, logFile, reporter: options.reporter, signal: options.signal });
    } finally {
      await takeDown(session, options);
    }
    if (results === undefined) return undefined;
    const failed = results.filter((r) => !r.passed).map((r) => ({ name: r.name, ...httpServiceOf(system, r.name) }));
    const run: CompatibilityRun = {
      id,
      system: system.config.system,
      environment: target.name,
      service,
      digest,
      status: failed.length === 0 ? "passed" : "failed",
      targetLock,
      mixedLock,
      results,
      pairs: brokenPairs(service, dependencyEdges(system), failed).pairs,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    };
    new SqliteCompatibilityRunStore(store.db).save(run);
    if (run.status === "passed") {
      await signEvidence(system, [
        {
          service,
          digest,
          evidence: { kind: "compatibility", status: "passed", service, runId: run.id, startedOn: run.startedAt, finishedOn: run.finishedAt, durationMs: Date.parse(run.finishedAt) - Date.parse(run.startedAt), environment: run.environment, targetLock, lock: mixedLock },
        },
      ]);
    }
    return { run, logFile };
  } finally {
    store.close();
  }
}

/** The system with the target's scratch copy added as an environment of its own: `<target>-scratch`, Docker, from the dev registry. */
function scratchSystem(system: LoadedSystem, target: EnvironmentConfig): { system: LoadedSystem; environment: string } {
  const name = `${target.name}-scratch`;
  if (target.scratch === undefined) {
    throw new SlipwayError("USAGE", `environment ${target.name} has no scratch ports for a compatibility check`, {
      hint: `add \`scratch: { portOffset: <a free block of ports> }\` to environment "${target.name}" in slipway.yaml; the mix is deployed there, not into ${target.name}`,
    });
  }
  if (system.config.environments.some((e) => e.name === name)) throw new SlipwayError("CONFIG_INVALID", `environment ${name} exists in slipway.yaml; ${target.name}'s scratch copy needs that name`, { hint: `rename environment ${name}` });
  // Its own ports only (the target's fixed endpoint ports and router port stay the target's), no promotion rules.
  const scratch = target.scratch;
  const copy: EnvironmentConfig = { name, runtime: "docker", network: target.network, registry: "dev", portOffset: scratch.portOffset, ...(scratch.routerPort === undefined ? {} : { routerPort: scratch.routerPort }) };
  return { system: { ...system, config: { ...system.config, environments: [...system.config.environments, copy] } }, environment: name };
}

/** CI's newest successful build of the service: what would be released next. */
function releaseCandidate(store: SqliteStore, service: string): string {
  const built = new SqlitePipelineRunStore(store.db).latestSuccessful(service);
  if (built?.record.digest === undefined) throw new SlipwayError("USAGE", `CI has not built ${service} yet`, { hint: `run \`slipway ci ${service}\`, or pass --digest` });
  return built.record.digest;
}

/** Every service at its digest in the lock, dependencies first; false when interrupted. */
async function deployMix(session: EnvironmentSession, lock: Record<string, string>, options: { reporter: Reporter; signal: AbortSignal }): Promise<boolean> {
  for (const service of session.system.services) {
    if (options.signal.aborted) return false;
    const name = service.config.name;
    const result = await deploy(session, { service: name, digest: lock[name] as string }, { reporter: options.reporter, signal: options.signal });
    if (options.signal.aborted) return false;
    if (result.kind === "rolled-out" && !(driveSucceeded(result) && result.end.kind === "complete")) {
      const why = result.end.state.message === undefined ? "" : `: ${result.end.state.message}`;
      throw new SlipwayError("MIX_NOT_DEPLOYED", `the mix could not be deployed: ${name} at ${(lock[name] ?? "").slice(0, 19)} did not become healthy in ${session.environment.name} (rollout ${result.rolloutId} ended ${result.end.kind === "complete" ? result.end.outcome : result.end.kind}${why})`, {
        hint: `the scratch copy is taken down again; check that ${name} at that digest starts and passes its readiness probe (\`slipway deploy ${name} --digest ${lock[name] ?? ""} --env <a dev environment>\`)`,
      });
    }
  }
  return true;
}

/** Undeploys every service of the scratch copy and stops its router; problems become warnings so the run's result still counts. */
async function takeDown(session: EnvironmentSession, options: { reporter: Reporter; identity: Identity }): Promise<void> {
  try {
    await undeploy(session, { services: [], all: true }, options);
    if (session.router instanceof HaproxyRouter) await session.router.stop();
  } catch (err) {
    options.reporter.emit({ type: "warning", message: `warning: the scratch copy ${session.environment.name} was not fully taken down: ${err instanceof Error ? err.message : String(err)}` });
  }
}

function httpServiceOf(system: LoadedSystem, test: string): { service?: string } {
  const service = system.config.integrationTests.find((t) => t.name === test)?.http?.service;
  return service === undefined ? {} : { service };
}

function dependencyEdges(system: LoadedSystem): DependencyEdges {
  return Object.fromEntries(system.services.map((s) => [s.config.name, s.config.dependsOn]));
}
