// What every benchmark does around its measurements: arguments, Ctrl-C,
// the exit code, the preflight and the machine line of the report.
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { BenchError, log, stopChildren, tail, type Runner } from "./processes.js";
import { SECOND } from "./stats.js";

// dist/bench/lib/harness.js → the repository root.
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

/** A flag's value as a whole number from `min` to `max`, or a BenchError. */
export function wholeNumber(flag: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new BenchError(`${flag} takes a whole number from ${min} to ${max}, got "${value ?? ""}"`);
  return n;
}

/** Set by Ctrl-C: cleanup is then the signal handler's, and what fails meanwhile is not reported. */
let interrupted = false;

/**
 * From now on, SIGINT or SIGTERM stops the running children, runs `cleanup` and exits 130 (a second
 * signal exits at once). The returned function ends that and runs `cleanup` itself, unless the
 * signal handler has it: call it in a `finally`.
 */
export function cleanUpOnInterrupt(cleanup: () => Promise<void>): () => Promise<void> {
  const onSignal = (): void => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log("interrupted: cleaning up (again to quit at once)");
    void stopChildren(15 * SECOND)
      .then(cleanup)
      .finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return async () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    if (!interrupted) await cleanup();
  };
}

/** Runs the benchmark: exit code 0, or 1 with its error on stderr (nothing more when it was interrupted). */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => {
      process.exitCode = 0;
    },
    (err: unknown) => {
      if (interrupted) return;
      log(err instanceof BenchError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err));
      process.exitCode = 1;
    },
  );
}

/** Docker Engine's version, once it answers and has `image` (which is never pulled here; `role` names it in the error). */
export async function dockerPreflight(run: Runner["run"], image: string, role: string): Promise<string> {
  const docker = await run("docker", ["version", "--format", "{{.Server.Version}}"], { timeoutMs: 20 * SECOND }).catch((err: unknown) => {
    throw new BenchError(`Docker Engine is not reachable: ${(err as Error).message}`);
  });
  if (docker.code !== 0) throw new BenchError(`Docker Engine is not reachable (docker version exited ${docker.code}):\n${tail(docker.stderr)}`);
  const inspect = await run("docker", ["image", "inspect", "--format", "{{.Id}}", image], { timeoutMs: 20 * SECOND });
  if (inspect.code !== 0) throw new BenchError(`the ${role} ${image} is not on the Docker Engine (it is never pulled here); build it with scripts/base-images.sh`);
  return docker.stdout.trim();
}

/** "8 CPUs (nproc; <model>), 15.5 GiB RAM, Node v20.x": the start of the report's machine line. */
export function machine(): string {
  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  return `${availableParallelism()} CPUs (nproc; ${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`;
}

/** "slipway at <commit>", and whether src/ has uncommitted changes. */
export async function slipwayAt(run: Runner["run"]): Promise<string> {
  const commit = (await run("git", ["-C", repoRoot, "rev-parse", "--short", "HEAD"], { timeoutMs: 10 * SECOND })).stdout.trim();
  const dirty = (await run("git", ["-C", repoRoot, "status", "--porcelain", "--untracked-files=no", "--", "src"], { timeoutMs: 10 * SECOND })).stdout.trim() !== "";
  return `slipway at ${commit}${dirty ? " (with uncommitted changes in src/)" : ""}`;
}

/**
 * The preflight of a benchmark on Docker with a base image: the engine's
 * version, the commit and the 1-minute load, now. Call the function it
 * returns after measuring: the report's line "Machine: …, Docker …, slipway
 * at …; 1-minute load average before: …, after: …".
 */
export async function dockerMachineLine(run: Runner["run"], baseImage: string): Promise<() => string> {
  const docker = await dockerPreflight(run, baseImage, "base image");
  const at = await slipwayAt(run);
  const loadBefore = loadavg()[0]?.toFixed(2);
  return () => `Machine: ${machine()}, Docker ${docker}, ${at}; 1-minute load average before: ${loadBefore}, after: ${loadavg()[0]?.toFixed(2)}.`;
}

/** The heading of a report: "### Results — <today>". */
export function resultsHeading(): string {
  return `### Results — ${new Date().toISOString().slice(0, 10)}`;
}
