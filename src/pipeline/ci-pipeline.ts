// `slipway ci`: for each service whose content hash has no image in the dev
// registry yet — build, unit-test, image, container-test, push — in
// build-dependency order, in parallel up to a limit. The registry is the
// cache: a hash already there is up to date, on any machine.
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import type { LoadedService, LoadedSystem } from "../config/load-system.js";
import { imageRepository, nextBuildNumber, renderTag, repositoryPath } from "../domain/image-names.js";
import { SlipwayError } from "../domain/errors.js";
import { unknownNameError } from "../domain/unknown-name.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import { resolveServiceEnv } from "../domain/service-env.js";
import { runBuildContainer, type BuildContainerSpec } from "../docker/build-container.js";
import type { DockerEngine } from "../docker/engine.js";
import { buildImage } from "../docker/image-build.js";
import { pushImage } from "../docker/image-push.js";
import { sweepOrphans } from "../docker/orphans.js";
import { GitRepo, findRepoRoot, type Commit } from "../git/git-repo.js";
import type { RegistryClient } from "../registry/types.js";
import type { PipelineRunStore, RunStatus, ServiceRunRecord, StageRecord } from "../store/types.js";
import type { StageAttestor, StageOutcome } from "./attestor-port.js";
import { ContentHasher, explainChange, readDockerIgnore, type ContentHash } from "./content-hash.js";
import { buildOutputWarning, snapshotFolder, writtenBetween, type FolderSnapshot } from "./build-outputs.js";
import { runContainerTests } from "./container-test.js";
import { runDag } from "./dag-scheduler.js";
import type { PipelineListener, ServiceOutcome, StageName } from "./events.js";
import { StageLog } from "./stage-log.js";

export interface CiDependencies {
  system: LoadedSystem;
  engine: DockerEngine;
  devRegistry: RegistryClient;
  runs: PipelineRunStore;
  listener: PipelineListener;
  hostEnv: Readonly<Record<string, string | undefined>>;
  /** Signs and attaches each stage's evidence to the pushed digest; none: nothing is attested. */
  attest?: StageAttestor;
}

export interface CiOptions {
  /** Only these services (and what their builds depend on); all when empty. */
  services: readonly string[];
  concurrency: number;
  signal: AbortSignal;
}

export interface CiResult {
  runId: string;
  status: RunStatus;
  services: ServiceRunRecord[];
}

// A stage is skipped only when it has nothing to do; a release policy that
// requires it counts it as passed (nothing there could fail).
const NOTHING_TO_DO_BUILD = "nothing to do: no build.commands";
const NOTHING_TO_DO_TEST = "nothing to do: no build.test commands";

/** A failed stage ends the service's pipeline; the message is for the summary. */
class StageFailure extends Error {}

