// Fault injection on an environment's router for the reliability e2e tests:
// the HAProxy processes of one config (from /proc), killing them as `kill -9`
// would, waiting until the endpoint serves again, and what HAProxy itself
// routes (to compare before and after a restart).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { HaproxySocketClient } from "../../src/router/haproxy/runtime-api.js";
import { getOnce } from "./keepalive-load.js";

/** Every live HAProxy process (master and workers) whose command line names `configFile`. */
export function haproxyProcesses(binary: string, configFile: string): { pid: number; ppid: number }[] {
  const found: { pid: number; ppid: number }[] = [];
  for (const entry of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv[0] !== binary || !argv.includes(configFile)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      found.push({ pid: Number(entry), ppid: Number(fields[1]) });
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Masters: the HAProxy processes whose parent is not one. */
export function haproxyMasters(binary: string, configFile: string): number[] {
  const all = haproxyProcesses(binary, configFile);
  const pids = new Set(all.map((p) => p.pid));
  return all.filter((p) => !pids.has(p.ppid)).map((p) => p.pid);
}

/** SIGKILL to master and workers at once; resolves with the kill time. */
export function killHaproxy(binary: string, configFile: string): number {
  const procs = haproxyProcesses(binary, configFile);
  assert.ok(procs.length >= 2, `a master and a worker run: ${JSON.stringify(procs)}`);
  const at = Date.now();
  for (const { pid } of procs) process.kill(pid, "SIGKILL");
  return at;
}

/** A fresh connection every 5 ms until `port` answers 200: ms since `since`. Bounded by 15 s. */
export async function untilServing(port: number, since: number): Promise<number> {
  const agent = new http.Agent({ keepAlive: false });
  try {
    for (;;) {
      const answer = await getOnce(agent, port).catch(() => undefined);
      if (answer?.status === 200) return Date.now() - since;
      assert.ok(Date.now() - since < 15_000, "the router did not come back within 15 s");
      await sleep(5);
    }
  } finally {
    agent.destroy();
  }
}

/** What HAProxy routes now for `service`: every server not in maintenance, with address, weight and status. */
export async function routedServers(adminSocket: string, service: string): Promise<string[]> {
  const csv = await new HaproxySocketClient(adminSocket, { label: "admin" }).send("show stat");
  const lines = csv.split("\n").filter((l) => l.trim() !== "");
  const columns = (lines[0] ?? "").slice(2).split(",");
  const col = (cells: string[], name: string): string => cells[columns.indexOf(name)] ?? "";
  return lines
    .slice(1)
    .map((l) => l.split(","))
    .filter((c) => col(c, "pxname").startsWith(`${service}.`) && !["FRONTEND", "BACKEND"].includes(col(c, "svname")) && col(c, "status") !== "MAINT")
    .map((c) => `${col(c, "pxname")}/${col(c, "svname")} ${col(c, "addr")} weight ${col(c, "weight")} ${col(c, "status")}`)
    .sort();
}
