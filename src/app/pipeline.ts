// CI and its records: run the pipeline for the services that changed, say
// which would build and why, and list or show pipeline runs.
import { loadSystem } from "../config/load-system.js";
import { DockerEngine } from "../docker/engine.js";
import { SlipwayError } from "../domain/errors.js";
import { affectedByRegistry, affectedSince, type AffectedService } from "../pipeline/affected.js";
import { runCi, type CiResult } from "../pipeline/ci-pipeline.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import { stageAttestor } from "../release/attestations/attest-stages.js";
import { keysDir } from "../release/release-service.js";
import { signingKeyFor } from "../release/signing/keys.js";
import { slipwayVersion } from "./version.js";
import type { PipelineListener } from "../pipeline/events.js";
import { SqlitePipelineRunStore } from "../store/sqlite/pipeline-run-store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { storePath } from "../store/store-path.js";
import type { RunRecord } from "../store/types.js";
import { devRegistryClient } from "./registry-clients.js";
import { withStateStore } from "./state-store.js";

export async function runCiPipeline(config: string, options: { services: readonly string[]; concurrency: number; listener: PipelineListener; signal: AbortSignal }): Promise<CiResult> {
  const system = await loadSystem(config);
  const engine = new DockerEngine();
  await engine.ping();
  // The signing key: SLIPWAY_SIGNING_KEY on a CI runner (from its secret store), else the state directory's pair.
  const key = signingKeyFor(process.env, keysDir(system));
  const docker = await engine.version().then((v) => v.version, () => "unknown");
  const store = SqliteStore.open(storePath(system));
  const registry = devRegistryClient(system);
  const attest = stageAttestor({ client: registry, registryName: parseRegistryUrl(system.config.registries.dev.url).authority, privateKey: key.privateKey, tools: { slipway: slipwayVersion() ?? "unknown", node: process.version, docker } });
  try {
    return await runCi(
      { system, engine, devRegistry: registry, runs: new SqlitePipelineRunStore(store.db), listener: options.listener, hostEnv: process.env, attest },
      { services: options.services, concurrency: options.concurrency, signal: options.signal },
    );
  } finally {
    registry.close();
    store.close();
  }
}

/** Against the dev registry (what CI pushed), or against a git ref with `since`. */
export async function affectedServices(config: string, opts: { since?: string }): Promise<AffectedService[]> {
  const system = await loadSystem(config);
  if (opts.since !== undefined) return affectedSince(system, opts.since);
  const engine = new DockerEngine();
  const store = SqliteStore.open(storePath(system));
  const registry = devRegistryClient(system);
  try {
    return await affectedByRegistry(system, registry, new SqlitePipelineRunStore(store.db), async (image) => (await engine.imageId(image)) ?? "missing");
  } finally {
    registry.close();
    store.close();
  }
}

function withRuns<T>(config: string, use: (runs: SqlitePipelineRunStore) => T): Promise<T> {
  return withStateStore(config, (store) => use(new SqlitePipelineRunStore(store.db)));
}

export async function listRuns(config: string, limit: number): Promise<RunRecord[]> {
  return withRuns(config, (r) => r.listRuns(limit));
}

export async function getRun(config: string, id: string): Promise<RunRecord> {
  const run = await withRuns(config, (r) => r.getRun(id));
  if (run === undefined) throw new SlipwayError("USAGE", `no pipeline run "${id}"`, { hint: "`slipway runs` lists them" });
  return run;
}
