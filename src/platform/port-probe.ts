// Is a loopback port free, and if not, who holds it? Linux /proc is read
// directly (no `ss`/`lsof` output parsing); the owner is best effort.
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";

export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export interface PortOwner {
  pid: number;
  command: string;
}

/** The process listening on `port` (TCP, any address), when /proc lets us see it. */
export function findPortOwner(port: number): PortOwner | undefined {
  const inodes = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      const state = fields[3];
      const inode = fields[9];
      if (local === undefined || state !== "0A" || inode === undefined) continue;
      if (parseInt(local.split(":")[1] ?? "", 16) === port) inodes.add(`socket:[${inode}]`);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (inodes.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) {
          return { pid: Number(entry), command: readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ") };
        }
      } catch {
        // The process ended or hides its fds; keep looking.
      }
    }
  }
  return undefined;
}
