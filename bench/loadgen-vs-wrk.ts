// Benchmark: the ceiling of slipway's load generator (autocannon, driven by
// src/pipeline/load-generator.ts exactly as `slipway loadtest` drives it)
// beside wrk, against the same loopback target in one run.
//
// The target is a HAProxy answering every request itself (`http-request
// return`), so it costs next to nothing and the generator is what limits the
// rate. Each round runs both generators, one after the other, the order
// alternating, with the same connections and duration, as fast as they can
// (no rate). Reported: the median requests/s of each, and their ratio.
//
// Not a test: it prints a markdown table for docs/benchmarks.md.
//
//   bash bench/loadgen-vs-wrk.sh [--seconds 5] [--rounds 3] [--connections 32]
//
// (installs Debian's wrk when missing, builds, runs dist/bench/loadgen-vs-wrk.js).
// Needs Debian's haproxy and wrk; loopback port 18490.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { LoadTest } from "../src/domain/config-schema.js";
import { haproxyBinary } from "../src/router/haproxy/haproxy-daemon.js";
import { generateLoad } from "../src/pipeline/load-generator.js";
import { answeringHaproxyConfig } from "./lib/answering-haproxy.js";
import { cleanUpOnInterrupt, machine, resultsHeading, runMain, slipwayAt, wholeNumber } from "./lib/harness.js";
import { BenchError, log, runner } from "./lib/processes.js";
import { SECOND, summarize } from "./lib/stats.js";

const TARGET_PORT = 18490;
const USAGE = "usage: node dist/bench/loadgen-vs-wrk.js [--seconds 5] [--rounds 3] [--connections 32]";

interface Options {
  seconds: number;
  rounds: number;
  connections: number;
}

function parseArgs(argv: readonly string[]): Options {
  const options: Options = { seconds: 5, rounds: 3, connections: 32 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--seconds") options.seconds = wholeNumber(arg, argv[++i], 1, 30);
    else if (arg === "--rounds") options.rounds = wholeNumber(arg, argv[++i], 1, 10);
    else if (arg === "--connections") options.connections = wholeNumber(arg, argv[++i], 1, 256);
    else throw new BenchError(`unknown argument ${arg ?? ""}\n${USAGE}`);
  }
  return options;
}

function targetConfig(): string {
  return answeringHaproxyConfig({ target: { port: TARGET_PORT, body: "ok" } });
}

async function startTarget(binary: string, dir: string): Promise<ChildProcess> {
  const file = join(dir, "target.cfg");
  writeFileSync(file, targetConfig());
  const child = spawn(binary, ["-db", "-f", file], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) throw new BenchError(`the target HAProxy exited: ${stderr}`);
    const ok = await fetch(`http://127.0.0.1:${TARGET_PORT}/`).then((r) => r.ok, () => false);
    if (ok) return child;
    await sleep(100);
  }
  throw new BenchError(`the target HAProxy did not answer on ${TARGET_PORT}: ${stderr}`);
}

interface Measured {
  rps: number;
  errors: number;
}

async function autocannonCeiling(options: Options): Promise<Measured> {
  const scenario: LoadTest = { name: "ceiling", target: { service: "target", method: "GET", path: "/" }, connections: options.connections, durationSeconds: options.seconds, thresholds: { maxErrorRate: 0 } };
  const run = await generateLoad(`http://127.0.0.1:${TARGET_PORT}`, scenario, AbortSignal.timeout((options.seconds + 30) * SECOND));
  return { rps: run.measurement.rps, errors: run.measurement.errors };
}

async function wrkCeiling(mustRun: ReturnType<typeof runner>["mustRun"], options: Options): Promise<Measured> {
  const out = await mustRun("wrk", ["-t2", `-c${options.connections}`, `-d${options.seconds}s`, `http://127.0.0.1:${TARGET_PORT}/`], { timeoutMs: (options.seconds + 30) * SECOND });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1] ?? NaN);
  if (Number.isNaN(rps)) throw new BenchError(`could not read wrk's output:\n${out.stdout}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out.stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out.stdout)?.[1] ?? 0);
  const errors = (socket === null ? 0 : socket.slice(1).reduce((n, v) => n + Number(v), 0)) + non2xx;
  return { rps, errors };
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const { run, mustRun } = runner({});
  const binary = haproxyBinary();
  if (binary === undefined) throw new BenchError("haproxy is not installed (apt-get install haproxy)");
  const wrkVersion = (await run("wrk", ["--version"], { timeoutMs: 10 * SECOND }).catch(() => undefined))?.stdout.split("\n")[0]?.trim();
  if (wrkVersion === undefined || wrkVersion === "") throw new BenchError("wrk is not installed: run bash bench/loadgen-vs-wrk.sh, which installs it");
  const slipwayVersion = await slipwayAt(run);
  const dir = mkdtempSync(join(tmpdir(), "slipway-loadgen-bench-"));
  let target: ChildProcess | undefined;
  const cleanup = cleanUpOnInterrupt(async () => {
    target?.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  });
  try {
    target = await startTarget(binary, dir);
    const loads: number[] = [];
    const results = { autocannon: [] as Measured[], wrk: [] as Measured[] };
    // One short warm-up of each, then the rounds, the order alternating.
    await autocannonCeiling({ ...options, seconds: 1 });
    await wrkCeiling(mustRun, { ...options, seconds: 1 });
    for (let round = 1; round <= options.rounds; round++) {
      const order = round % 2 === 1 ? (["autocannon", "wrk"] as const) : (["wrk", "autocannon"] as const);
      for (const name of order) results[name].push(name === "wrk" ? await wrkCeiling(mustRun, options) : await autocannonCeiling(options));
      loads.push(loadavg()[0] ?? NaN);
      log(`round ${round}/${options.rounds}: autocannon ${Math.round(results.autocannon.at(-1)?.rps ?? 0)} req/s, wrk ${Math.round(results.wrk.at(-1)?.rps ?? 0)} req/s; load ${(loadavg()[0] ?? NaN).toFixed(2)}`);
    }
    const a = summarize(results.autocannon.map((r) => r.rps));
    const w = summarize(results.wrk.map((r) => r.rps));
    const lines = [
      resultsHeading(),
      "",
      `Machine: ${machine()}, ${wrkVersion.replace(/ Copyright.*$/, "")}, ${slipwayVersion}; 1-minute load average after each round: ${loads.map((l) => l.toFixed(2)).join(", ")}.`,
      "",
      `Target: a HAProxy answering every request itself on 127.0.0.1:${TARGET_PORT}. ${options.connections} keep-alive connections, ${options.seconds} s a run, no rate limit, ${options.rounds} rounds (order alternating) after a 1 s warm-up of each.`,
      "",
      "| generator | median req/s | min | max | errors |",
      "|---|---:|---:|---:|---:|",
      `| slipway loadtest (autocannon, one Node thread) | ${Math.round(a.median)} | ${Math.round(a.min)} | ${Math.round(a.max)} | ${results.autocannon.reduce((n, r) => n + r.errors, 0)} |`,
      `| wrk -t2 | ${Math.round(w.median)} | ${Math.round(w.min)} | ${Math.round(w.max)} | ${results.wrk.reduce((n, r) => n + r.errors, 0)} |`,
      "",
      `Ratio (autocannon / wrk, medians): **${(a.median / w.median).toFixed(2)}**.`,
      `Raw req/s: autocannon ${results.autocannon.map((r) => Math.round(r.rps)).join(" ")}; wrk ${results.wrk.map((r) => Math.round(r.rps)).join(" ")}.`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await cleanup();
  }
}

runMain(main);
