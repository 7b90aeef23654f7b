// One controller plans a given rollout at a time (../types.ts). The lock is a
// file naming the holder's pid; a holder that died (kill -9) leaves a file
// whose pid is gone, which the next controller takes over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { dnsLabelName } from "../../domain/naming.js";

export interface ControllerLock {
  release(): void;
}

export function lockPath(stateDir: string, environment: string, service: string): string {
  return join(stateDir, "run", "controllers", `${dnsLabelName(environment, service)}.lock`);
}

/** The lock, or the pid holding it. */
export function acquireControllerLock(path: string): ControllerLock | { heldBy: number } {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return { release: () => rmSync(path, { force: true }) };
    } catch (err) {
      if ((err as { code?: string }).code !== "EEXIST") throw err;
      const holder = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) return { heldBy: holder };
      rmSync(path, { force: true });
    }
  }
  return { heldBy: 0 };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}