export async function runCi(deps: CiDependencies, options: CiOptions): Promise<CiResult> {
  const { system, listener } = deps;
  const started = Date.now();
  const runId = newRunId(new Date(started));
  const devAddress = parseRegistryUrl(system.config.registries.dev.url);

  await deps.devRegistry.ping().catch((err: unknown) => {
    throw new SlipwayError("REGISTRY_UNAVAILABLE", `the dev registry ${devAddress.authority} is not answering`, {
      cause: err,
      retryable: true,
      hint: "`slipway up` starts the local registries; nothing was built",
    });
  });

  const selected = selectServices(system, options.services);
  await sweepOrphans(deps.engine, system.config.system);
  const repoRoot = findRepoRoot(system.root);
  const repo = repoRoot === undefined ? undefined : new GitRepo(repoRoot);
  const commit = await repo?.head();
  const sources = await serviceSources(selected, system.root);
  const hashes = await new ContentHasher(system, (image) => buildImageId(deps.engine, image), (service) => deps.runs.buildOutputs(service)).hashAll();

  deps.runs.startRun({ id: runId, startedAt: new Date(started).toISOString(), ...(commit ? { commit: commit.sha } : {}) });
  listener({ type: "run-started", runId, at: new Date(started).toISOString(), commit: commit?.sha, services: selected.map((s) => s.config.name), concurrency: options.concurrency });

  const records = new Map<string, ServiceRunRecord>();
  const queued: LoadedService[] = [];
  await Promise.all(
    selected.map(async (service) => {
      const hash = mustGet(hashes, service.config.name);
      const repository = repositoryPath(system.config, service.config, devAddress);
      const immutableTag = renderTag(system.config.conventions.tags.immutable, tagValues(service, hash, mustGet(sources, service.config.name).commit));
      const existing = await deps.devRegistry.headManifest(repository, immutableTag);
      if (existing === undefined) {
        queued.push(service);
        return;
      }
      const reference = `${devAddress.authority}/${repository}:${immutableTag}`;
      listener({ type: "service-up-to-date", service: service.config.name, hash: hash.hash, digest: existing.digest, reference });
      records.set(service.config.name, { service: service.config.name, outcome: "up-to-date", contentHash: hash.hash, digest: existing.digest, references: [reference], stages: [], reasons: [], durationMs: 0 });
    }),
  );

  for (const service of queued.sort((a, b) => a.config.name.localeCompare(b.config.name))) {
    const hash = mustGet(hashes, service.config.name);
    const previous = deps.runs.latestHashInputs(service.config.name);
    listener({ type: "service-queued", service: service.config.name, hash: hash.hash, reasons: explainChange(previous === undefined ? undefined : (JSON.parse(previous) as ContentHash), hash) });
  }

  const context: ServiceContext = { deps, runId, sources, devAddress, hashes, signal: options.signal };
  const queuedByName = new Map(queued.map((s) => [s.config.name, s]));
  const outcomes = await runDag(
    queued.map((s) => ({ id: s.config.name, dependsOn: s.config.build.dependsOn })),
    (name, signal) => runServicePipeline({ ...context, signal }, mustGet(queuedByName, name)),
    {
      concurrency: options.concurrency,
      signal: options.signal,
      isFailure: (record) => record.outcome !== "built",
      onBlocked: (name, blockedBy) => listener({ type: "service-finished", service: name, outcome: "blocked", durationMs: 0, blockedBy }),
    },
  );

  for (const service of queued) {
    const name = service.config.name;
    const outcome = outcomes.get(name);
    const hash = mustGet(hashes, name).hash;
    if (outcome === undefined) continue;
    if (outcome.status === "done" || (outcome.status === "failed" && outcome.value !== undefined)) {
      records.set(name, outcome.value as ServiceRunRecord);
    } else if (outcome.status === "failed") {
      const error = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      listener({ type: "service-finished", service: name, outcome: "failed", durationMs: 0, error });
      records.set(name, { service: name, outcome: "failed", contentHash: hash, references: [], stages: [], reasons: [], error, durationMs: 0 });
    } else {
      const status: ServiceOutcome = outcome.status === "blocked" ? "blocked" : "cancelled";
      if (status === "cancelled") listener({ type: "service-finished", service: name, outcome: status, durationMs: 0 });
      records.set(name, { service: name, outcome: status, contentHash: hash, references: [], stages: [], reasons: [], ...(outcome.status === "blocked" ? { error: `blocked by ${outcome.blockedBy}` } : {}), durationMs: 0 });
    }
  }

  const services = [...records.values()].sort((a, b) => a.service.localeCompare(b.service));
  for (const record of services) deps.runs.recordService(runId, record);
  const status: Exclude<RunStatus, "running"> = options.signal.aborted ? "cancelled" : services.every((s) => s.outcome === "built" || s.outcome === "up-to-date") ? "passed" : "failed";
  const durationMs = Date.now() - started;
  deps.runs.finishRun(runId, status, new Date().toISOString(), durationMs);
  listener({ type: "run-finished", runId, at: new Date().toISOString(), durationMs, outcome: status });
  return { runId, status, services };
}

interface ServiceContext {
  deps: CiDependencies;
  runId: string;
  /** Each service's own repository: its commit and remote label the image and its provenance. */
  sources: ReadonlyMap<string, ServiceSource>;
  devAddress: ReturnType<typeof parseRegistryUrl>;
  hashes: ReadonlyMap<string, ContentHash>;
  signal: AbortSignal;
}

