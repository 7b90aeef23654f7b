// Benchmark: promoting one image of ~180 MB compressed (4 layers) from a dev
// to a prod registry, as `slipway release` does with copyImage, beside
// `skopeo copy` and `docker pull && docker tag && docker push`. Two cases: a
// fresh copy (the target has none of the blobs) and the same copy again (the
// target has every blob). slipway runs both in-process and in a fresh node
// process, as the CLI would (start-up included). Not a test: it prints a
// markdown table for docs/benchmarks.md.
//
//   npx tsc -p . && node dist/bench/promote.js [--runs 5] [--layers 3] [--layer-mib 50] [--concurrency 4] [--profile] [--keep]
//
// Needs Docker Engine with debian:bookworm-slim present (never pulled),
// docker-registry (CNCF Distribution), skopeo, /usr/bin/time (for CPU times;
// optional) and ports 15951/15952 free on 127.0.0.1; traffic goes to
// 127.0.0.1 only. Everything it creates — a temp dir, two registries, the
// images it built or pulled — is removed at the end, also when it fails or
// is interrupted.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest, type IncomingMessage } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { pathToFileURL } from "node:url";
import { registryClient } from "../src/app/registry-clients.js";
import type { LoadedSystem } from "../src/config/load-system.js";
import { parseRegistryUrl } from "../src/domain/registry-address.js";
import { daemonState, startDaemon, stopDaemon, type DaemonSpec } from "../src/platform/daemon.js";
import { registryBinary, registryDaemonSpec } from "../src/platform/registry-daemon.js";
import { copyImage, type CopyImageResult } from "../src/registry/copy-image.js";
import type { Descriptor, RegistryClient } from "../src/registry/types.js";
import { cpuProfileTable, readCpuProfile, type CallFrame } from "./lib/cpu-profile.js";
import { cleanUpOnInterrupt, dockerPreflight, machine, repoRoot, resultsHeading, runMain, slipwayAt, wholeNumber } from "./lib/harness.js";
import { BenchError, hasTime, log, runner, tail, TIME_BIN } from "./lib/processes.js";
import { median, millis, MINUTE, SECOND, seconds, summarize, type Summary } from "./lib/stats.js";

const SRC_PORT = 15951;
const DST_PORT = 15952;
const SRC = `127.0.0.1:${SRC_PORT}`;
const DST = `127.0.0.1:${DST_PORT}`;
const SOURCE_REPO = "bench/app";
const SOURCE_TAG = "1";
const TARGET_TAG = "1";
const BASE_IMAGE = "debian:bookworm-slim";
const MB = 1_000_000;

interface Options {
  runs: number;
  layers: number;
  layerMiB: number;
  concurrency: number;
  profile: boolean;
  keep: boolean;
}

const USAGE = "usage: node dist/bench/promote.js [--runs 5] [--layers 3] [--layer-mib 50] [--concurrency 4] [--profile] [--keep]";

function parseArgs(argv: string[]): Options {
  const options: Options = { runs: 5, layers: 3, layerMiB: 50, concurrency: 4, profile: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--runs") options.runs = wholeNumber(arg, argv[++i], 1, 50);
    else if (arg === "--layers") options.layers = wholeNumber(arg, argv[++i], 1, 8);
    else if (arg === "--layer-mib") options.layerMiB = wholeNumber(arg, argv[++i], 1, 1024);
    else if (arg === "--concurrency") options.concurrency = wholeNumber(arg, argv[++i], 1, 16);
    else if (arg === "--profile") options.profile = true;
    else if (arg === "--keep") options.keep = true;
    else throw new BenchError(`unknown argument "${arg}"; ${USAGE}`);
  }
  return options;
}

// ------------------------------------------------------------ processes

const { run, mustRun } = runner({ NO_COLOR: "1" });

/** User + system CPU time of a live process, from /proc (clock ticks of 10 ms). */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * SECOND) / 100;
  } catch {
    return NaN;
  }
}

const megabytes = (bytes: number): string => (bytes / MB).toFixed(1);

// ------------------------------------------------------------ registries and clients

