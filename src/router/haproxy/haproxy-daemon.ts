// One HAProxy per environment, run by slipway as a daemon (platform/daemon.ts)
// in master-worker mode: the pid file holds the master, which survives
// reloads; the master CLI socket reloads it, the admin socket changes it.
// Its files live in the state directory: routers/<environment>/ for config,
// route table and sockets, run/ and logs/ as for the registries.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { dnsLabelName } from "../../domain/naming.js";
import { SlipwayError } from "../../domain/errors.js";
import type { DaemonSpec } from "../../platform/daemon.js";

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
  pidFile: string;
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

export function haproxyDaemonSpec(environment: string, paths: HaproxyPaths, controlPort: number, binary: string, writeConfig: () => void): DaemonSpec {
  return {
    name: `router (${environment})`,
    command: binary,
    // -W: master-worker, foreground; -S: the master CLI, for reloads.
    args: ["-W", "-f", paths.configFile, "-S", `${paths.masterSocket},mode,600`],
    pidFile: paths.pidFile,
    logFile: paths.logFile,
    port: controlPort,
    healthy: () => controlPortAnswers(controlPort),
    prepare: writeConfig,
  };
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
