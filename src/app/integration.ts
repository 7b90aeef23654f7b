// The system's integration tests against what is deployed in an
// environment. Every service must be deployed, settled (no rollout in
// flight) and ready; what ran where (service → digest) is recorded with the
// results, so a release policy can require `integration-test` for the exact
// digest being released.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadSystem, type LoadedSystem } from "../config/load-system.js";
import { servingRevision } from "../delivery/controller/begin-rollout.js";
import { SlipwayError } from "../domain/errors.js";
import { endpointPort, type FixedPorts } from "../domain/placement.js";
import type { DockerEngine } from "../docker/engine.js";
import { runIntegrationTests, type IntegrationRun, type IntegrationTestResult } from "../pipeline/integration-tests.js";
import type { Runtime } from "../runtime/types.js";
import { SqliteIntegrationRunStore } from "../store/sqlite/integration-run-store.js";
import { SqliteRolloutStore } from "../store/sqlite/rollout-store.js";
import { openEnvironmentOf } from "./environment.js";
import { countReady } from "./ready-instances.js";
import type { Reporter } from "./events.js";
import { signEvidence } from "./evidence-signing.js";

/** The recorded run, with its log file; undefined when interrupted (nothing recorded). */
export async function runSystemIntegrationTests(config: string, envName: string, options: { reporter: Reporter; signal: AbortSignal }): Promise<{ run: IntegrationRun; logFile: string } | undefined> {
  const system = await loadSystem(config);
  requireIntegrationTests(system);
  // Docker or Kubernetes: the environment's runtime says what is ready; the tests reach each
  // service at its endpoint on loopback (the router, or the gateway's listener) either way.
  const session = openEnvironmentOf(system, envName);
  const { environment, portOffset, store, engine } = session;
  try {
    await engine.ping();
    const deployed = await deployedSystem(system, environment.name, session.rollouts, session.runtime);
    const startedAt = new Date();
    const id = runId(startedAt);
    const logFile = integrationLogFile(system, id);
    options.reporter.emit({ type: "integration.started", id, environment: environment.name, deployed });
    const results = await testEnvironment(system, engine, { environment: environment.name, portOffset, ...(environment.endpointPorts === undefined ? {} : { endpointPorts: environment.endpointPorts }) }, { id, logFile, reporter: options.reporter, signal: options.signal });
    if (results === undefined) return undefined;
    const run: IntegrationRun = {
      id,
      system: system.config.system,
      environment: environment.name,
      status: results.every((r) => r.passed) ? "passed" : "failed",
      deployed,
      results,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
    };
    new SqliteIntegrationRunStore(store.db).save(run);
    // The result travels with each digest it ran against, for releases decided elsewhere.
    if (run.status === "passed") {
      await signEvidence(
        system,
        Object.entries(run.deployed).map(([service, digest]) => ({
          service,
          digest,
          evidence: { kind: "integration-test", status: "passed", service, runId: run.id, startedOn: run.startedAt, finishedOn: run.finishedAt, durationMs: Date.parse(run.finishedAt) - Date.parse(run.startedAt), environment: run.environment, lock: run.deployed },
        })),
      );
    }
    return { run, logFile };
  } finally {
    session.close();
  }
}

export function requireIntegrationTests(system: LoadedSystem): void {
  if (system.config.integrationTests.length === 0) throw new SlipwayError("USAGE", "slipway.yaml has no integrationTests", { hint: "add integrationTests (an http check of a service, or a command in a test image); see docs/configuration.md" });
}

/** "20260101-100000-ab12": sortable by time, unique enough for one machine. */
export function runId(startedAt: Date): string {
  return `${startedAt.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15)}-${randomBytes(2).toString("hex")}`;
}

/** Where a run's log goes (the folder is created). */
export function integrationLogFile(system: LoadedSystem, id: string): string {
  const logDir = join(system.stateDir, "logs", "integration");
  mkdirSync(logDir, { recursive: true });
  return join(logDir, `${id}.log`);
}

/** The system's integration tests against the services' router endpoints at a port offset; undefined when interrupted. */
export async function testEnvironment(system: LoadedSystem, engine: DockerEngine, at: { environment: string; portOffset: number; endpointPorts?: FixedPorts }, options: { id: string; logFile: string; reporter: Reporter; signal: AbortSignal }): Promise<IntegrationTestResult[] | undefined> {
  const endpoints = Object.fromEntries(system.services.map((s) => [s.config.name, `http://127.0.0.1:${endpointPort(s.config, at.portOffset, at.endpointPorts)}`]));
  return runIntegrationTests({
    engine,
    system: system.config.system,
    systemRoot: system.root,
    environment: at.environment,
    endpoints,
    tests: system.config.integrationTests,
    logFile: options.logFile,
    signal: options.signal,
    onResult: (result) => options.reporter.emit({ type: "integration.result", id: options.id, result }),
  }).catch((err: unknown) => {
    if (options.signal.aborted) return undefined;
    throw err;
  });
}

/** Service → the digest it serves; refuses a system that is not fully deployed, settled and ready. */
export async function deployedSystem(system: LoadedSystem, environment: string, rollouts: SqliteRolloutStore, runtime: Runtime, purpose = "integration tests run"): Promise<Record<string, string>> {
  const deployed: Record<string, string> = {};
  const problems: string[] = [];
  for (const service of system.services) {
    const scope = { system: system.config.system, environment, service: service.config.name };
    const latest = rollouts.latestRollout(scope);
    const revision = rollouts.listRevisions(scope).find((r) => r.name === servingRevision(latest));
    if (latest === undefined || revision === undefined) {
      problems.push(`${scope.service} is not deployed (\`slipway deploy ${scope.service} --env ${environment}\`)`);
      continue;
    }
    if (!latest.finished) {
      problems.push(`${scope.service} has a rollout in progress (${latest.id}; \`slipway rollout status ${scope.service} --env ${environment}\`)`);
      continue;
    }
    const instances = (await runtime.listInstances({ ...scope, revision: revision.name })).filter((i) => i.phase === "running");
    if ((await countReady(runtime, instances, revision.template.readiness)) === 0) {
      problems.push(`${scope.service} has no ready instance of ${revision.name}`);
      continue;
    }
    deployed[scope.service] = revision.image.split("@")[1] ?? revision.image;
  }
  if (problems.length > 0) {
    throw new SlipwayError("USAGE", `cannot test the system in ${environment}: ${problems.join("; ")}`, { hint: `${purpose} against the whole system, deployed and settled` });
  }
  return deployed;
}
