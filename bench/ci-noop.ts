// Benchmark: `slipway ci` on a generated system of small services (50 by
// default), (a) when nothing changed and (b) when one service changed, with
// `turbo run build` on the same packages beside it as the reference for a
// no-op (its native binary, and through `npx`). Not a test: it prints a
// markdown table for docs/benchmarks.md.
//
//   npx tsc -p . && node dist/bench/ci-noop.js [--services 50] [--runs 7] [--changed-runs 3] [--profile] [--keep]
//
// Needs Docker Engine with debian:bookworm-slim present, git, npm (turbo is
// installed from the npm registry into the temp dir), and ports 15601/15602
// free on 127.0.0.1. Everything it creates lives in one temp dir, which it
// removes at the end, after `slipway down`, also when it fails.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cpuProfileTable, readCpuProfile, type CallFrame } from "./lib/cpu-profile.js";
import { cleanUpOnInterrupt, dockerPreflight, machine, repoRoot, resultsHeading, runMain, slipwayAt, wholeNumber } from "./lib/harness.js";
import { BenchError, hasTime, log, runner, tail, TIME_BIN, type RunResult } from "./lib/processes.js";
import { MINUTE, SECOND, seconds, summarize } from "./lib/stats.js";

const slipwayBin = join(repoRoot, "bin", "slipway.js");
const DEV_PORT = 15601;
const PROD_PORT = 15602;
const SYSTEM = "ci-bench";
const BUILD_IMAGE = "debian:bookworm-slim";

interface Options {
  services: number;
  runs: number;
  changedRuns: number;
  profile: boolean;
  keep: boolean;
}

function parseArgs(argv: string[]): Options {
  const options: Options = { services: 50, runs: 7, changedRuns: 3, profile: false, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--services") options.services = wholeNumber(arg, argv[++i], 1, 99);
    else if (arg === "--runs") options.runs = wholeNumber(arg, argv[++i], 1, 50);
    else if (arg === "--changed-runs") options.changedRuns = wholeNumber(arg, argv[++i], 0, 10);
    else if (arg === "--profile") options.profile = true;
    else if (arg === "--keep") options.keep = true;
    else throw new BenchError(`unknown argument "${arg}"; usage: node dist/bench/ci-noop.js [--services 50] [--runs 7] [--changed-runs 3] [--profile] [--keep]`);
  }
  return options;
}

// ------------------------------------------------------------ processes

const quiet: Record<string, string> = {
  // Keep turbo and npm from phoning home: traffic goes to 127.0.0.1 only.
  TURBO_TELEMETRY_DISABLED: "1",
  DO_NOT_TRACK: "1",
  TURBO_NO_UPDATE_NOTIFIER: "1",
  NPM_CONFIG_UPDATE_NOTIFIER: "false",
  NO_COLOR: "1",
  FORCE_COLOR: "0",
};

const { run, mustRun } = runner(quiet);

// ------------------------------------------------------------ the system

function serviceName(i: number): string {
  return `svc-${String(i).padStart(2, "0")}`;
}

function generateSystem(root: string, count: number, npmVersion: string): string[] {
  const names = Array.from({ length: count }, (_, i) => serviceName(i + 1));
  writeFileSync(
    join(root, "slipway.yaml"),
    [
      `system: ${SYSTEM}`,
      "stateDir: .slipway-state",
      "registries:",
      `  dev: { url: 127.0.0.1:${DEV_PORT} }`,
      `  prod: { url: 127.0.0.1:${PROD_PORT} }`,
      "environments:",
      "  - { name: test, runtime: docker, registry: dev }",
      "services:",
      "  - services/*",
      "",
    ].join("\n"),
  );
  // The state dir, turbo's logs and cache and node_modules are not sources.
  writeFileSync(join(root, ".gitignore"), ".slipway-state/\nnode_modules/\n.turbo/\n");
  writeFileSync(
    join(root, "package.json"),
    JSON.stringify({ name: "ci-bench", private: true, workspaces: ["services/*"], packageManager: `npm@${npmVersion}` }, null, 2) + "\n",
  );
  writeFileSync(join(root, "turbo.json"), JSON.stringify({ $schema: "https://turborepo.com/schema.json", tasks: { build: { outputs: [] } } }, null, 2) + "\n");
  for (const name of names) {
    const dir = join(root, "services", name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "slipway.service.yaml"),
      [
        `name: ${name}`,
        "owners: [team-bench]",
        "version: 1.0.0",
        "build:",
        `  image: ${BUILD_IMAGE}`,
        '  commands: ["test -f main.sh"]',
        '  test: ["test -s main.sh"]',
        "image: { dockerfile: Dockerfile, context: . }",
        "port: 8080",
        "readiness:",
        '  exec: { command: ["true"] }',
        "  periodSeconds: 0.2",
        "",
      ].join("\n"),
    );
    writeFileSync(join(dir, "Dockerfile"), `FROM ${BUILD_IMAGE}\nCOPY main.sh /main.sh\nCMD ["sh", "/main.sh"]\n`);
    writeFileSync(join(dir, "main.sh"), `#!/bin/sh\n# ${name}\nexec sleep 3600\n`);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({ name, version: "1.0.0", private: true, scripts: { build: "sh -c 'test -f main.sh && echo built'" } }, null, 2) + "\n",
    );
  }
  return names;
}

