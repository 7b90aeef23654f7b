// `slipway loadtest --env`: the system's load test scenarios against an
// environment's router endpoints from the host. Like the integration tests
// (integration.ts), every service must be deployed and settled, and what ran
// where (service → digest) is recorded with each scenario's numbers and
// verdicts, so a release policy can require `load-test` for a digest. Each
// scenario is judged by its thresholds and against its last passing run.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadSystem } from "../config/load-system.js";
import { DockerEngine } from "../docker/engine.js";
import { didYouMean } from "../domain/did-you-mean.js";
import { SlipwayError } from "../domain/errors.js";
import { latencySvg } from "../domain/latency-svg.js";
import { judgeLoadTest } from "../domain/load-test-verdict.js";
import { endpointPort, environmentOf } from "../domain/placement.js";
import { generateLoad } from "../pipeline/load-generator.js";
import { DockerRuntime } from "../runtime/docker/docker-runtime.js";
import { SqliteLoadTestRunStore, type LoadTestRun } from "../store/sqlite/load-test-run-store.js";
import { SqliteRolloutStore } from "../store/sqlite/rollout-store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { storePath } from "../store/store-path.js";
import type { Reporter } from "./events.js";
import { signEvidence } from "./evidence-signing.js";
import { deployedSystem, runId } from "./integration.js";

export type { LoadTestRun };

/** The recorded runs, one per scenario, with the log folder; undefined when interrupted (nothing more recorded). */
export async function runLoadTests(config: string, envName: string, options: { scenario?: string; reporter: Reporter; signal: AbortSignal }): Promise<{ runs: LoadTestRun[]; logDir: string } | undefined> {
  const system = await loadSystem(config);
  const all = system.config.loadTests;
  if (all.length === 0) throw new SlipwayError("USAGE", "slipway.yaml has no loadTests", { hint: "add loadTests (a target service and path, a duration and thresholds); see docs/configuration.md" });
  const scenarios = options.scenario === undefined ? all : all.filter((s) => s.name === options.scenario);
  if (scenarios.length === 0) {
    const names = all.map((s) => s.name);
    const guess = didYouMean(options.scenario ?? "", names);
    throw new SlipwayError("USAGE", `no load test scenario named "${options.scenario}"`, { hint: `${guess === undefined ? "" : `did you mean "${guess}"? `}scenarios: ${names.join(", ")}` });
  }
  const { environment, portOffset } = environmentOf(system.config, envName);
  if (environment.runtime !== "docker") throw new SlipwayError("USAGE", `environment ${environment.name} runs on ${environment.runtime}; this slipway load-tests Docker environments only`);
  const store = SqliteStore.open(storePath(system));
  try {
    const engine = new DockerEngine();
    await engine.ping();
    const deployed = await deployedSystem(system, environment.name, new SqliteRolloutStore(store.db), new DockerRuntime(engine, { network: environment.network }), "load tests run");
    const runsStore = new SqliteLoadTestRunStore(store.db);
    const logDir = join(system.stateDir, "logs", "loadtest");
    mkdirSync(logDir, { recursive: true });
    const runs: LoadTestRun[] = [];
    for (const scenario of scenarios) {
      const service = system.services.find((s) => s.config.name === scenario.target.service);
      if (service === undefined) throw new SlipwayError("USAGE", `load test ${scenario.name} targets unknown service ${scenario.target.service}`, { hint: "run `slipway validate`" });
      const base = `http://127.0.0.1:${endpointPort(service.config, portOffset)}`;
      const startedAt = new Date();
      const id = runId(startedAt);
      options.reporter.emit({ type: "loadtest.started", id, environment: environment.name, scenario: scenario.name, url: new URL(scenario.target.path, base).toString(), durationSeconds: scenario.durationSeconds, ...(scenario.ramp === undefined ? {} : { rampSeconds: scenario.ramp.seconds }) });
      const load = await generateLoad(base, scenario, options.signal);
      if (options.signal.aborted) return undefined;
      const previous = runsStore.lastPassing(system.config.system, environment.name, scenario.name);
      const baseline = previous === undefined ? undefined : { runId: previous.id, p95Ms: previous.measurement.p95Ms };
      const verdicts = judgeLoadTest(scenario, load.measurement, baseline);
      const report = join(logDir, `${id}-${scenario.name}.svg`);
      const marks = scenario.ramp === undefined ? [] : [{ second: load.steadyFromSecond, label: "steady" }];
      writeFileSync(report, latencySvg(`${scenario.name} in ${environment.name} (${id}): latency over time, ms`, load.samples, marks));
      const run: LoadTestRun = {
        id,
        system: system.config.system,
        environment: environment.name,
        scenario: scenario.name,
        status: verdicts.every((v) => v.passed) ? "passed" : "failed",
        deployed,
        measurement: load.measurement,
        verdicts,
        ...(baseline === undefined ? {} : { baseline }),
        report,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
      };
      writeFileSync(join(logDir, `${id}-${scenario.name}.json`), `${JSON.stringify(run, null, 2)}\n`);
      runsStore.save(run);
      if (run.status === "passed") await signPassed(system, run);
      runs.push(run);
    }
    return { runs, logDir };
  } finally {
    store.close();
  }
}

/** The result travels with each digest it ran against, for releases decided elsewhere. */
async function signPassed(system: Awaited<ReturnType<typeof loadSystem>>, run: LoadTestRun): Promise<void> {
  await signEvidence(
    system,
    Object.entries(run.deployed).map(([service, digest]) => ({
      service,
      digest,
      evidence: { kind: "load-test", status: "passed", service, runId: run.id, startedOn: run.startedAt, finishedOn: run.finishedAt, durationMs: Date.parse(run.finishedAt) - Date.parse(run.startedAt), environment: run.environment, scenario: run.scenario, lock: run.deployed },
    })),
  );
}
