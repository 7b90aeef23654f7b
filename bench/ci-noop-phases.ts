// Where the time of a no-op `slipway ci` goes: the steps runCi takes when
// every service is up to date, one after another in one fresh process, each
// timed — module loading (dependency by dependency), config loading, the
// Docker, git and registry calls, hashing and the store. It mirrors
// src/pipeline/ci-pipeline.ts's no-op path through the same compiled
// modules (so tsc flags it when their APIs change); keep it in step.
//
//   node dist/bench/ci-noop-phases.js <system dir>    (platform up, every service pushed)
//
// ci-noop.js runs it on its generated system and prints the table. Output:
// one JSON object {phases: [{name, ms}], totalMs} on stdout.
import { performance } from "node:perf_hooks";

const phases: { name: string; ms: number }[] = [{ name: "Node.js start-up, until this script runs", ms: performance.now() }];
let last = performance.now();
const mark = (name: string): void => {
  const now = performance.now();
  phases.push({ name, ms: now - last });
  last = now;
};

const root = process.argv[2];
if (root === undefined) {
  process.stderr.write("usage: node dist/bench/ci-noop-phases.js <system dir>\n");
  process.exit(2);
}

// Dependencies first, one at a time, so each one's load time is its own; then slipway's modules (the CLI imports them all).
for (const dependency of ["zod", "yaml", "commander", "better-sqlite3", "dockerode"]) {
  await import(dependency);
  mark(`load ${dependency}`);
}
await import("../src/cli/main.js");
mark("load slipway's own modules (dist/src/cli/main.js and what it imports)");
const { loadSystem } = await import("../src/config/load-system.js");
const { DockerEngine } = await import("../src/docker/engine.js");
const { SqliteStore } = await import("../src/store/sqlite/sqlite-store.js");
const { SqlitePipelineRunStore } = await import("../src/store/sqlite/pipeline-run-store.js");
const { storePath } = await import("../src/platform/platform.js");
const { devRegistryClient } = await import("../src/cli/registry-clients.js");
const { parseRegistryUrl } = await import("../src/domain/registry-address.js");
const { sweepOrphans } = await import("../src/docker/orphans.js");
const { GitRepo, findRepoRoot } = await import("../src/git/git-repo.js");
const { ContentHasher } = await import("../src/pipeline/content-hash.js");
const { repositoryPath, renderTag } = await import("../src/domain/image-names.js");

const system = await loadSystem(root);
const n = system.services.length;
mark(`loadSystem: ${n + 1} YAML files parsed and validated`);
const engine = new DockerEngine();
await engine.version();
mark("Docker Engine: GET /version");
const store = SqliteStore.open(storePath(system));
mark("state store: open (and migrations check)");
const registry = devRegistryClient(system);
const dev = parseRegistryUrl(system.config.registries.dev.url);
await registry.ping();
mark("dev registry: ping");
await sweepOrphans(engine, system.config.system);
mark("sweep orphans: 2 Docker calls");
const repoRoot = findRepoRoot(system.root);
const repo = repoRoot === undefined ? undefined : new GitRepo(repoRoot);
const [commit] = await Promise.all([repo?.head(), repo?.remoteUrl()]);
mark("git: HEAD commit, status and remote (3 git processes)");
let inspects = 0;
const hashes = await new ContentHasher(system, async (image) => {
  inspects++;
  return (await engine.api.getImage(image).inspect()).Id;
}).hashAll();
mark(`content hashes: git ls-files, ${inspects} build-image inspects, sha256 of the files`);
let found = 0;
await Promise.all(
  system.services.map(async (service) => {
    const hash = hashes.get(service.config.name)?.hash ?? "";
    const tag = renderTag(system.config.conventions.tags.immutable, { service: service.config.name, version: service.config.version, hash, ...(commit ? { commit: commit.sha } : {}) });
    if ((await registry.headManifest(repositoryPath(system.config, service.config, dev), tag)) !== undefined) found++;
  }),
);
mark(`dev registry: ${n} manifest HEADs (${found} found)`);
const runs = new SqlitePipelineRunStore(store.db);
const runId = `phases-${Date.now()}`;
runs.startRun({ id: runId, startedAt: new Date().toISOString() });
for (const service of system.services) {
  runs.recordService(runId, { service: service.config.name, outcome: "up-to-date", contentHash: hashes.get(service.config.name)?.hash ?? "", references: [], stages: [], reasons: [], durationMs: 0 });
}
runs.finishRun(runId, "passed", new Date().toISOString(), 0);
mark(`state store: the run and ${n} service records`);
registry.close();
store.close();
mark("close registry connections and store");

process.stdout.write(JSON.stringify({ phases, totalMs: performance.now(), found, services: n }) + "\n");