/** The clients `slipway release` builds (app/registry-clients.ts), from a stand-in for slipway.yaml: two URLs, no credentials. */
function clients(): { dev: RegistryClient; prod: RegistryClient } {
  const system = { config: { registries: { dev: { url: SRC }, prod: { url: DST } } } } as unknown as LoadedSystem;
  return { dev: registryClient(system, "dev"), prod: registryClient(system, "prod") };
}

function closeClient(client: RegistryClient): void {
  (client as RegistryClient & { close?: () => void }).close?.();
}

/** What a fresh node process runs: the CLI's clients and copyImage, with node's start-up and the module loading. */
function copyScript(): string {
  const url = (path: string): string => JSON.stringify(pathToFileURL(join(repoRoot, "dist", "src", path)).href);
  return [
    `const started = performance.now();`,
    `const { registryClient } = await import(${url("app/registry-clients.js")});`,
    `const { copyImage } = await import(${url("registry/copy-image.js")});`,
    `const loaded = performance.now();`,
    `const [srcUrl, dstUrl, srcRepo, reference, dstRepo, tag, concurrency] = process.argv.slice(2);`,
    `const system = { config: { registries: { dev: { url: srcUrl }, prod: { url: dstUrl } } } };`,
    `const dev = registryClient(system, "dev");`,
    `const prod = registryClient(system, "prod");`,
    `const result = await copyImage(dev, srcRepo, reference, prod, dstRepo, { tag, concurrency: Number(concurrency) });`,
    `const copied = performance.now();`,
    `dev.close();`,
    `prod.close();`,
    `process.stdout.write(JSON.stringify({ startupMs: started, loadMs: loaded - started, copyMs: copied - loaded, result }) + "\\n");`,
    "",
  ].join("\n");
}

// ------------------------------------------------------------ the tools

type ToolName = "slipway-inproc" | "slipway-spawned" | "skopeo" | "docker";

interface Sample {
  ms: number;
  /** CPU time of the copying process (slipway's node, skopeo); not for docker, whose work is the shared engine's. */
  cpuMs?: number;
  /** CPU time of the two registries during the copy. */
  registriesCpuMs?: number;
  /** Named parts: start-up, module loading and copy for the spawned slipway; pull, tag, push for docker. */
  parts?: Record<string, number>;
  digestMatches: boolean;
  note?: string;
}

interface Context {
  options: Options;
  root: string;
  sourceDigest: string;
  blobs: Descriptor[];
  scriptPath: string;
}

async function targetDigest(repository: string, reference: string): Promise<string | undefined> {
  const { prod } = clients();
  try {
    return (await prod.headManifest(repository, reference))?.digest;
  } finally {
    closeClient(prod);
  }
}

function expectBlobs(result: CopyImageResult, kind: "copied" | "skipped", count: number, who: string): void {
  if (result.blobs[kind] !== count) throw new BenchError(`${who}: expected ${count} blobs ${kind}, got ${JSON.stringify(result.blobs)}`);
}

async function slipwayInProcess(ctx: Context, repository: string, fresh: boolean, concurrency = ctx.options.concurrency): Promise<Sample> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { dev, prod } = clients();
  let result: CopyImageResult;
  try {
    result = await copyImage(dev, SOURCE_REPO, ctx.sourceDigest, prod, repository, { tag: TARGET_TAG, concurrency });
  } finally {
    closeClient(dev);
    closeClient(prod);
  }
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  expectBlobs(result, fresh ? "copied" : "skipped", ctx.blobs.length, "slipway in-process");
  return { ms, cpuMs: (used.user + used.system) / 1000, digestMatches: result.digest === ctx.sourceDigest && (await targetDigest(repository, TARGET_TAG)) === ctx.sourceDigest };
}

async function slipwaySpawned(ctx: Context, repository: string, fresh: boolean): Promise<Sample> {
  const args = [ctx.scriptPath, SRC, DST, SOURCE_REPO, ctx.sourceDigest, repository, TARGET_TAG, String(ctx.options.concurrency)];
  const out = await mustRun("node", args, { timeoutMs: 5 * MINUTE, cpuFile: join(ctx.root, "cpu.txt") });
  const parsed = JSON.parse(out.stdout) as { startupMs: number; loadMs: number; copyMs: number; result: CopyImageResult };
  expectBlobs(parsed.result, fresh ? "copied" : "skipped", ctx.blobs.length, "slipway in a fresh process");
  return {
    ms: out.ms,
    ...(out.cpuMs === undefined ? {} : { cpuMs: out.cpuMs }),
    parts: { "node start-up": parsed.startupMs, "module loading": parsed.loadMs, copy: parsed.copyMs },
    digestMatches: parsed.result.digest === ctx.sourceDigest && (await targetDigest(repository, TARGET_TAG)) === ctx.sourceDigest,
  };
}

