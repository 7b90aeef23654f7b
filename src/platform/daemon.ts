// Starts, finds and stops the long-running processes slipway owns (the
// registries now, HAProxy later). A pid file records the pid together with
// the process's start time, so a recycled pid is never mistaken for ours and
// `down` stops only what slipway started.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SlipwayError } from "../domain/errors.js";
import { findPortOwner, isPortFree, type PortOwner } from "./port-probe.js";
import { processStartTicks } from "./process-identity.js";

export interface DaemonSpec {
  /** For messages: "dev registry". */
  name: string;
  command: string;
  args: string[];
  pidFile: string;
  logFile: string;
  port: number;
  /** The setting that moves `port`, for hints: `registries.dev.url in slipway.yaml`. */
  portSetting: string;
  /** Answers true once the daemon serves. */
  healthy: () => Promise<boolean>;
  /** Writes what the daemon reads (config files, data folders) just before it starts. */
  prepare?: () => void;
  startTimeoutMs?: number;
  /**
   * A daemon that runs but does not answer gets this long to answer again
   * before it is replaced (a supervisor restarting its child); 0 by default.
   * Replacing it at once is what raced a supervisor's own restart.
   */
  settleMs?: number;
  /** Command lines (prefixes: a reload appends arguments) of processes on the port that the daemon takes over when it starts (its child left by a killed predecessor). */
  takesOver?: string[];
}

interface PidRecord {
  pid: number;
  /** Clock ticks since boot when the process started (/proc/<pid>/stat field 22). */
  startTicks: string;
  command: string;
  port: number;
  startedAt: string;
}

export type DaemonState =
  | { kind: "running"; pid: number; port: number }
  | { kind: "stale"; pid: number }
  | { kind: "stopped" };

export function daemonState(spec: DaemonSpec): DaemonState {
  const record = readPidRecord(spec.pidFile);
  if (record === undefined) return { kind: "stopped" };
  return processStartTicks(record.pid) === record.startTicks ? { kind: "running", pid: record.pid, port: record.port } : { kind: "stale", pid: record.pid };
}

export type StartResult = "started" | "already-running" | "restarted";

export async function startDaemon(spec: DaemonSpec): Promise<StartResult> {
  const state = daemonState(spec);
  let restarted = false;
  if (state.kind === "running") {
    if (state.port === spec.port && (await healthyWithin(spec, spec.settleMs ?? 0))) return "already-running";
    // Ours but on another port (config changed) or not answering: replace it.
    await stopDaemon(spec);
    restarted = true;
  } else if (state.kind === "stale") {
    // The process in the pid file is gone (reboot, kill -9): safe to forget it.
    rmSync(spec.pidFile, { force: true });
  }

  const adopted = adoptOrphan(spec);
  if (adopted !== undefined && (await spec.healthy())) return "already-running";
  await assertPortsAvailable([spec]);

  spec.prepare?.();
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const log = openSync(spec.logFile, "a");
  const child = spawn(spec.command, spec.args, { detached: true, stdio: ["ignore", log, log] });
  closeSync(log);
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve));
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw failure(spec, `could not run ${spec.command}: ${(await spawnError).message}`);

  writePidRecord(spec, pid);

  const deadline = Date.now() + (spec.startTimeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (await spec.healthy()) return restarted ? "restarted" : "started";
    if (processStartTicks(pid) === undefined) break;
    await sleep(100);
  }
  // Leave nothing half-started behind.
  await stopDaemon(spec);
  throw failure(spec, `the ${spec.name} did not become ready on port ${spec.port}`);
}

/**
 * A process on our port running exactly our command line is ours whose pid
 * file was lost (deleted state, a crash between spawn and write): record it
 * again instead of calling it a stranger.
 */
function adoptOrphan(spec: DaemonSpec): number | undefined {
  const owner = ownOrphan(spec);
  if (owner !== undefined) writePidRecord(spec, owner.pid);
  return owner?.pid;
}

function ownOrphan(spec: DaemonSpec): PortOwner | undefined {
  const owner = findPortOwner(spec.port);
  return owner !== undefined && owner.command === [spec.command, ...spec.args].join(" ") ? owner : undefined;
}

export function isOwnOrphan(spec: DaemonSpec): boolean {
  return daemonState(spec).kind !== "running" && ownOrphan(spec) !== undefined;
}

function writePidRecord(spec: DaemonSpec, pid: number): void {
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  writeAtomically(spec.pidFile, JSON.stringify({ pid, startTicks: processStartTicks(pid) ?? "", command: spec.command, port: spec.port, startedAt: new Date().toISOString() } satisfies PidRecord));
}

/** Throws PORT_IN_USE naming every port (and its holder) that a daemon not yet running would need. */
export async function assertPortsAvailable(specs: readonly DaemonSpec[]): Promise<void> {
  const conflicts: DaemonSpec[] = [];
  const holders: string[] = [];
  for (const spec of specs) {
    if (daemonState(spec).kind === "running") continue;
    if (await isPortFree(spec.port)) continue;
    const owner = findPortOwner(spec.port);
    if (owner !== undefined && spec.takesOver?.some((command) => owner.command.startsWith(command)) === true) continue;
    conflicts.push(spec);
    holders.push(`the ${spec.name} needs port ${spec.port}, held by ${owner ? `pid ${owner.pid} (${owner.command})` : "another process"}`);
  }
  if (conflicts.length > 0) {
    const one = conflicts.length === 1;
    throw new SlipwayError("PORT_IN_USE", `cannot start ${conflicts.map((s) => `the ${s.name}`).join(" and ")}: ${holders.join("; ")}`, {
      hint: `stop ${one ? "that process" : "those processes"}, or change ${conflicts.map((s) => s.portSetting).join(" and ")}; nothing was started`,
    });
  }
}

/** Polls `healthy` until it answers true or `ms` passed (at least one try). */
async function healthyWithin(spec: DaemonSpec, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await spec.healthy()) return true;
    if (Date.now() >= deadline || daemonState(spec).kind !== "running") return false;
    await sleep(50);
  }
}

export type StopResult = "stopped" | "not-running";

export async function stopDaemon(spec: DaemonSpec, graceMs = 5_000): Promise<StopResult> {
  const state = daemonState(spec);
  if (state.kind !== "running") {
    rmSync(spec.pidFile, { force: true });
    return "not-running";
  }
  signal(state.pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (processStartTicks(state.pid) !== undefined && Date.now() < deadline) await sleep(50);
  if (processStartTicks(state.pid) !== undefined) signal(state.pid, "SIGKILL");
  while (processStartTicks(state.pid) !== undefined) await sleep(20);
  rmSync(spec.pidFile, { force: true });
  return "stopped";
}

function failure(spec: DaemonSpec, message: string): SlipwayError {
  return new SlipwayError("COMPONENT_FAILED", `${message}; last lines of ${spec.logFile}:\n${tail(spec.logFile, 15)}`, {
    hint: `read ${spec.logFile}; \`slipway doctor\` checks the installation`,
  });
}

function readPidRecord(file: string): PidRecord | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, "utf8")) as Partial<PidRecord>;
    return typeof record.pid === "number" && typeof record.startTicks === "string" && typeof record.port === "number" ? (record as PidRecord) : undefined;
  } catch {
    return undefined; // A torn or foreign pid file is treated as absent.
  }
}

/** Sends a signal to a process that may already be gone. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Readers see the old file or the new one, never a torn one. */
export function writeAtomically(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

export function tail(file: string, lines: number): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).map((l) => "  | " + l).join("\n");
  } catch {
    return "  | (no log)";
  }
}
