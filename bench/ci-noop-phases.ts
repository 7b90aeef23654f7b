// Where the time of a no-op `slipway ci` goes: the steps `slipway ci` takes
// when every service is up to date and the configuration cache is warm, one
// after another in one fresh process, each timed — loading what the CLI
// loads (commander, better-sqlite3 and slipway's own modules; not yaml, zod
// or dockerode), building the command line, the cached config, then the
// Docker, git and registry calls, hashing, progress output and the store.
// It mirrors src/cli/main.ts, src/cli/commands/ci.ts and
// src/pipeline/ci-pipeline.ts's runCi through the same compiled modules (so
// tsc flags it when their APIs change); keep it in step.
//
// After the no-op it times, apart, what a cold configuration cache adds
// (the first run after any config change): loading yaml, zod and the config
// schemas, and the full parse and validation. Those lines are not in the total.
//
//   node dist/bench/ci-noop-phases.js <system dir>    (platform up, every service pushed, config cache warm)
//
// ci-noop.js runs it on its generated system, after many `slipway ci` runs
// (so the cache is warm), and prints the table. Output: one JSON object
// {phases: [{name, ms}], totalMs, found, services} on stdout; totalMs is
// the no-op's steps only. It fails, rather than mislead, when the run was
// not the warm no-op path: a config cache miss, or dockerode or zod loaded.
import { createHash } from "node:crypto";
import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
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
const fail = (message: string): never => {
  process.stderr.write(`ci-noop-phases: ${message}\n`);
  process.exit(1);
};

// ---------------------------------------------------------------- modules
// The CLI loads only commander, better-sqlite3 (through the store) and its
// own modules on this path; the two dependencies first, so each one's load
// time is its own. Then what bin/slipway.js imports (cli/main.js), the
// program it builds, and the ci command's module graph, loaded lazily.
for (const dependency of ["commander", "better-sqlite3"]) {
  await import(dependency);
  mark(`load ${dependency}`);
}
const { main } = await import("../src/cli/main.js");
mark("load slipway's CLI entry (dist/src/cli/main.js, its output and errors)");
// Builds the whole program (every command) and parses argv, as every run does; `ci --help` stops before the action.
await main(["ci", "--help"], { out: () => undefined, err: () => undefined, color: false });
mark("commander: build the program and parse argv (`ci --help`, output discarded)");
await import("../src/cli/commands/ci.js");
mark("load the ci command's modules (dist/src/cli/commands/ci.js and what it imports)");
// All of these are in ci.js's graph already: nothing more is loaded or timed.
const { loadSystem, findSystemFile } = await import("../src/config/load-system.js");
const { DockerEngine } = await import("../src/docker/engine.js");
const { SqliteStore } = await import("../src/store/sqlite/sqlite-store.js");
const { SqlitePipelineRunStore } = await import("../src/store/sqlite/pipeline-run-store.js");
const { storePath } = await import("../src/platform/platform.js");
const { devRegistryClient } = await import("../src/app/registry-clients.js");
const { parseRegistryUrl } = await import("../src/domain/registry-address.js");
const { sweepOrphans } = await import("../src/docker/orphans.js");
const { GitRepo, findRepoRoot } = await import("../src/git/git-repo.js");
const { ContentHasher } = await import("../src/pipeline/content-hash.js");
const { repositoryPath, renderTag } = await import("../src/domain/image-names.js");
const { chooseMode, createProgressRenderer } = await import("../src/pipeline/progress/index.js");
last = performance.now();

// ---------------------------------------------------------------- the no-op
// The config cache file, as load-system.ts names it (keep in step): a hit leaves it untouched; a miss rewrites it.
const cacheFile = (() => {
  const dir = process.env["SLIPWAY_CONFIG_CACHE"] ?? join(tmpdir(), `slipway-config-cache-${process.getuid?.() ?? "user"}`);
  return join(dir, `${createHash("sha256").update(findSystemFile(root)).digest("hex").slice(0, 24)}.json`);
})();
const stampOf = (path: string): string | undefined => {
  try {
    const s = statSync(path);
    return `${s.ino}:${s.size}:${s.mtimeMs}`;
  } catch {
    return undefined;
  }
};
const cacheBefore = stampOf(cacheFile);
last = performance.now();

const system = await loadSystem(root);
const n = system.services.length;
mark(`loadSystem, warm cache: cached config read, ${n + 1} files' stamps checked`);
if (cacheBefore === undefined || stampOf(cacheFile) !== cacheBefore) fail(`the config cache (${cacheFile}) missed: run \`slipway ci\` on ${root} once first`);
last = performance.now();