function skopeoArgs(ctx: Context, repository: string): string[] {
  return ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${SRC}/${SOURCE_REPO}@${ctx.sourceDigest}`, `docker://${DST}/${repository}:${TARGET_TAG}`];
}

/** Without a terminal skopeo does not say which blobs it skipped; the target's state says it: an empty registry, or this very repository. */
async function skopeo(ctx: Context, repository: string): Promise<Sample> {
  const out = await mustRun("skopeo", skopeoArgs(ctx, repository), { timeoutMs: 5 * MINUTE, cpuFile: join(ctx.root, "cpu.txt") });
  return { ms: out.ms, ...(out.cpuMs === undefined ? {} : { cpuMs: out.cpuMs }), digestMatches: (await targetDigest(repository, TARGET_TAG)) === ctx.sourceDigest };
}

async function dockerImages(filter: string): Promise<string[]> {
  const images = await run("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", `reference=${filter}`], { timeoutMs: 30 * SECOND }).catch(() => undefined);
  return images?.stdout.split("\n").filter((r) => r !== "" && !r.endsWith(":<none>")) ?? [];
}

/** Removes the bench's images from the engine, so a pull is a real pull (the debian base layer, shared with other images, stays). */
async function removeBenchImages(): Promise<void> {
  const refs = [...(await dockerImages(`${SRC}/*/*`)), ...(await dockerImages(`${DST}/*/*`))];
  if (refs.length > 0) await run("docker", ["rmi", "--force", ...refs], { timeoutMs: MINUTE }).catch(() => undefined);
}

async function docker(ctx: Context, repository: string): Promise<Sample> {
  await removeBenchImages();
  const source = `${SRC}/${SOURCE_REPO}:${SOURCE_TAG}`;
  const target = `${DST}/${repository}:${TARGET_TAG}`;
  const pull = await mustRun("docker", ["pull", source], { timeoutMs: 10 * MINUTE });
  const tag = await mustRun("docker", ["tag", source, target], { timeoutMs: MINUTE });
  const push = await mustRun("docker", ["push", target], { timeoutMs: 10 * MINUTE });
  const pulled = (pull.stdout.match(/: Pull complete/g) ?? []).length;
  const existed = (pull.stdout.match(/: Already exists/g) ?? []).length;
  const pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(push.stdout)?.[1];
  const stored = await targetDigest(repository, TARGET_TAG);
  await removeBenchImages();
  // What the pull wrote to disk must not be flushed during the next tool's turn.
  await run("sync", [], { timeoutMs: MINUTE }).catch(() => undefined);
  return {
    ms: pull.ms + tag.ms + push.ms,
    parts: { pull: pull.ms, tag: tag.ms, push: push.ms, "layers pulled": pulled, "layers already in the engine": existed },
    digestMatches: stored === ctx.sourceDigest && pushedDigest === ctx.sourceDigest,
    ...(stored === ctx.sourceDigest ? {} : { note: `target digest ${stored ?? "missing"}` }),
  };
}