/** The platform's own turbo binary, not the node shim in node_modules/.bin. */
function findTurboNative(root: string): string {
  const arch = process.arch === "x64" ? "64" : process.arch;
  const candidates = [
    join(root, "node_modules", "@turbo", `${process.platform}-${arch}`, "bin", "turbo"),
    join(root, "node_modules", `turbo-${process.platform}-${arch}`, "bin", "turbo"),
  ];
  const found = candidates.find((c) => existsSync(c));
  if (found === undefined) throw new BenchError(`turbo's native binary is not at any of:\n  ${candidates.join("\n  ")}`);
  return found;
}

// ------------------------------------------------------------ the benchmark

interface Tool {
  name: string;
  /** As the table shows it. */
  label: string;
  command: string;
  args: string[];
  /** Throws when the run was not the no-op it should have been. */
  check: (result: RunResult) => void;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  if (!existsSync(join(repoRoot, "dist", "src", "cli", "main.js"))) throw new BenchError("dist/src/cli/main.js is missing: run `npx tsc -p .` first");

  // Preflight: clear errors before anything is created.
  const dockerVersion = await dockerPreflight(run, BUILD_IMAGE, "build image");
  const npmVersion = (await mustRun("npm", ["--version"], { timeoutMs: 30 * SECOND })).stdout.trim();
  const gitVersion = (await mustRun("git", ["--version"], { timeoutMs: 10 * SECOND })).stdout.trim();

  const root = mkdtempSync(join(tmpdir(), "slipway-bench-"));
  log(`system of ${options.services} services in ${root}`);
  let platformUp = false;
  const cleanup = async (): Promise<void> => {
    if (platformUp) {
      const down = await run("node", [slipwayBin, "-c", root, "down"], { timeoutMs: MINUTE }).catch((err: unknown) => ({ code: 1, stderr: String(err), stdout: "" }));
      if (down.code !== 0) log(`slipway down failed:\n${tail(down.stdout + down.stderr)}`);
      platformUp = false;
    }
    // The images this run built and tagged; the debian base they share stays.
    const images = await run("docker", ["images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", `reference=127.0.0.1:${DEV_PORT}/${SYSTEM}/*`], { timeoutMs: 30 * SECOND }).catch(() => undefined);
    const refs = images?.stdout.split("\n").filter((r) => r !== "") ?? [];
    for (let i = 0; i < refs.length; i += 100) await run("docker", ["rmi", "--force", ...refs.slice(i, i + 100)], { timeoutMs: MINUTE }).catch(() => undefined);
    if (options.keep) log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
  };
  const finish = cleanUpOnInterrupt(cleanup);

