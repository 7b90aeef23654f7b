// A pid alone names a process only until it is reused (after a reboot, or a
// kill -9 and enough new processes). Pid plus start time names it for good.
import { readFileSync } from "node:fs";

/** Start time of a live (non-zombie) process in clock ticks since boot (/proc/<pid>/stat field 22), or undefined. */
export function processStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may contain spaces; fields after its ")" are fixed.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z") return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** "pid:startTicks" for this process, to write into lock and pid files. */
export function ownProcessIdentity(): string {
  return `${process.pid}:${processStartTicks(process.pid) ?? ""}`;
}

/** True when the process written as "pid:startTicks" (or a bare pid, from older files) still runs. */
export function processStillRuns(identity: string): boolean {
  const [pidText = "", ticks] = identity.trim().split(":");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const now = processStartTicks(pid);
  return now !== undefined && (ticks === undefined || ticks === "" || ticks === now);
}
