// One HAProxy per environment, in master-worker mode, run by its supervisor
// (supervisor.ts), which slipway runs as a daemon (platform/daemon.ts): the
// pid file holds the supervisor, which restarts HAProxy when it dies; the
// haproxy pid file holds the current master, which survives reloads. The
// master CLI socket reloads it, the admin socket changes it. Its files live
// in the state directory: routers/<environment>/ for config, route table and
// sockets, run/ and logs/ as for the registries.
import { execFile } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { dnsLabelName } from "../../domain/naming.js";
import { SlipwayError } from "../../domain/errors.js";
import { writeAtomically, type DaemonSpec } from "../../platform/daemon.js";
import { installPath } from "../../install-paths.js";
import { haproxyArgs } from "./supervisor.js";

export const HAPROXY_BINARY = "/usr/sbin/haproxy";

export function haproxyBinary(): string | undefined {
  const candidates = [process.env["SLIPWAY_HAPROXY_BINARY"], HAPROXY_BINARY, "/usr/local/sbin/haproxy"];
  return candidates.find((c): c is string => c !== undefined && existsSync(c));
}

export interface HaproxyPaths {
  dir: string;
  configFile: string;
  routesFile: string;
  adminSocket: string;
  masterSocket: string;
  /** The supervisor's pid file (the daemon slipway starts and stops). */
  pidFile: string;
  /** The current HAProxy master, written by the supervisor at each start. */
  haproxyPidFile: string;
  logFile: string;
}

/** Linux caps a unix socket path at 107 bytes. */
const MAX_SOCKET_PATH = 107;

export function haproxyPaths(stateDir: string, environment: string): HaproxyPaths {
  const env = dnsLabelName(environment);
  const dir = join(stateDir, "routers", env);
  const paths = {
    dir,
    configFile: join(dir, "haproxy.cfg"),
    routesFile: join(dir, "routes.json"),
    adminSocket: join(dir, "admin.sock"),
    masterSocket: join(dir, "master.sock"),
    pidFile: join(stateDir, "run", `router-${env}.pid`),
    haproxyPidFile: join(stateDir, "run", `router-${env}.haproxy.pid`),
    logFile: join(stateDir, "logs", `router-${env}.log`),
  };
  const long = [paths.adminSocket, paths.masterSocket].find((p) => Buffer.byteLength(p) > MAX_SOCKET_PATH);
  if (long !== undefined) {
    throw new SlipwayError("COMPONENT_FAILED", `the router's socket path ${long} is longer than the ${MAX_SOCKET_PATH} bytes Linux allows`, {
      hint: "move the project (and its .slipway state directory) to a shorter path",
    });
  }
  return paths;
}

/** The compiled supervisor entry point (tsc's output; the CLI bundle does not hold it). */
const SUPERVISOR_SCRIPT = installPath("dist", "src", "router", "haproxy", "supervisor-main.js");

/** A supervisor that runs but whose HAProxy does not answer is given this long to restart it before it is replaced. */
export const ROUTER_SETTLE_MS = 10_000;

export function haproxyDaemonSpec(environment: string, paths: HaproxyPaths, controlPort: number, binary: string, writeConfig: () => void, controlPortSetting = "the router's control port"): DaemonSpec {
  return {
    name: `router (${environment})`,
    command: process.execPath,
    args: [SUPERVISOR_SCRIPT, binary, paths.configFile, paths.masterSocket, paths.haproxyPidFile],
    pidFile: paths.pidFile,
    logFile: paths.logFile,
    port: controlPort,
    portSetting: controlPortSetting,
    healthy: () => controlPortAnswers(controlPort),
    prepare: writeConfig,
    settleMs: ROUTER_SETTLE_MS,
    // A HAProxy left by a supervisor that was killed holds the port; the new supervisor adopts it.
    takesOver: [[binary, ...haproxyArgs(paths.configFile, paths.masterSocket)].join(" ")],
  };
}

/**
 * A router started before it had a supervisor has HAProxy's master in the
 * pid file. Hand it to the supervisor about to start (which adopts it, so
 * traffic is not interrupted) by moving it to the haproxy pid file.
 */
export function handOverUnsupervisedRouter(paths: HaproxyPaths, binary: string): void {
  let record: { pid?: unknown; startTicks?: unknown; command?: unknown };
  try {
    record = JSON.parse(readFileSync(paths.pidFile, "utf8")) as typeof record;
  } catch {
    return;
  }
  if (record.command !== binary || typeof record.pid !== "number") return;
  writeAtomically(paths.haproxyPidFile, JSON.stringify({ pid: record.pid, startTicks: record.startTicks, startedAt: new Date().toISOString(), starts: 0 }));
  rmSync(paths.pidFile, { force: true });
}

export async function controlPortAnswers(port: number, timeoutMs = 1_000): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** `haproxy -c`: a config HAProxy would reject never reaches a running router. */
export function checkConfig(binary: string, configFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(binary, ["-c", "-q", "-f", configFile], { timeout: 15_000 }, (err, stdout, stderr) => {
      if (err === null) return resolve();
      reject(
        new SlipwayError("ROUTER_REFUSED", `HAProxy rejects the rendered configuration ${configFile}:\n${`${stdout}${stderr}`.trim()}`, {
          cause: err,
          hint: "this is a bug in slipway's config rendering; the running router was left unchanged",
        }),
      );
    });
  });
}