  try {
    const names = generateSystem(root, options.services, npmVersion);
    const git = (...args: string[]): Promise<RunResult> => mustRun("git", ["-C", root, "-c", "user.email=bench@slipway", "-c", "user.name=bench", ...args], { timeoutMs: MINUTE });

    // turbo, from the npm registry, as a devDependency the way a turbo repo has it (a lockfile too, or turbo warns on every run).
    log("installing turbo from npm into the temp dir");
    const install = await run("npm", ["install", "--save-dev", "--no-audit", "--no-fund", "turbo"], { cwd: root, timeoutMs: 5 * MINUTE });
    if (install.code !== 0) throw new BenchError(`npm install turbo failed (exit ${install.code}); is the npm registry reachable?\n${tail(install.stdout + install.stderr)}`);
    const turboNative = findTurboNative(root);
    const turboVersion = (await mustRun(turboNative, ["--version"], { cwd: root, timeoutMs: 30 * SECOND })).stdout.trim();
    await git("init", "-q");
    await git("add", "-A");
    await git("commit", "-qm", `${options.services} generated services`);

    const slipway = (args: string[], timeoutMs: number, onLine?: (line: string) => void): Promise<RunResult> =>
      run("node", [slipwayBin, "-c", root, ...args], { cwd: root, timeoutMs, env: { CI: "true" }, ...(onLine ? { onLine } : {}) });

    log("slipway up");
    platformUp = true; // `down` is harmless if `up` got only halfway.
    const up = await slipway(["up"], 2 * MINUTE);
    if (up.code !== 0) throw new BenchError(`slipway up failed (exit ${up.code}); are ports ${DEV_PORT}/${PROD_PORT} free?\n${tail(up.stdout + up.stderr)}`);

    // The first CI run builds and pushes everything; not measured.
    log(`first slipway ci: building and pushing ${names.length} services (a minute or two)`);
    let built = 0;
    const first = await slipway(["--json", "ci", "-j", String(Math.max(4, availableParallelism()))], 30 * MINUTE, (line) => {
      const event = parseEvent(line);
      if (event?.type === "service-finished") {
        if (event.outcome === "built") built++;
        log(`  ${event.service} ${event.outcome} in ${seconds(Number(event.durationMs))}s (${built}/${names.length} built)`);
      }
    });
    if (first.code !== 0 || built !== names.length) throw new BenchError(`the first slipway ci built ${built} of ${names.length} (exit ${first.code})\n${tail(first.stdout + first.stderr)}`);

    // Is the no-op really one? Every service up to date, nothing built.
    const verify = await slipway(["--json", "ci"], 2 * MINUTE);
    const upToDate = verify.stdout.split("\n").map(parseEvent).filter((e) => e?.type === "service-up-to-date").length;
    if (verify.code !== 0 || upToDate !== names.length) throw new BenchError(`a second slipway ci found ${upToDate} of ${names.length} up to date (exit ${verify.code})\n${tail(verify.stdout + verify.stderr)}`);

    log("turbo run build (cold, fills turbo's cache)");
    const cold = await mustRun(turboNative, ["run", "build"], { cwd: root, timeoutMs: 5 * MINUTE });
    if (!new RegExp(`${names.length} successful, ${names.length} total`).test(cold.stdout)) throw new BenchError(`turbo run build did not run ${names.length} tasks:\n${tail(cold.stdout)}`);

    const turboCheck = (result: RunResult): void => {
      if (result.code !== 0 || !new RegExp(`Cached:\\s+${names.length} cached, ${names.length} total`).test(result.stdout)) {
        throw new BenchError(`turbo's run was not a full cache hit (exit ${result.code}):\n${tail(result.stdout + result.stderr)}`);
      }
    };
    const tools: Tool[] = [
      {
        name: "slipway ci",
        label: "`slipway ci`",
        command: "node",
        args: [slipwayBin, "-c", root, "ci"],
        check: (result) => {
          const count = (result.stdout.match(/\] up to date: /g) ?? []).length;
          if (result.code !== 0 || count !== names.length) throw new BenchError(`slipway ci was not a no-op (exit ${result.code}, ${count} up to date):\n${tail(result.stdout + result.stderr)}`);
        },
      },
      { name: "turbo run build (native binary)", label: "`turbo run build` (native binary)", command: turboNative, args: ["run", "build"], check: turboCheck },
      { name: "npx turbo run build", label: "`npx turbo run build`", command: "npx", args: ["turbo", "run", "build"], check: turboCheck },
    ];
    const timeTool = async (tool: Tool): Promise<number> => {
      const result = await run(tool.command, tool.args, { cwd: root, timeoutMs: MINUTE, env: { CI: "true" } });
      tool.check(result);
      return result.ms;
    };

    log("no-op: one warm-up each");
    for (const tool of tools) await timeTool(tool);
    log(`no-op: ${options.runs} runs each, alternating`);
    const samples = new Map(tools.map((t) => [t.name, [] as number[]]));
    for (let i = 0; i < options.runs; i++) {
      // Rotate who goes first, so noise and warm caches favour no one.
      const order = tools.map((_, k) => tools[(k + i) % tools.length] as Tool);
      for (const tool of order) samples.get(tool.name)?.push(await timeTool(tool));
      log(`  run ${i + 1}: ${tools.map((t) => `${t.name} ${seconds(samples.get(t.name)?.at(-1) ?? NaN)}s`).join(", ")}`);
    }
    const noop = new Map([...samples].map(([name, s]) => [name, summarize(s)]));

