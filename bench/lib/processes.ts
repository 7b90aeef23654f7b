// Child processes for the benchmarks: each in its own process group, killed
// whole when it outlives its timeout, tracked so that an interrupt can stop
// it; optionally under /usr/bin/time for its CPU time.
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { SECOND } from "./stats.js";

/** A failure the benchmark explains itself: reported by its message alone, without a stack. */
export class BenchError extends Error {}

export function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

export function describe(command: string, args: readonly string[]): string {
  return [command, ...args].map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(" ");
}

export function tail(text: string, lines = 30): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from just before spawn to the process's exit. */
  ms: number;
  /** User + system CPU time of the process and its children, when run under /usr/bin/time (`cpuFile`). */
  cpuMs?: number;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs: number;
  /** Called with each complete stdout line as it arrives. */
  onLine?: (line: string) => void;
  /** Run under /usr/bin/time (when present) to get the CPU time; the file receives its output. */
  cpuFile?: string;
}

export interface Runner {
  /** Runs a command in its own process group, killed whole when it outlives its timeout. */
  run(command: string, args: readonly string[], options: RunOptions): Promise<RunResult>;
  /** `run`, and a BenchError unless it exits 0. */
  mustRun(command: string, args: readonly string[], options: RunOptions): Promise<RunResult>;
}

export const TIME_BIN = "/usr/bin/time";
export const hasTime = existsSync(TIME_BIN);

/** Children still running, by process group: an interrupt stops them before cleaning up. */
const active = new Set<number>();

/** Stops the running children (SIGTERM: slipway removes its containers), waiting at most `ms` for them. */
export async function stopChildren(ms: number): Promise<void> {
  for (const pid of active) {
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      active.delete(pid);
    }
  }
  const deadline = performance.now() + ms;
  while (active.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of active) killGroup(pid);
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** A runner whose children get `baseEnv` over this process's environment (and each call's `env` over that). */
export function runner(baseEnv: Readonly<Record<string, string>>): Runner {
  const run = (command: string, args: readonly string[], options: RunOptions): Promise<RunResult> => {
    const timed = options.cpuFile !== undefined && hasTime;
    const [file, argv] = timed ? [TIME_BIN, ["-f", "%U %S", "-o", options.cpuFile ?? "", command, ...args]] : [command, args];
    return new Promise((resolvePromise, reject) => {
      const started = performance.now();
      const child = spawn(file, argv, {
        cwd: options.cwd,
        env: { ...process.env, ...baseEnv, ...options.env },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const pid = child.pid;
      if (pid !== undefined) active.add(pid);
      let stdout = "";
      let stderr = "";
      let pending = "";
      let exited: { code: number | null; signal: NodeJS.Signals | null; ms: number } | undefined;
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid);
      }, options.timeoutMs);
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        if (options.onLine === undefined) return;
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) options.onLine(line);
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      child.on("error", (err) => {
        clearTimeout(timer);
        if (pid !== undefined) active.delete(pid);
        reject(new BenchError(`could not start ${command}: ${err.message}`));
      });
      // The time is taken at exit; the result is handed over once the pipes are drained.
      child.on("exit", (code, signal) => (exited = { code, signal, ms: performance.now() - started }));
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (pid !== undefined) active.delete(pid);
        const end = exited ?? { code, signal, ms: performance.now() - started };
        if (timedOut) {
          reject(new BenchError(`${describe(command, args)} did not finish within ${options.timeoutMs / SECOND}s\n${tail(stdout + stderr)}`));
          return;
        }
        const cpuMs = timed ? readTimeFile(options.cpuFile ?? "") : undefined;
        resolvePromise({ ...end, stdout, stderr, ...(cpuMs === undefined ? {} : { cpuMs }) });
      });
    });
  };
  const mustRun = async (command: string, args: readonly string[], options: RunOptions): Promise<RunResult> => {
    const result = await run(command, args, options);
    if (result.code !== 0) throw new BenchError(`${describe(command, args)} exited with ${result.code ?? result.signal}\n${tail(result.stdout + result.stderr)}`);
    return result;
  };
  return { run, mustRun };
}

/** "%U %S" from /usr/bin/time -o, in ms; its last line (a failed command adds one before it). */
function readTimeFile(file: string): number | undefined {
  try {
    const [user, system] = readFileSync(file, "utf8").trim().split("\n").at(-1)?.split(" ").map(Number) ?? [];
    return user === undefined || system === undefined || Number.isNaN(user + system) ? undefined : (user + system) * SECOND;
  } catch {
    return undefined;
  }
}
