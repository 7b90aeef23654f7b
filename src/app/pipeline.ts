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
import { stages, type PipelineListener } from "../pipeline/events.js";
import { journalPath, readJournal, runJournal, runLogDir, RUN_ID_PATTERN } from "../pipeline/run-journal.js";
import { foldJournal, fromRecord, stageMayGrow, type BuildGraph, type RunView } from "../pipeline/run-view.js";
import { findNamed } from "../domain/unknown-name.js";
import { existsSync, openSync, closeSync, readSync, fstatSync } from "node:fs";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import type { LoadedSystem } from "../config/load-system.js";
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
      // The journal lets `slipway serve` show the run's stages live and follow its logs.
      { system, engine, devRegistry: registry, runs: new SqlitePipelineRunStore(store.db), listener: fanOutPipeline(options.listener, runJournal(system.stateDir)), hostEnv: process.env, attest },
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

function fanOutPipeline(...listeners: PipelineListener[]): PipelineListener {
  return (event) => listeners.forEach((l) => l(event));
}

function buildGraph(system: LoadedSystem): BuildGraph {
  return new Map(system.services.map((s) => [s.config.name, s.config.build.dependsOn]));
}

/** A run as the CI runs page shows it: each service of the run with the ones it is built after and each stage's state — live from the run's journal while it runs. */
export async function runView(config: string, id: string): Promise<RunView> {
  return viewOf(await loadSystem(config), config, id);
}

async function viewOf(system: LoadedSystem, config: string, id: string): Promise<RunView> {
  const record = await withRuns(config, (r) => r.getRun(id));
  const journal = RUN_ID_PATTERN.test(id) ? journalPath(system.stateDir, id) : undefined;
  if (journal !== undefined && existsSync(journal)) {
    const view = foldJournal(id, readJournal(journal).events, buildGraph(system));
    // A run killed before it finished leaves its journal open; the store knows better once it is recorded.
    if (view.status === "running" && record !== undefined && record.status !== "running") view.status = record.status;
    return view;
  }
  if (record === undefined) throw new SlipwayError("USAGE", `no pipeline run "${id}"`, { hint: "`slipway runs` lists them" });
  return fromRecord(record, buildGraph(system));
}

export interface StageLog {
  /** The log's text as it grows, until the stage is over (or `signal` aborts). */
  chunks: AsyncIterable<string>;
}

/**
 * A stage's log of a run, followed while the stage may still write to it
 * (polled every `pollMs`). Refused, saying what exists, for an unknown run,
 * service or stage, or a stage that never wrote a log.
 */
export async function stageLog(config: string, id: string, service: string, stage: string, signal: AbortSignal, pollMs = 200): Promise<StageLog> {
  const system = await loadSystem(config);
  findNamed("service", service, system.services, (s) => s.config.name, system.config.system);
  if (!(stages as readonly string[]).includes(stage)) throw new SlipwayError("USAGE", `"${stage}" is not a CI stage`, { hint: `stages: ${stages.join(", ")}` });
  if (!RUN_ID_PATTERN.test(id)) throw new SlipwayError("USAGE", `no pipeline run "${id}"`, { hint: "`slipway runs` lists them" });
  const view = await viewOf(system, config, id);
  const path = join(runLogDir(system.stateDir, id), service, `${stage}.log`);
  if (!existsSync(path) && !stageMayGrow(view, service, stage)) {
    const ran = view.services.find((s) => s.service === service);
    throw new SlipwayError("USAGE", `run ${id} has no ${stage} log for ${service}`, { hint: ran === undefined ? `the run built ${view.services.map((s) => s.service).join(", ") || "nothing"}` : `${service} was ${ran.state} in that run; its stages: ${ran.stages.map((s) => `${s.stage} ${s.state}`).join(", ") || "none ran"}` });
  }
  async function* follow(): AsyncGenerator<string> {
    let offset = 0;
    // Keeps a multi-byte character cut by a read for the next one.
    const decoder = new StringDecoder("utf8");
    for (;;) {
      // Decide before reading: what the stage wrote before it ended is then all read.
      const more = stageMayGrow(await viewOf(system, config, id), service, stage);
      const bytes = readFrom(path, offset);
      offset += bytes.length;
      const text = decoder.write(bytes) + (more ? "" : decoder.end());
      if (text !== "") yield text;
      if (!more || signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
  return { chunks: follow() };
}

/** The file's bytes after `offset`. */
function readFrom(path: string, offset: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return Buffer.alloc(0);
    const buffer = Buffer.alloc(size - offset);
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, offset));
  } finally {
    closeSync(fd);
  }
}