    // Peak RSS (max resident set size) over 3 runs each; /usr/bin/time reports the largest of the process and its children.
    const rss = new Map<string, number>();
    if (hasTime) {
      for (const tool of tools) {
        let peak = 0;
        for (let i = 0; i < 3; i++) {
          const out = join(root, ".slipway-state", "rss.txt");
          const result = await run(TIME_BIN, ["-f", "%M", "-o", out, tool.command, ...tool.args], { cwd: root, timeoutMs: MINUTE, env: { CI: "true" } });
          tool.check(result);
          peak = Math.max(peak, Number(readFileSync(out, "utf8").trim().split("\n").at(-1)));
        }
        rss.set(tool.name, peak);
      }
    } else {
      log("no /usr/bin/time (apt-get install time): peak RSS not measured");
    }

    log("no-op, phase by phase (dist/bench/ci-noop-phases.js, 3 runs)");
    const phases = await phaseBreakdown(root, 3);
    let profile: string | undefined;
    if (options.profile) profile = await profileNoop(root);

    // (b) one service changed: a comment appended to its main.sh, a new content hash each time.
    const changed = names[Math.floor(names.length / 2)] ?? serviceName(1);
    const changedRuns: { ms: number; stages: Record<string, number> }[] = [];
    for (let i = 0; i < options.changedRuns; i++) {
      appendFileSync(join(root, "services", changed, "main.sh"), `# change ${i + 1} at ${new Date().toISOString()}\n`);
      const stages: Record<string, number> = {};
      const events: Record<string, unknown>[] = [];
      const result = await slipway(["--json", "ci"], 10 * MINUTE, (line) => {
        const event = parseEvent(line);
        if (event === undefined) return;
        events.push(event);
        if (event.type === "stage-finished") stages[String(event.stage)] = Number(event.durationMs);
      });
      const builtNow = events.filter((e) => e.type === "service-finished" && e.outcome === "built").map((e) => e.service);
      if (result.code !== 0 || builtNow.length !== 1 || builtNow[0] !== changed) {
        throw new BenchError(`slipway ci after changing ${changed} built [${builtNow.join(", ")}] (exit ${result.code})\n${tail(result.stdout + result.stderr)}`);
      }
      changedRuns.push({ ms: result.ms, stages });
      log(`  changed ${changed} (${i + 1}/${options.changedRuns}): ${seconds(result.ms)}s`);
    }

    // ---------------------------------------------------------- report
    const slipwayVersion = await slipwayAt(run);
    const s = noop.get("slipway ci");
    const native = noop.get("turbo run build (native binary)");
    const npx = noop.get("npx turbo run build");
    const lines: string[] = [];
    lines.push(resultsHeading(), "");
    lines.push(
      `Machine: ${machine()}, npm ${npmVersion}, ` +
        `Docker Engine ${dockerVersion}, ${gitVersion}, turbo ${turboVersion}, ${slipwayVersion}.`,
      "",
    );
    lines.push(`(a) No-op, ${options.services} services, nothing changed — wall time in seconds, ${options.runs} runs each after one warm-up, alternating:`, "");
    lines.push("| command | median | min | max | peak RSS |", "|---|---:|---:|---:|---:|");
    for (const tool of tools) {
      const t = noop.get(tool.name);
      if (t === undefined) continue;
      const peak = rss.get(tool.name);
      lines.push(`| ${tool.label} | ${seconds(t.median)} | ${seconds(t.min)} | ${seconds(t.max)} | ${peak === undefined ? "—" : `${(peak / 1024).toFixed(0)} MB`} |`);
    }
    lines.push("");
    if (s !== undefined && native !== undefined && npx !== undefined) {
      lines.push("| ratio (medians) | |", "|---|---:|");
      lines.push(`| slipway no-op / turbo native | ${(s.median / native.median).toFixed(1)}× |`);
      lines.push(`| slipway no-op / npx turbo | ${(s.median / npx.median).toFixed(2)}× |`);
      lines.push("");
    }
    if (changedRuns.length > 0) {
      const c = summarize(changedRuns.map((r) => r.ms));
      const stageNames = ["build", "unit-test", "image", "container-test", "push"];
      const stageMedian = (stage: string): string => seconds(summarize(changedRuns.map((r) => r.stages[stage] ?? NaN)).median);
      lines.push(`(b) One service changed (${changed}/main.sh, a comment appended), \`slipway ci\` rebuilds it and finds the other ${options.services - 1} up to date — ${changedRuns.length} runs:`, "");
      lines.push(`| | median | min | max | build | unit-test | image | container-test | push |`, "|---|---:|---:|---:|---:|---:|---:|---:|---:|");
      lines.push(`| \`slipway ci\`, one changed | ${seconds(c.median)} | ${seconds(c.min)} | ${seconds(c.max)} | ${stageNames.map(stageMedian).join(" | ")} |`);
      lines.push("", "(stage columns: the median of each stage's own duration, in seconds, from the run's events)", "");
    }
    lines.push("Raw samples (s): " + [...noop].map(([name, t]) => `${name}: ${t.samples.map(seconds).join(" ")}`).join("; ") + (changedRuns.length > 0 ? `; one changed: ${changedRuns.map((r) => seconds(r.ms)).join(" ")}` : ""));
    if (s !== undefined) {
      lines.push("", `Goal (no-op under 1 s for ${options.services} services, ahead of npx turbo): ${s.median < SECOND ? "under 1 s: yes" : "under 1 s: NO"}; ${npx !== undefined && s.median < npx.median ? "ahead of npx turbo: yes" : "ahead of npx turbo: NO"}.`);
    }
    lines.push("", phases);
    if (profile !== undefined) lines.push("", profile);
    process.stdout.write(lines.join("\n") + "\n");
  } finally {
    await finish();
  }
}

