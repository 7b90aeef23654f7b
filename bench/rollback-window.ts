// Benchmark: `slipway rollback` right after a finished rolling update, inside
// the scale-down window (the previous revision still runs, kept warm: a
// weight flip) and after it (its instances were removed: created again).
// Not a test: it prints a markdown table for docs/benchmarks.md.
//
//   npx tsc -p . && node dist/bench/rollback-window.js [--rounds 3] [--keep]
//
// A scratch system in a temp dir with one service (a tiny Python HTTP server,
// 2 replicas, readiness every 0.5 s, rolling maxSurge 1 / maxUnavailable 0),
// deployed through the real CLI to Docker behind the environment's HAProxy.
// Each round deploys v1, then v2 (settled), then runs `slipway rollback`
// under a keep-alive load of 200 requests/s through the service's endpoint,
// recording every answer's time and body:
//   inside  — scaleDownDelaySeconds 60: rollback at once after the deploy;
//   outside — scaleDownDelaySeconds 1: rollback once v1's instances are gone.
// Needs Docker Engine with python:3.11-slim-bookworm present (never pulled),
// HAProxy and the registry (scripts/setup-host.sh), and loopback ports
// 22190, 22191, 22110 and 22199 free. Everything it creates — the temp dir,
// the platform (`slipway down`), containers and images — is removed at the
// end, also when it fails or is interrupted.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { dockerMachineLine, resultsHeading, runMain } from "./lib/harness.js";
import { BenchError, log, runner } from "./lib/processes.js";
import { scratchSystem } from "./lib/scratch-system.js";
import { startAnswerLoad } from "./lib/answer-load.js";
import { millis, MINUTE, SECOND, summarize } from "./lib/stats.js";
import { buildVersions, PYTHON_BASE, roundsAndKeep } from "./lib/versioned-python.js";

const DEV = 22190;
const PROD = 22191;
const PORT_OFFSET = 20200;
const ENDPOINT = 1910 + PORT_OFFSET;
const SYSTEM = "bench-rollback-window";
const RPS = 200;
const USAGE = "usage: node dist/bench/rollback-window.js [--rounds 3] [--keep]";

interface RollbackTiming {
  firstOldMs: number;
  allOldMs: number;
  commandMs: number;
  failed: number;
  said: string;
}