const engine = new DockerEngine();
await engine.ping();
mark("Docker Engine: GET /_ping");
const store = SqliteStore.open(storePath(system));
mark("state store: open (and migrations check)");
const registry = devRegistryClient(system);
let rendered = 0;
const renderer = createProgressRenderer({
  mode: chooseMode({ isTTY: false, json: false, ci: true }),
  // The CLI writes these lines to stdout; here they are counted, not written (stdout carries the result).
  write: () => void rendered++,
  color: false,
  columns: 100,
});
mark("dev registry client and progress renderer (plain lines, as under CI)");

const runs = new SqlitePipelineRunStore(store.db);
const runId = `phases-${Date.now()}`;
const dev = parseRegistryUrl(system.config.registries.dev.url);
await registry.ping();
mark("dev registry: ping (GET /v2/)");
await sweepOrphans(engine, system.config.system);
mark("sweep orphans: 2 Docker Engine calls");
const repoRoot = findRepoRoot(system.root);
const repo = repoRoot === undefined ? undefined : new GitRepo(repoRoot);
const [commit] = await Promise.all([repo?.head(), repo?.remoteUrl()]);
mark("git: HEAD commit, status and remote (3 git processes)");
const lookups = new Set<string>();
let lookupCalls = 0;
const hashes = await new ContentHasher(system, async (image) => {
  lookupCalls++;
  lookups.add(image);
  const id = await engine.imageId(image);
  if (id === undefined) fail(`the build image ${image} is not on the Docker Engine`);
  return id as string;
}).hashAll();
mark(`content hashes: git ls-files, ${lookupCalls} build-image id lookup${lookupCalls === 1 ? "" : "s"} (${lookups.size} distinct), sha256 of the files`);

const started = new Date().toISOString();
runs.startRun({ id: runId, startedAt: started, ...(commit ? { commit: commit.sha } : {}) });
renderer.listener({ type: "run-started", runId, at: started, commit: commit?.sha, services: system.services.map((s) => s.config.name), concurrency: availableParallelism() });
mark("state store: start the run; progress: run started");
let found = 0;
const records: { service: string; hash: string; digest: string; reference: string }[] = [];
await Promise.all(
  system.services.map(async (service) => {
    const hash = hashes.get(service.config.name)?.hash ?? "";
    const repository = repositoryPath(system.config, service.config, dev);
    const tag = renderTag(system.config.conventions.tags.immutable, { service: service.config.name, version: service.config.version, hash, ...(commit ? { commit: commit.sha } : {}) });
    const existing = await registry.headManifest(repository, tag);
    if (existing === undefined) return;
    found++;
    const reference = `${dev.authority}/${repository}:${tag}`;
    renderer.listener({ type: "service-up-to-date", service: service.config.name, hash, digest: existing.digest, reference });
    records.push({ service: service.config.name, hash, digest: existing.digest, reference });
  }),
);
mark(`dev registry: ${n} manifest HEADs (${found} found), each reported to the progress renderer`);
records.sort((a, b) => a.service.localeCompare(b.service));
for (const r of records) {
  runs.recordService(runId, { service: r.service, outcome: "up-to-date", contentHash: r.hash, digest: r.digest, references: [r.reference], stages: [], reasons: [], durationMs: 0 });
}
runs.finishRun(runId, "passed", new Date().toISOString(), 0);
renderer.listener({ type: "run-finished", runId, at: new Date().toISOString(), durationMs: 0, outcome: "passed" });
mark(`state store: ${records.length} service records and the run's end; progress: the summary`);
renderer.dispose();
registry.close();
store.close();
mark("close renderer, registry connections and store");
const totalMs = phases.reduce((sum, p) => sum + p.ms, 0);

// What the CLI must not have loaded on this path (both are loaded with require() when they are needed).
const loaded = Object.keys(createRequire(import.meta.url).cache);
for (const dependency of ["dockerode", "zod"]) {
  if (loaded.some((path) => path.includes(`/node_modules/${dependency}/`))) fail(`${dependency} was loaded on the no-op path`);
}
if (rendered === 0) fail("the progress renderer wrote nothing");

// ---------------------------------------------------------------- a cold cache, apart
// What the first run after a config change adds, in place of the warm loadSystem above. Not in totalMs.
last = performance.now();
for (const dependency of ["yaml", "zod"]) {
  await import(dependency);
  mark(`(cold config cache only, not in the total) load ${dependency}`);
}
await import("../src/config/parse-system.js");
mark("(cold config cache only, not in the total) load parse-system.js and the config schemas");
const cacheSetting = process.env["SLIPWAY_CONFIG_CACHE"];
process.env["SLIPWAY_CONFIG_CACHE"] = "off"; // read at each call: this loadSystem parses, and writes no cache
await loadSystem(root);
if (cacheSetting === undefined) delete process.env["SLIPWAY_CONFIG_CACHE"];
else process.env["SLIPWAY_CONFIG_CACHE"] = cacheSetting;
mark(`(cold config cache only, not in the total) loadSystem's full parse: ${n + 1} YAML files parsed and validated`);

process.stdout.write(JSON.stringify({ phases, totalMs, found, services: n }) + "\n");
