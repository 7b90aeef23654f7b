// Starts a process that outlives the command that started it: its own
// session (no terminal hang-up reaches it), output appended to a log file.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";

export function spawnDetached(command: string, args: readonly string[], logFile: string): number | undefined {
  mkdirSync(dirname(logFile), { recursive: true });
  const log = openSync(logFile, "a");
  try {
    const child = spawn(command, args, { detached: true, stdio: ["ignore", log, log] });
    child.on("error", () => undefined);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}
