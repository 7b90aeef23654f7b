// The master CLI of HAProxy's master-worker mode: `show proc` to see the
// workers, `reload` to start a new worker on the rewritten config. The master
// hands the listening sockets to the new worker, so clients are not refused
// during a reload. HAProxy 2.6 answers `reload` with nothing, so success is
// read from `show proc`: one more reload, no more failed ones, a new worker.
import { setTimeout as sleep } from "node:timers/promises";
import { SlipwayError } from "../../domain/errors.js";
import type { HaproxySocketClient } from "./runtime-api.js";

export interface ProcessList {
  masterPid: number;
  reloads: number;
  failedReloads: number;
  /** Current workers (not old ones still finishing requests after a reload). */
  workerPids: number[];
}

export function parseShowProc(text: string): ProcessList {
  let section: "master" | "workers" | "old" | "programs" = "master";
  const list: ProcessList = { masterPid: 0, reloads: 0, failedReloads: 0, workerPids: [] };
  for (const line of text.split("\n")) {
    if (line.startsWith("# workers")) section = "workers";
    else if (line.startsWith("# old workers")) section = "old";
    else if (line.startsWith("# programs")) section = "programs";
    if (line.startsWith("#") || line.trim() === "") continue;
    const master = /^(\d+)\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]/.exec(line);
    if (master !== null) {
      list.masterPid = Number(master[1]);
      list.reloads = Number(master[2]);
      list.failedReloads = Number(master[3]);
      continue;
    }
    const worker = /^(\d+)\s+worker\s/.exec(line);
    if (worker !== null && section === "workers") list.workerPids.push(Number(worker[1]));
  }
  if (list.masterPid === 0) throw new Error(`show proc named no master: ${text.slice(0, 300)}`);
  return list;
}

export async function showProc(master: HaproxySocketClient): Promise<ProcessList> {
  const answer = await master.send("show proc");
  try {
    return parseShowProc(answer);
  } catch {
    throw master.refused("show proc", answer);
  }
}

/** Reloads and resolves with the new worker's pid once it runs; throws ROUTER_REFUSED when the master reports the reload failed. */
export async function reloadAndWait(master: HaproxySocketClient, timeoutMs = 15_000): Promise<number> {
  const before = await showProc(master);
  await master.send("reload");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    await sleep(50);
    let now: ProcessList;
    try {
      now = await showProc(master);
    } catch {
      continue; // The master re-executes itself and does not answer for a moment.
    }
    if (now.failedReloads > before.failedReloads) {
      throw new SlipwayError("ROUTER_REFUSED", "HAProxy could not load the new configuration and keeps running the previous one", {
        hint: "read the router log in the state directory under logs/; the config was checked before, so this is likely a port taken by another process",
      });
    }
    const fresh = now.workerPids.find((pid) => !before.workerPids.includes(pid));
    if (now.reloads > before.reloads && fresh !== undefined) return fresh;
  }
  throw new SlipwayError("ROUTER_UNAVAILABLE", `HAProxy did not report a new worker within ${timeoutMs} ms of a reload`, { retryable: true });
}