async function runServicePipeline(ctx: ServiceContext, service: LoadedService): Promise<ServiceRunRecord> {
  const { deps, runId, devAddress, signal } = ctx;
  const { system, engine, listener } = deps;
  const name = service.config.name;
  const config = service.config;
  const hash = mustGet(ctx.hashes, name);
  const { commit, source } = mustGet(ctx.sources, name);
  const started = Date.now();
  const stages: StageRecord[] = [];
  const outcomes: StageOutcome[] = [];
  const secretsEnv = resolveServiceEnv(config.env, deps.hostEnv, `service ${name}`);
  const logDir = join(system.stateDir, "logs", "runs", runId, name);
  const repository = imageRepository(system.config, config, devAddress);
  const values = tagValues(service, hash, commit);
  const immutableRef = `${repository}:${renderTag(system.config.conventions.tags.immutable, values)}`;
  const labels = { "org.slipway.system": system.config.system, "org.slipway.service": name, "org.slipway.run": runId, "org.slipway.pid": String(process.pid) };
  let imageId = "";
  let digest: string | undefined;
  const references: string[] = [];

  const stage = async (stageName: StageName, work: (log: StageLog) => Promise<string | undefined>, skip?: string): Promise<void> => {
    const log = new StageLog(join(logDir, `${stageName}.log`), secretsEnv.secretValues);
    const at = Date.now();
    if (skip !== undefined) {
      await log.close().catch(() => undefined);
      listener({ type: "stage-finished", service: name, stage: stageName, status: "skipped", durationMs: 0, logFile: log.path, detail: skip });
      stages.push({ stage: stageName, status: "skipped", durationMs: 0, logFile: log.path, detail: skip });
      outcomes.push({ stage: stageName, status: "skipped", startedAt: new Date(at).toISOString(), finishedAt: new Date(at).toISOString(), durationMs: 0, logFile: log.path });
      return;
    }
    listener({ type: "stage-started", service: name, stage: stageName, at: new Date(at).toISOString() });
    try {
      const detail = await work(log);
      await log.close();
      const durationMs = Date.now() - at;
      listener({ type: "stage-finished", service: name, stage: stageName, status: "passed", durationMs, logFile: log.path, ...(detail ? { detail } : {}) });
      stages.push({ stage: stageName, status: "passed", durationMs, logFile: log.path });
      outcomes.push({ stage: stageName, status: "passed", startedAt: new Date(at).toISOString(), finishedAt: new Date(at + durationMs).toISOString(), durationMs, logFile: log.path });
    } catch (err) {
      const cancelled = signal.aborted;
      const detail = err instanceof SlipwayError ? err.message : err instanceof Error ? err.message : String(err);
      log.write(`\n${detail}\n`);
      // The log's own write failure was reported by the close() in the try; nothing more to say.
      await log.close().catch(() => undefined);
      const durationMs = Date.now() - at;
      listener({ type: "stage-finished", service: name, stage: stageName, status: cancelled ? "cancelled" : "failed", durationMs, logFile: log.path, detail, logTail: log.tail(20) });
      stages.push({ stage: stageName, status: cancelled ? "cancelled" : "failed", durationMs, logFile: log.path });
      throw new StageFailure(`${stageName}: ${detail}`);
    }
  };

  const commands = (commandList: readonly string[]) => async (log: StageLog) => {
    const { exitCode } = await runBuildContainer(
      engine,
      {
        name: `slipway-${runId}-${name}-${randomBytes(2).toString("hex")}`,
        image: config.build.image,
        commands: commandList,
        ...buildMounts(system, service),
        env: { CI: "true", SOURCE_DATE_EPOCH: String(commit?.time ?? 0), GOFLAGS: "-buildvcs=false" },
        labels: { ...labels, "org.slipway.purpose": "build" },
        ...buildUser(service.dir),
      },
      log.write,
      signal,
    );
    if (exitCode !== 0) throw new Error(`exited with code ${exitCode}`);
    return undefined;
  };

  try {
    const buildsInFolder = config.build.commands.length > 0 || config.build.test.length > 0;
    const before = buildsInFolder ? snapshotFolder(service.dir) : undefined;
    await stage("build", commands(config.build.commands), config.build.commands.length === 0 ? NOTHING_TO_DO_BUILD : undefined);
    await stage("unit-test", commands(config.build.test), config.build.test.length === 0 ? NOTHING_TO_DO_TEST : undefined);
    if (before !== undefined) await noteBuildOutputs(ctx, service, before);
    await stage("image", async (log) => {
      const created = new Date((commit?.time ?? Math.floor(started / 1000)) * 1000).toISOString();
      imageId = await buildImage(
        engine,
        {
          contextDir: join(service.dir, config.image.context),
          files: contextFiles(join(service.dir, config.image.context), config.image.dockerfile),
          dockerfile: config.image.dockerfile,
          tags: [immutableRef],
          labels: {
            "org.opencontainers.image.source": source ?? `file://${service.dir}`,
            "org.opencontainers.image.revision": commit?.sha ?? "uncommitted",
            "org.opencontainers.image.version": config.version,
            "org.opencontainers.image.created": created,
            "org.opencontainers.image.title": name,
            "org.slipway.content-hash": hash.hash,
            "org.slipway.system": system.config.system,
          },
          buildArgs: { VERSION: config.version, REVISION: commit?.sha ?? "uncommitted", SOURCE_DATE_EPOCH: String(commit?.time ?? 0) },
        },
        log.write,
        signal,
      );
      return imageId.slice(0, 19);
    });
    await stage(
      "container-test",
      async (log) => {
        // The container's own output goes to a file of its own; this stage's log gets the verdicts.
        const containerLog = log.path.replace(/\.log$/, ".container.log");
        const report = await runContainerTests({ engine, image: imageId, service: config, system: system.config.system, runId, logFile: containerLog, signal, hostEnv: deps.hostEnv });
        for (const r of report.results) log.write(`${r.passed ? "pass" : "FAIL"} ${r.name} (${r.durationMs} ms)${r.detail ? `: ${r.detail}` : ""}\n`);
        if (!report.passed) {
          log.write(`last lines of the container's log (all of it: ${containerLog}):\n`);
          for (const line of report.logTail) log.write(line + "\n");
          throw new Error(report.failure ?? "a container test failed");
        }
        return `${report.results.length} tests passed${report.readyAfterMs !== undefined ? `, ready after ${report.readyAfterMs} ms` : ""}`;
      },
      undefined,
    );
    await stage("push", async (log) => {
      digest = await pushImage(engine, immutableRef, log.write, signal);
      references.push(immutableRef);
      // The human tag comes second: a failed push leaves at most the immutable tag, which is correct on its own.
      const repo = repositoryPath(system.config, config, devAddress);
      const tags = await deps.devRegistry.listTags(repo).catch(() => [] as string[]);
      const n = nextBuildNumber(system.config.conventions.tags.dev, values, tags);
      const devRef = `${repository}:${renderTag(system.config.conventions.tags.dev, { ...values, n })}`;
      await engine.api.getImage(imageId).tag({ repo: repository, tag: devRef.slice(repository.length + 1) });
      const devDigest = await pushImage(engine, devRef, log.write, signal);
      if (devDigest !== digest) throw new SlipwayError("DIGEST_MISMATCH", `${devRef} got ${devDigest}, but ${immutableRef} is ${digest}`);
      references.push(devRef);
      deps.runs.recordHashInputs(name, hash.hash, JSON.stringify(hash));
      return digest;
    });
    if (deps.attest !== undefined && digest !== undefined) {
      const pushed = digest;
      try {
        await deps.attest({
          service: name,
          repository: repositoryPath(system.config, config, devAddress),
          digest: pushed,
          runId,
          ...(commit ? { commit: commit.sha } : {}),
          contentHash: hash.hash,
          sourceRepository: source ?? `file://${service.dir}`,
          buildImage: config.build.image,
          stages: outcomes,
        });
      } catch (err) {
        // Without its attestations the push proves nothing elsewhere: the service fails, and a rerun attests again.
        throw new StageFailure(`attest: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  } catch (err) {
    if (!(err instanceof StageFailure)) throw err;
    const durationMs = Date.now() - started;
    const cancelled = signal.aborted;
    listener({ type: "service-finished", service: name, outcome: cancelled ? "cancelled" : "failed", durationMs, error: err.message });
    return { service: name, outcome: cancelled ? "cancelled" : "failed", contentHash: hash.hash, references, stages, reasons: [], error: err.message, durationMs };
  }
  const durationMs = Date.now() - started;
  listener({ type: "service-finished", service: name, outcome: "built", durationMs, ...(digest ? { digest } : {}), references });
  return { service: name, outcome: "built", contentHash: hash.hash, ...(digest ? { digest } : {}), references, stages, reasons: [], durationMs };
}

interface ServiceSource {
  commit: Commit | undefined;
  source: string | undefined;
}

/**
 * The git repository holding each service's folder — its own when services
 * live in other repositories than slipway.yaml — read once per repository.
 */
async function serviceSources(services: readonly LoadedService[], systemRoot: string): Promise<Map<string, ServiceSource>> {
  const byRoot = new Map<string, Promise<ServiceSource>>();
  const read = (root: string | undefined): Promise<ServiceSource> => {
    const key = root ?? "";
    let found = byRoot.get(key);
    if (found === undefined) {
      const repo = root === undefined ? undefined : new GitRepo(root);
      found = Promise.all([repo?.head(), repo?.remoteUrl()]).then(([commit, remote]) => ({ commit, source: remote ?? (root === undefined ? undefined : `file://${root}`) }));
      byRoot.set(key, found);
    }
    return found;
  };
  const entries = await Promise.all(services.map(async (s) => [s.config.name, await read(findRepoRoot(s.dir) ?? findRepoRoot(systemRoot))] as const));
  return new Map(entries);
}

/** Records and warns about untracked files the build and unit-test containers wrote into the service folder. */
async function noteBuildOutputs(ctx: ServiceContext, service: LoadedService, before: FolderSnapshot): Promise<void> {
  const written = writtenBetween(before, snapshotFolder(service.dir));
  if (written.length === 0) return;
  const root = findRepoRoot(service.dir);
  let outputs = written;
  if (root !== undefined) {
    const untracked = await new GitRepo(root).untrackedFiles();
    const prefix = relative(root, service.dir).split(sep).join("/");
    outputs = written.filter((path) => untracked.has(prefix === "" ? path : `${prefix}/${path}`));
  }
  if (outputs.length === 0) return;
  const name = service.config.name;
  ctx.deps.runs.recordBuildOutputs(name, outputs);
  const folder = relative(ctx.deps.system.root, service.dir).split(sep).join("/") || ".";
  ctx.deps.listener({ type: "service-warning", service: name, message: buildOutputWarning(folder, outputs) });
}

/** The selected services plus, transitively, what their builds depend on. */
function selectServices(system: LoadedSystem, names: readonly string[]): LoadedService[] {
  if (names.length === 0) return system.services;
  const byName = new Map(system.services.map((s) => [s.config.name, s]));
  const chosen = new Set<string>();
  const add = (name: string): void => {
    if (chosen.has(name)) return;
    const service = byName.get(name);
    if (service === undefined) throw unknownNameError("service", name, [...byName.keys()], system.config.system);
    chosen.add(name);
    service.config.build.dependsOn.forEach(add);
  };
  names.forEach(add);
  return system.services.filter((s) => chosen.has(s.config.name));
}

function tagValues(service: LoadedService, hash: ContentHash, commit: Commit | undefined): { service: string; version: string; hash: string; commit?: string } {
  return { service: service.config.name, version: service.config.version, hash: hash.hash, ...(commit ? { commit: commit.sha } : {}) };
}

/** The service folder (and its build inputs) under /workspace at the same relative paths as on the host. */
function buildMounts(system: LoadedSystem, service: LoadedService): Pick<BuildContainerSpec, "binds" | "workdir"> {
  const rel = relative(system.root, service.dir).split(sep).join("/");
  const workdir = rel.startsWith("..") ? `/workspace/${service.config.name}` : `/workspace/${rel}`;
  const binds: BuildContainerSpec["binds"][number][] = [{ source: service.dir, target: workdir }];
  for (const input of service.config.build.inputs) {
    const inputRel = relative(system.root, join(system.root, input)).split(sep).join("/");
    if (!inputRel.startsWith("..")) binds.push({ source: join(system.root, input), target: `/workspace/${inputRel}`, readOnly: true });
  }
  return { binds, workdir };
}

/**
 * Builds run as the owner of the service's folder — the invoking user, also
 * under sudo — so what they write into the source tree stays theirs.
 */
function buildUser(serviceDir: string): { user?: string } {
  const { uid, gid } = statSync(serviceDir);
  return uid === 0 ? {} : { user: `${uid}:${gid}` };
}

/** Every file under the context that .dockerignore keeps, plus the Dockerfile (Docker always sends it). */
function contextFiles(contextDir: string, dockerfile: string): string[] {
  const ignore = readDockerIgnore(contextDir);
  const files: string[] = [];
  const walk = (prefix: string): void => {
    for (const entry of readdirSync(join(contextDir, prefix), { withFileTypes: true })) {
      const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      // An excluded folder may still hold files a `!` pattern brings back.
      if (ignore.excludes(path) && !(entry.isDirectory() && ignore.hasExceptions)) continue;
      if (entry.isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk("");
  if (!files.includes(dockerfile) && existsSync(join(contextDir, dockerfile))) files.push(dockerfile);
  if (!files.includes(".dockerignore") && existsSync(join(contextDir, ".dockerignore"))) files.push(".dockerignore");
  return files;
}

async function buildImageId(engine: DockerEngine, image: string): Promise<string> {
  const id = await engine.imageId(image);
  if (id === undefined) {
    throw new SlipwayError("COMPONENT_MISSING", `the build image ${image} is not present on the Docker Engine`, {
      hint: `pull or build it (the example's are made by \`sudo bash scripts/base-images.sh\`)`,
    });
  }
  return id;
}

function newRunId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return `${stamp}-${randomBytes(2).toString("hex")}`;
}

function mustGet<K, V>(map: ReadonlyMap<K, V>, key: K): V {
  const value = map.get(key);
  if (value === undefined) throw new SlipwayError("INTERNAL", `missing ${String(key)}`);
  return value;
}