// ------------------------------------------------------------ the benchmark

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(join(repoRoot, "dist", "src", "registry", "copy-image.js"))) throw new BenchError("dist/src/registry/copy-image.js is missing: run `npx tsc -p .` first");

  // Preflight: clear errors before anything is created.
  const dockerVersion = await dockerPreflight(run, BASE_IMAGE, "base image");
  const skopeoVersion = (await run("skopeo", ["--version"], { timeoutMs: 20 * SECOND }).catch(() => undefined))?.stdout.trim();
  if (skopeoVersion === undefined || skopeoVersion === "") throw new BenchError("skopeo is not installed (apt-get install skopeo)");
  const binary = registryBinary();
  if (binary === undefined) throw new BenchError("docker-registry (CNCF Distribution) is not installed (apt-get install docker-registry)");
  const registryVersion = (await run(binary, ["--version"], { timeoutMs: 20 * SECOND })).stdout.trim().split(" ").slice(1).join(" ");
  if (!hasTime) log(`no ${TIME_BIN} (apt-get install time): CPU times of skopeo and the spawned slipway are not measured`);

  const root = mkdtempSync(join(tmpdir(), "slipway-promote-bench-"));
  const stateDir = join(root, "state");
  const specs: Record<"dev" | "prod", DaemonSpec> = {
    dev: registryDaemonSpec(stateDir, "dev", parseRegistryUrl(SRC), binary),
    prod: registryDaemonSpec(stateDir, "prod", parseRegistryUrl(DST), binary),
  };
  log(`temp dir ${root}`);
  const cleanup = async (): Promise<void> => {
    for (const spec of Object.values(specs)) await stopDaemon(spec).catch((err: unknown) => log(`stopping the ${spec.name} failed: ${String(err)}`));
    await removeBenchImages();
    if (options.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
  const finish = cleanUpOnInterrupt(cleanup);

  try {
    log(`starting registries on ${SRC} (source) and ${DST} (target)`);
    await startDaemon(specs.dev);
    await startDaemon(specs.prod);
    /** A new, empty target registry: no blob there, none to cross-mount from an earlier round's repository. */
    const resetTarget = async (): Promise<void> => {
      await stopDaemon(specs.prod);
      rmSync(join(stateDir, "registries", "prod", "data"), { recursive: true, force: true });
      await startDaemon(specs.prod);
    };
    const registriesCpu = (): number =>
      Object.values(specs).reduce((sum, spec) => {
        const state = daemonState(spec);
        return sum + (state.kind === "running" ? processCpuMs(state.pid) : NaN);
      }, 0);

    // ---------------------------------------------------------- the image
    const context = join(root, "image");
    mkdirSync(context, { recursive: true });
    const dockerfile = [`FROM ${BASE_IMAGE}`, ...Array.from({ length: options.layers }, (_, i) => `RUN head -c ${options.layerMiB}M /dev/urandom > /random-${i + 1}`), ""].join("\n");
    writeFileSync(join(context, "Dockerfile"), dockerfile);
    const sourceRef = `${SRC}/${SOURCE_REPO}:${SOURCE_TAG}`;
    log(`building ${sourceRef}: ${BASE_IMAGE} + ${options.layers} layers of ${options.layerMiB} MiB from /dev/urandom`);
    await mustRun("docker", ["build", "--no-cache", "--force-rm", "-t", sourceRef, context], { timeoutMs: 10 * MINUTE, env: { DOCKER_BUILDKIT: "0" } });
    log(`docker push ${sourceRef}`);
    const pushed = await mustRun("docker", ["push", sourceRef], { timeoutMs: 10 * MINUTE });
    // The engine must not keep the built layers, or docker pull would find them "Already exists".
    await removeBenchImages();

    const { dev } = clients();
    const manifest = await dev.getManifest(SOURCE_REPO, SOURCE_TAG);
    closeClient(dev);
    if (manifest.kind !== "manifest") throw new BenchError(`${sourceRef} is an index; expected a single-platform image`);
    const sourceDigest = manifest.descriptor.digest;
    if (!pushed.stdout.includes(sourceDigest)) throw new BenchError(`docker push reported another digest than the registry serves (${sourceDigest}):\n${tail(pushed.stdout)}`);
    const layers = manifest.manifest.layers;
    const blobs = [manifest.manifest.config, ...layers];
    const compressed = blobs.reduce((sum, b) => sum + b.size, 0) + manifest.descriptor.size;
    log(`source ${SRC}/${SOURCE_REPO}@${sourceDigest}: ${layers.length} layers, ${megabytes(compressed)} MB compressed`);

    const ctx: Context = { options, root, sourceDigest, blobs, scriptPath: join(root, "copy-once.mjs") };
    writeFileSync(ctx.scriptPath, copyScript());

    const fresh = new Map<ToolName, Sample[]>();
    const again = new Map<ToolName, Sample[]>();
    const push = (map: Map<ToolName, Sample[]>, name: ToolName, sample: Sample): void => {
      map.set(name, [...(map.get(name) ?? []), sample]);
    };
    const tools: { name: ToolName; fresh: (repo: string) => Promise<Sample>; again?: (repo: string) => Promise<Sample> }[] = [
      { name: "slipway-inproc", fresh: (r) => slipwayInProcess(ctx, r, true), again: (r) => slipwayInProcess(ctx, r, false) },
      { name: "slipway-spawned", fresh: (r) => slipwaySpawned(ctx, r, true), again: (r) => slipwaySpawned(ctx, r, false) },
      { name: "skopeo", fresh: (r) => skopeo(ctx, r), again: (r) => skopeo(ctx, r) },
      { name: "docker", fresh: (r) => docker(ctx, r) },
    ];
    const loads: number[] = [];
    // Round 0 warms up (JIT, the page cache of the source's blobs, skopeo's and docker's own state) and is not counted.
    for (let round = 0; round <= options.runs; round++) {
      const order = tools.map((_, k) => tools[(k + round) % tools.length] as (typeof tools)[number]);
      const done: string[] = [];
      for (const tool of order) {
        const repository = `bench/${tool.name}-${round}`;
        await resetTarget();
        const before = registriesCpu();
        const sample = await tool.fresh(repository);
        sample.registriesCpuMs = registriesCpu() - before;
        if (!sample.digestMatches && tool.name !== "docker") throw new BenchError(`${tool.name}: the copy in ${DST}/${repository} does not have the source digest ${sourceDigest}`);
        if (round > 0) push(fresh, tool.name, sample);
        let line = `${tool.name} ${seconds(sample.ms)}s`;
        if (tool.again !== undefined) {
          const sample2 = await tool.again(repository);
          if (!sample2.digestMatches) throw new BenchError(`${tool.name}: the repeated copy in ${DST}/${repository} does not have the source digest`);
          if (round > 0) push(again, tool.name, sample2);
          line += ` (again ${millis(sample2.ms)} ms)`;
        }
        done.push(line);
      }
      const load = loadavg()[0] ?? NaN;
      if (round > 0) loads.push(load);
      log(`${round === 0 ? "warm-up" : `round ${round}/${options.runs}`}: ${done.join(", ")}; load ${load.toFixed(2)}`);
    }

    let profile: string | undefined;
    if (options.profile) profile = await profileCopy(ctx, resetTarget, registriesCpu);

    // ---------------------------------------------------------- report
    const slipwayVersion = await slipwayAt(run);
    const labels: Record<ToolName, string> = {
      "slipway-inproc": "slipway `copyImage`, in-process",
      "slipway-spawned": "slipway, fresh `node` process",
      skopeo: "`skopeo copy`",
      docker: "`docker pull` + `tag` + `push`",
    };
    const lines: string[] = [];
    lines.push(resultsHeading(), "");
    lines.push(
      `Machine: ${machine()}, Docker Engine ${dockerVersion}, ` +
        `${skopeoVersion}, Distribution ${registryVersion}, ${slipwayVersion}; ` +
        `1-minute load average after each round: ${loads.map((l) => l.toFixed(2)).join(", ")}.`,
      "",
    );
    lines.push(
      `Image: ${layers.length} layers + config, ${megabytes(compressed)} MB compressed (layers ${layers.map((l) => megabytes(l.size)).join(" + ")} MB: ${BASE_IMAGE}, then ` +
        `${options.layers} × ${options.layerMiB} MiB of /dev/urandom). slipway's copy concurrency: ${options.concurrency}.`,
      "",
    );
    lines.push(`(a) Fresh copy — into an empty target registry each time — wall time in seconds, ${options.runs} rounds after one warm-up, the tools' order rotating:`, "");
    lines.push("| tool | median | min | max | MB/s (median) | CPU of the tool, s | CPU of the two registries, s |", "|---|---:|---:|---:|---:|---:|---:|");
    const freshSummary = new Map<ToolName, Summary>();
    for (const tool of tools) {
      const samples = fresh.get(tool.name) ?? [];
      const s = summarize(samples.map((x) => x.ms));
      freshSummary.set(tool.name, s);
      const toolCpu = median(samples.map((x) => x.cpuMs ?? NaN));
      lines.push(
        `| ${labels[tool.name]} | ${seconds(s.median)} | ${seconds(s.min)} | ${seconds(s.max)} | ${(compressed / MB / (s.median / SECOND)).toFixed(0)} | ` +
          `${Number.isNaN(toolCpu) ? "—" : seconds(toolCpu)} | ${seconds(median(samples.map((x) => x.registriesCpuMs ?? NaN)))} |`,
      );
    }
    lines.push("");
    lines.push(`(b) Target already has every blob — the same copy again, into the repository just filled — wall time in milliseconds:`, "");
    lines.push("| tool | median | min | max |", "|---|---:|---:|---:|");
    const againSummary = new Map<ToolName, Summary>();
    for (const tool of tools) {
      if (tool.again === undefined) continue;
      const s = summarize((again.get(tool.name) ?? []).map((x) => x.ms));
      againSummary.set(tool.name, s);
      lines.push(`| ${labels[tool.name]} | ${millis(s.median)} | ${millis(s.min)} | ${millis(s.max)} |`);
    }
    lines.push("");
    const ratio = (a: ToolName, b: ToolName, map: Map<ToolName, Summary>): string => {
      const x = map.get(a);
      const y = map.get(b);
      return x === undefined || y === undefined ? "" : `${(x.median / y.median).toFixed(2)}×`;
    };
    lines.push("| ratio of medians | fresh | already there |", "|---|---:|---:|");
    lines.push(`| slipway in-process / skopeo | ${ratio("slipway-inproc", "skopeo", freshSummary)} | ${ratio("slipway-inproc", "skopeo", againSummary)} |`);
    lines.push(`| slipway fresh process / skopeo | ${ratio("slipway-spawned", "skopeo", freshSummary)} | ${ratio("slipway-spawned", "skopeo", againSummary)} |`);
    lines.push(`| docker / skopeo | ${ratio("docker", "skopeo", freshSummary)} | |`);
    lines.push("");
    const parts = (samples: Sample[] | undefined, unit = " ms"): string =>
      samples?.[0]?.parts === undefined ? "" : Object.keys(samples[0].parts).map((k) => `${k} ${millis(median(samples.map((s) => s.parts?.[k] ?? NaN)))}${unit}`).join(", ");
    lines.push(`slipway in a fresh process, medians: fresh copy — ${parts(fresh.get("slipway-spawned"))}; already there — ${parts(again.get("slipway-spawned"))}.`);
    const dockerSamples = fresh.get("docker") ?? [];
    lines.push(
      `docker, medians: ${parts(dockerSamples, "")} (ms, then counts); the target's digest ${dockerSamples.every((s) => s.digestMatches) ? "equalled the source's in every round" : `differed: ${dockerSamples.map((s) => s.note ?? "same").join("; ")}`}.`,
    );
    lines.push(
      `Every slipway and skopeo copy was checked: the target's tag resolves (HEAD) to the source digest; slipway's result counted ${blobs.length} blobs copied (fresh) or skipped (again).`,
    );
    lines.push("");
    const raw = (map: Map<ToolName, Sample[]>, fmt: (ms: number) => string): string => tools.filter((t) => map.has(t.name)).map((t) => `${t.name}: ${(map.get(t.name) ?? []).map((x) => fmt(x.ms)).join(" ")}`).join("; ");
    lines.push(`Raw samples, fresh (s): ${raw(fresh, seconds)}. Again (ms): ${raw(again, millis)}.`);
    if (profile !== undefined) lines.push("", profile);
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    await finish();
  }
}

// ------------------------------------------------------------ --profile

/** Where slipway's fresh copy spends its time: variants side by side, one copy's per-blob timeline, a CPU profile. */
async function profileCopy(ctx: Context, resetTarget: () => Promise<void>, registriesCpu: () => number): Promise<string> {
  const { runs } = ctx.options;
  const variants: { name: string; copy: (repo: string) => Promise<{ ms?: number; cpuMs?: number }> }[] = [
    ...[1, 2, 4, 8].map((c) => ({ name: `slipway \`copyImage\`, concurrency ${c}`, copy: (r: string) => slipwayInProcess(ctx, r, true, c) })),
    ...[0, 1, 2].map((passes) => ({
      name: `bare \`node:http\` GET → PUT, ${passes === 0 ? "no digest" : passes === 1 ? "one sha256 pass" : "two sha256 passes (as copyImage)"}, concurrency 4`,
      copy: (r: string) => bareCopy(ctx.blobs, r, passes, 4),
    })),
    { name: "`skopeo copy`", copy: (r: string) => skopeo(ctx, r) },
  ];
  const results = new Map<string, { ms: number; cpuMs: number; registriesCpuMs: number }[]>();
  log(`profile: ${variants.length} variants, ${runs} rounds`);
  for (let round = 0; round <= runs; round++) {
    for (const variant of variants) {
      await resetTarget();
      const before = registriesCpu();
      const started = performance.now();
      const sample = await variant.copy(`bench/profile-${round}`);
      const ms = sample.ms ?? performance.now() - started;
      const cpuMs = sample.cpuMs;
      if (round > 0) results.set(variant.name, [...(results.get(variant.name) ?? []), { ms, cpuMs: cpuMs ?? NaN, registriesCpuMs: registriesCpu() - before }]);
    }
    if (round > 0) log(`  profile round ${round}/${runs}`);
  }
  const lines: string[] = [];
  lines.push(`Profile — fresh copies, ${runs} rounds each (after one warm-up), every variant into an empty target registry; the bare variants move the ${ctx.blobs.length} blobs only (no manifests), without slipway's code:`, "");
  lines.push("| variant | wall, median s | wall, min s | CPU of the copying process, s | CPU of the two registries, s |", "|---|---:|---:|---:|---:|");
  for (const [name, samples] of results) {
    lines.push(`| ${name} | ${seconds(median(samples.map((s) => s.ms)))} | ${seconds(Math.min(...samples.map((s) => s.ms)))} | ${seconds(median(samples.map((s) => s.cpuMs)))} | ${seconds(median(samples.map((s) => s.registriesCpuMs)))} |`);
  }
  lines.push("", await blobTimeline(ctx, resetTarget), "", await cpuProfile(ctx, resetTarget));
  return lines.join("\n");
}

/** A Transform that hashes what passes and checks the digest at the end, as DigestingStream does. */
function sha256Pass(digest: string): Transform {
  const hash = createHash("sha256");
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      const actual = `sha256:${hash.digest("hex")}`;
      callback(actual === digest ? null : new BenchError(`bare copy: ${actual} is not ${digest}`));
    },
  });
}

