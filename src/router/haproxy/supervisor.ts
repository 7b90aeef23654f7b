// The router's supervisor: a small detached process per environment that
// runs HAProxy (master-worker, foreground) as its child and starts it again
// the moment it exits — a `kill -9` of master and worker, an OOM kill, a
// crash. HAProxy's master does not restart a dead worker, and without this
// the environment stayed offline until some slipway command noticed.
//
// It restarts from haproxy.cfg, which slipway rewrites with every routing
// change (servers, weights, drains), so HAProxy comes back routing as before.
// Quick repeated exits back off (no restart storm); a HAProxy left running
// by a supervisor that was itself killed is adopted (watched until it exits)
// rather than started twice. SIGTERM stops HAProxy, then the supervisor.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { signal as signalProcess, writeAtomically } from "../../platform/daemon.js";
import { processStartTicks } from "../../platform/process-identity.js";

export interface SupervisorOptions {
  binary: string;
  configFile: string;
  masterSocket: string;
  /** Where the current HAProxy master's pid and start time are kept (for tests, doctor, and adoption). */
  haproxyPidFile: string;
  log: (line: string) => void;
}

/** HAProxy's command line under the supervisor: -W master-worker in the foreground, -S the master CLI for reloads. */
export function haproxyArgs(configFile: string, masterSocket: string): string[] {
  return ["-W", "-f", configFile, "-S", `${masterSocket},mode,600`];
}

/** A HAProxy that ran at least this long before exiting is restarted at once. */
export const STEADY_UPTIME_MS = 2_000;
const MAX_DELAY_MS = 5_000;

/**
 * How long to wait before the next start, after `quickExits` exits in a row
 * that each came less than STEADY_UPTIME_MS after their start: none after
 * the first (a kill, a crash), then 100 ms doubling up to 5 s while it keeps
 * failing to stay up (a port taken, a broken binary): no restart storm.
 */
export function restartDelayMs(quickExits: number): number {
  if (quickExits <= 1) return 0;
  return Math.min(MAX_DELAY_MS, 100 * 2 ** (quickExits - 2));
}

interface HaproxyPidRecord {
  pid: number;
  startTicks: string;
  startedAt: string;
  /** Starts by this supervisor so far (1 for the first). */
  starts: number;
}

/** The HAProxy master the supervisor runs now, if the pid file names a live one. */
export function runningHaproxy(pidFile: string): { pid: number; startTicks: string; starts: number } | undefined {
  try {
    const record = JSON.parse(readFileSync(pidFile, "utf8")) as Partial<HaproxyPidRecord>;
    if (typeof record.pid !== "number" || typeof record.startTicks !== "string") return undefined;
    return processStartTicks(record.pid) === record.startTicks ? { pid: record.pid, startTicks: record.startTicks, starts: record.starts ?? 0 } : undefined;
  } catch {
    return undefined;
  }
}

/** Runs HAProxy until `signal` aborts; then stops it (SIGTERM, SIGKILL after 4 s) and resolves. */
export async function superviseHaproxy(options: SupervisorOptions, signal: AbortSignal): Promise<void> {
  let starts = 0;
  let quickExits = 0;
  let current: { pid: number; child?: ChildProcess } | undefined;
  const stopCurrent = (): void => {
    const pid = current?.pid;
    if (pid === undefined) return;
    signalProcess(pid, "SIGTERM");
    // HAProxy stops at once on SIGTERM; if it does not, it is killed.
    setTimeout(() => signalProcess(pid, "SIGKILL"), 4_000).unref();
  };
  signal.addEventListener("abort", stopCurrent);

  // A HAProxy whose supervisor was killed still serves: watch it rather than start a second one.
  const orphan = runningHaproxy(options.haproxyPidFile);
  if (orphan !== undefined) {
    starts = orphan.starts;
    current = { pid: orphan.pid };
    options.log(`supervisor: adopted running haproxy pid ${orphan.pid}`);
    await untilGone(orphan.pid, orphan.startTicks, signal);
    if (!signal.aborted) options.log(`supervisor: adopted haproxy pid ${orphan.pid} exited`);
  }

  while (!signal.aborted) {
    const delay = restartDelayMs(quickExits);
    if (delay > 0) {
      options.log(`supervisor: haproxy exited ${quickExits} time(s) in a row within ${STEADY_UPTIME_MS} ms of starting; next start in ${delay} ms`);
      await sleep(delay, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
    }
    const startedAt = Date.now();
    const child = spawn(options.binary, haproxyArgs(options.configFile, options.masterSocket), { stdio: ["ignore", "inherit", "inherit"] });
    const exited = new Promise<string>((resolve) => {
      child.once("exit", (code, sig) => resolve(sig !== null ? `signal ${sig}` : `code ${code}`));
      child.once("error", (err) => resolve(`error ${err.message}`));
    });
    if (child.pid !== undefined) {
      starts++;
      current = { pid: child.pid, child };
      writePidRecord(options.haproxyPidFile, { pid: child.pid, startTicks: processStartTicks(child.pid) ?? "", startedAt: new Date(startedAt).toISOString(), starts });
      options.log(`supervisor: started haproxy pid ${child.pid} (start ${starts})`);
    }
    const how = await exited;
    const upMs = Date.now() - startedAt;
    current = undefined;
    if (signal.aborted) break;
    quickExits = upMs < STEADY_UPTIME_MS ? quickExits + 1 : 0;
    options.log(`supervisor: haproxy pid ${child.pid ?? "?"} exited (${how}) after ${upMs} ms; starting it again`);
  }

  signal.removeEventListener("abort", stopCurrent);
  rmSync(options.haproxyPidFile, { force: true });
}

/** Resolves once the process is gone (polled: it is not our child), or the signal aborts — after which it is stopped too. */
async function untilGone(pid: number, startTicks: string, signal: AbortSignal): Promise<void> {
  while (processStartTicks(pid) === startTicks) {
    if (signal.aborted) {
      const deadline = Date.now() + 4_000;
      while (processStartTicks(pid) === startTicks && Date.now() < deadline) await sleep(20);
      signalProcess(pid, "SIGKILL");
      return;
    }
    await sleep(20);
  }
}

function writePidRecord(file: string, record: HaproxyPidRecord): void {
  writeAtomically(file, JSON.stringify(record));
}