function parseEvent(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

// ------------------------------------------------------------ phases

/** The no-op's steps timed one by one in a fresh process (ci-noop-phases.js), median of `runs` runs per step. */
async function phaseBreakdown(root: string, runs: number): Promise<string> {
  const script = join(dirname(fileURLToPath(import.meta.url)), "ci-noop-phases.js");
  const results: { phases: { name: string; ms: number }[]; totalMs: number; found: number; services: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const result = await mustRun("node", [script, root], { cwd: root, timeoutMs: MINUTE });
    const parsed = JSON.parse(result.stdout) as (typeof results)[number];
    if (parsed.found !== parsed.services) throw new BenchError(`ci-noop-phases.js found ${parsed.found} of ${parsed.services} images: not a no-op`);
    results.push(parsed);
  }
  const first = results[0];
  if (first === undefined) return "";
  const total = summarize(results.map((r) => r.totalMs)).median;
  return [
    `Where the no-op's time goes: its steps timed one by one in one process (\`node dist/bench/ci-noop-phases.js <system>\`), median of ${runs} runs, ms:`,
    "",
    "| step | ms | share |",
    "|---|---:|---:|",
    ...first.phases.map((phase, i) => {
      const ms = summarize(results.map((r) => r.phases[i]?.ms ?? NaN)).median;
      return `| ${phase.name} | ${ms.toFixed(1)} | ${((100 * ms) / total).toFixed(0)}% |`;
    }),
    `| total, to the last step (process exit follows) | ${total.toFixed(1)} | |`,
  ].join("\n");
}

// ------------------------------------------------------------ --profile

/** One no-op under `node --cpu-prof`: CPU time by package (node_modules) or slipway file, and what was idle. */
async function profileNoop(root: string): Promise<string> {
  const dir = join(root, ".slipway-state", "cpu-prof");
  const result = await run("node", ["--cpu-prof", "--cpu-prof-dir", dir, slipwayBin, "-c", root, "ci"], { cwd: root, timeoutMs: MINUTE, env: { CI: "true" } });
  if (result.code !== 0) throw new BenchError(`slipway ci under --cpu-prof exited ${result.code}\n${tail(result.stdout + result.stderr)}`);
  const { profiledMs, buckets } = readCpuProfile(dir, bucket);
  return [
    `CPU profile of one no-op (node --cpu-prof; ${profiledMs.toFixed(0)} ms profiled, self time by where the code lives):`,
    "",
    ...cpuProfileTable(buckets.slice(0, 15)),
  ].join("\n");
}

function bucket(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") return functionName.startsWith("(") ? functionName : `(native) ${functionName || "anonymous"}`;
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const rest = url.slice(nm + "/node_modules/".length).split("/");
    return `node_modules/${rest[0]?.startsWith("@") ? `${rest[0]}/${rest[1] ?? ""}` : (rest[0] ?? "")}`;
  }
  if (url.startsWith("node:")) return `${url} (Node.js)`;
  const dist = url.indexOf("/dist/");
  return dist >= 0 ? url.slice(dist + 1) : url;
}

runMain(main);