function bareRequest(agent: Agent, port: number, method: string, path: string, headers: Record<string, string>, body?: Readable): Promise<IncomingMessage> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, method, path, headers, agent }, resolvePromise);
    req.on("error", reject);
    if (body === undefined) req.end();
    else {
      body.on("error", (err) => req.destroy(err));
      body.pipe(req);
    }
  });
}

/** The floor: the blobs streamed from source to target over node:http with `passes` sha256 passes, `concurrency` at a time. */
async function bareCopy(blobs: readonly Descriptor[], repository: string, passes: number, concurrency: number): Promise<{ cpuMs: number }> {
  const cpu = process.cpuUsage();
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  try {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let blob = blobs[next++]; blob !== undefined; blob = blobs[next++]) {
        const head = await bareRequest(agent, DST_PORT, "HEAD", `/v2/${repository}/blobs/${blob.digest}`, {});
        head.resume();
        const get = await bareRequest(agent, SRC_PORT, "GET", `/v2/${SOURCE_REPO}/blobs/${blob.digest}`, {});
        if (get.statusCode !== 200) throw new BenchError(`bare copy: GET ${blob.digest} answered ${get.statusCode}`);
        const post = await bareRequest(agent, DST_PORT, "POST", `/v2/${repository}/blobs/uploads/`, { "content-length": "0" });
        post.resume();
        const location = new URL(post.headers.location ?? "", `http://${DST}`);
        let body: Readable = get;
        for (let i = 0; i < passes; i++) body = body.pipe(sha256Pass(blob.digest));
        const path = `${location.pathname}${location.search === "" ? "?" : `${location.search}&`}digest=${encodeURIComponent(blob.digest)}`;
        const put = await bareRequest(agent, DST_PORT, "PUT", path, { "content-type": "application/octet-stream", "content-length": String(blob.size) }, body);
        put.resume();
        if (put.statusCode !== 201) throw new BenchError(`bare copy: PUT ${blob.digest} answered ${put.statusCode}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const used = process.cpuUsage(cpu);
  return { cpuMs: (used.user + used.system) / 1000 };
}

/** One in-process copyImage with each blob's steps timed, through a client that times and delegates. */
async function blobTimeline(ctx: Context, resetTarget: () => Promise<void>): Promise<string> {
  await resetTarget();
  const t0 = performance.now();
  const at = (): number => performance.now() - t0;
  const marks = new Map<string, Record<string, number>>();
  const mark = (digest: string, what: string): void => {
    marks.set(digest, { ...marks.get(digest), [what]: at() });
  };
  const timed = (client: RegistryClient): RegistryClient =>
    new Proxy(client, {
      get(target, property) {
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== "function") return value;
        const method = (value as (...args: unknown[]) => unknown).bind(target);
        if (property === "headBlob") return async (repository: string, digest: string) => (mark(digest, "head"), await method(repository, digest));
        if (property === "getBlob")
          return async (repository: string, digest: string) => {
            const blob = (await method(repository, digest)) as { stream: Readable };
            mark(digest, "get");
            blob.stream.once("end", () => mark(digest, "read"));
            return blob;
          };
        if (property === "pushBlob")
          return async (repository: string, content: Readable, options: { digest: string }) => {
            const pushed = await method(repository, content, options);
            mark(options.digest, "pushed");
            return pushed;
          };
        return method;
      },
    });
  const { dev, prod } = clients();
  const result = await copyImage(timed(dev), SOURCE_REPO, ctx.sourceDigest, timed(prod), "bench/timeline", { tag: TARGET_TAG, concurrency: ctx.options.concurrency });
  const total = at();
  closeClient(dev);
  closeClient(prod);
  expectBlobs(result, "copied", ctx.blobs.length, "timeline copy");
  const lastPushed = Math.max(...[...marks.values()].map((m) => m["pushed"] ?? 0));
  const lines = [
    `One fresh \`copyImage\` (concurrency ${ctx.options.concurrency}), each blob's steps in ms from the start: HEAD in the target sent, GET answered by the source, upload (POST + PUT) acknowledged; total ${millis(total)} ms, of which ${millis(total - lastPushed)} ms after the last blob (manifest and tag):`,
    "",
    "| blob | MB | HEAD | GET answered | uploaded | MB/s while streaming |",
    "|---|---:|---:|---:|---:|---:|",
  ];
  for (const blob of ctx.blobs) {
    const m = marks.get(blob.digest) ?? {};
    const streaming = (m["pushed"] ?? NaN) - (m["get"] ?? NaN);
    lines.push(`| ${blob.digest.slice(7, 19)} | ${megabytes(blob.size)} | ${millis(m["head"] ?? NaN)} | ${millis(m["get"] ?? NaN)} | ${millis(m["pushed"] ?? NaN)} | ${(blob.size / MB / (streaming / SECOND)).toFixed(0)} |`);
  }
  return lines.join("\n");
}

/** One fresh copy in a fresh process under `node --cpu-prof`: self time by where the code lives. */
async function cpuProfile(ctx: Context, resetTarget: () => Promise<void>): Promise<string> {
  await resetTarget();
  const dir = join(ctx.root, "cpu-prof");
  await mustRun("node", ["--cpu-prof", "--cpu-prof-dir", dir, ctx.scriptPath, SRC, DST, SOURCE_REPO, ctx.sourceDigest, "bench/cpu-prof", TARGET_TAG, String(ctx.options.concurrency)], { timeoutMs: 5 * MINUTE });
  const { profiledMs, buckets } = readCpuProfile(dir, bucket);
  const rows = buckets.slice(0, 14);
  return [
    `CPU profile of one fresh copy in a fresh process (\`node --cpu-prof\`, ${profiledMs.toFixed(0)} ms profiled; self time by function or file, top ${rows.length}):`,
    "",
    ...cpuProfileTable(rows),
  ].join("\n");
}

function bucket(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") return functionName.startsWith("(") ? functionName : `(native) ${functionName || "anonymous"}`;
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) return `node_modules/${url.slice(nm + "/node_modules/".length).split("/")[0] ?? ""}`;
  if (url.startsWith("node:")) return `${functionName || "anonymous"} (${url})`;
  const dist = url.indexOf("/dist/");
  return `${functionName || "anonymous"} (${dist >= 0 ? url.slice(dist + 1) : url})`;
}

runMain(main);