async function main(): Promise<void> {
  const options = roundsAndKeep(process.argv.slice(2), USAGE);
  const { run, mustRun } = runner({ NO_COLOR: "1" });
  const { root, images, cli, writeService, cleanup } = scratchSystem({ run, mustRun }, { system: SYSTEM, prefix: "slipway-bench-rollback-", keep: options.keep, cliTimeoutMs: 3 * MINUTE });
  try {
    const machineLine = await dockerMachineLine(run, PYTHON_BASE);
    writeFileSync(
      join(root, "slipway.yaml"),
      `system: ${SYSTEM}\nregistries:\n  dev: { url: 127.0.0.1:${DEV} }\n  prod: { url: 127.0.0.1:${PROD} }\nenvironments:\n  - { name: bench, registry: dev, portOffset: ${PORT_OFFSET} }\nservices: [services/*]\n`,
    );
    const writeHello = (delaySeconds: number): void =>
      writeService(
        "hello",
        `name: hello\nowners: [bench]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nendpoint: { port: 1910 }\nreadiness: { http: { path: /healthz }, periodSeconds: 0.5 }\nreplicas: 2\nterminationGracePeriodSeconds: 5\nstrategy: { rolling: { maxSurge: 1, maxUnavailable: 0, scaleDownDelaySeconds: ${delaySeconds} } }\n`,
      );
    writeHello(60);
    await cli(["up"]);
    const digests = await buildVersions(mustRun, root, `127.0.0.1:${DEV}/${SYSTEM}/hello`, ["v1", "v2"], images);
    const deploy = (version: string) => cli(["deploy", "hello", "--env", "bench", "--digest", digests[version] as string]);
    const containers = async (): Promise<number> => (await run("docker", ["ps", "-q", "--filter", `label=org.slipway.system=${SYSTEM}`], { timeoutMs: 20 * SECOND })).stdout.split("\n").filter(Boolean).length;

    const measure = async (): Promise<RollbackTiming> => {
      const load = startAnswerLoad(ENDPOINT, RPS);
      await new Promise((r) => setTimeout(r, 500));
      const t0 = performance.now();
      const result = await cli(["rollback", "hello", "--env", "bench"]);
      await new Promise((r) => setTimeout(r, 500));
      const answers = (await load.stop()).filter((a) => a.atMs >= t0).sort((a, b) => a.atMs - b.atMs);
      const firstOld = answers.find((a) => a.body === "v1");
      const lastNew = [...answers].reverse().find((a) => a.body === "v2");
      if (firstOld === undefined) throw new BenchError(`no answer from v1 after the rollback:\n${result.stdout}`);
      const said = result.stdout.split("\n").find((l) => /still runs|re-creating/.test(l)) ?? "";
      return { firstOldMs: firstOld.atMs - t0, allOldMs: (lastNew?.atMs ?? t0) - t0, commandMs: result.ms, failed: answers.filter((a) => !a.ok).length, said };
    };

    const inside: RollbackTiming[] = [];
    const outside: RollbackTiming[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      writeHello(60);
      await deploy("v1").catch(() => undefined); // already running v1 after the previous round's rollback
      await deploy("v2");
      inside.push(await measure());
      log(`round ${round}: inside the window ${millis(inside.at(-1)?.allOldMs ?? NaN)} ms to all v1`);
      // Back to v2 with a 1 s delay, and wait until v1's instances are gone.
      writeHello(1);
      await deploy("v2");
      const giveUp = Date.now() + 2 * MINUTE;
      while ((await containers()) > 2) {
        if (Date.now() > giveUp) throw new BenchError("v1's instances were not scaled down within 2 minutes");
        await new Promise((r) => setTimeout(r, 200));
      }
      outside.push(await measure());
      log(`round ${round}: outside the window ${millis(outside.at(-1)?.allOldMs ?? NaN)} ms to all v1`);
    }

    const row = (name: string, timings: RollbackTiming[]): string => {
      const cell = (pick: (t: RollbackTiming) => number): string => {
        const s = summarize(timings.map(pick));
        return `${millis(s.median)} (${millis(s.min)}–${millis(s.max)})`;
      };
      return `| ${name} | ${cell((t) => t.firstOldMs)} | ${cell((t) => t.allOldMs)} | ${cell((t) => t.allOldMs - t.firstOldMs)} | ${cell((t) => t.commandMs)} | ${timings.reduce((n, t) => n + t.failed, 0)} |`;
    };
    const medianAll = (t: RollbackTiming[]): number => summarize(t.map((x) => x.allOldMs)).median;
    const medianSwitch = (t: RollbackTiming[]): number => summarize(t.map((x) => x.allOldMs - x.firstOldMs)).median;
    console.log(resultsHeading());
    console.log("");
    console.log(machineLine());
    console.log("");
    console.log(`\`slipway rollback\` of a finished rolling update v1 → v2 (2 replicas), ${options.rounds} rounds, keep-alive load of ${RPS} requests/s; milliseconds from spawning the command, median (min–max):`);
    console.log("");
    console.log("| rollback | first answer from v1 | all answers from v1 (last v2 answer) | the switch: first v1 answer → last v2 answer | command exited | failed requests |");
    console.log("|---|---:|---:|---:|---:|---:|");
    console.log(row("inside the scale-down window (v1 kept warm)", inside));
    console.log(row("after the window (v1's instances re-created)", outside));
    console.log("");
    console.log(`Outside / inside, to all answers from v1: ${(medianAll(outside) / medianAll(inside)).toFixed(1)}×; the switch itself: ${(medianSwitch(outside) / Math.max(1, medianSwitch(inside))).toFixed(0)}×.`);
    console.log("");
    console.log(`What the command said: inside — "${inside[0]?.said ?? ""}"; after — "${outside[0]?.said ?? ""}".`);
    console.log("");
    console.log(`Raw, all answers from v1 (ms): inside ${inside.map((t) => millis(t.allOldMs)).join(" ")}; after ${outside.map((t) => millis(t.allOldMs)).join(" ")}.`);
  } finally {
    await cleanup();
  }
}

runMain(main);
