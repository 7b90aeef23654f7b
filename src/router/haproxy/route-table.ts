// The route table: what the environment's router should be doing — services,
// their ports and their instances with role, weight and state. Kept in a
// JSON file beside the HAProxy config and rewritten with every change, so
// the config rendered from it reproduces the live router after a restart or
// a reload, and a later slipway process knows revision and role of every
// server (HAProxy has no place for them).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { SlipwayError } from "../../domain/errors.js";
import type { BackendSpec, BackendState, ServiceEndpoint } from "../types.js";

export interface RouteEntry extends BackendSpec {
  state: BackendState;
  /** The pre-declared server slot (`s<slot>` in each of the service's backends) the instance occupies. */
  slot: number;
}

export interface ServiceRoutes extends ServiceEndpoint {
  backends: Record<string, RouteEntry>;
  /** The revision split last set; instance weights follow it as instances come and go. */
  percentages?: Record<string, number>;
  /** Server slots declared per backend in the config; raising it takes a reload. */
  slots?: number;
}

/** Counters of instances already removed (their slots freed), so per-revision totals do not fall when an instance goes. */
export interface RetiredCounters {
  /** The HAProxy worker they were counted in; a new worker starts every counter at 0 again. */
  workerPid: number;
  byService: Record<string, Record<string, CounterTotals>>;
  /**
   * A reused slot's counters go on from its earlier occupants: what they held
   * when the slot was last freed ("<proxy>/<slot>"), subtracted for the next.
   */
  slotBaselines?: Record<string, CounterTotals>;
}

export interface CounterTotals {
  requests: number;
  responses2xx: number;
  responses5xx: number;
  connectionErrors: number;
  retries: number;
}

export interface RouteTable {
  version: 1;
  services: Record<string, ServiceRoutes>;
  retired: RetiredCounters;
}

export function emptyRouteTable(): RouteTable {
  return { version: 1, services: {}, retired: { workerPid: 0, byService: {} } };
}

export function loadRouteTable(file: string): RouteTable {
  if (!existsSync(file)) return emptyRouteTable();
  try {
    const table = JSON.parse(readFileSync(file, "utf8")) as Partial<RouteTable>;
    if (table.version !== 1 || typeof table.services !== "object" || table.services === null) throw new Error("not a version 1 route table");
    for (const routes of Object.values(table.services)) assignMissingSlots(routes);
    return { version: 1, services: table.services, retired: table.retired ?? emptyRouteTable().retired };
  } catch (err) {
    throw new SlipwayError("ROUTER_REFUSED", `the route table ${file} cannot be read: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
      hint: "it is written only by slipway; if it was edited by hand, restore it or delete it and redeploy the environment",
    });
  }
}

export function saveRouteTable(file: string, table: RouteTable): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(table, null, 2) + "\n");
  renameSync(tmp, file);
}

/** A table written before slots existed: every instance takes the lowest free slot. */
function assignMissingSlots(routes: ServiceRoutes): void {
  const entries = Object.values(routes.backends).sort((a, b) => a.name.localeCompare(b.name));
  const taken = new Set(entries.map((e) => (e as Partial<RouteEntry>).slot).filter((n): n is number => typeof n === "number"));
  let next = 1;
  for (const entry of entries) {
    if (typeof (entry as Partial<RouteEntry>).slot === "number") continue;
    while (taken.has(next)) next++;
    entry.slot = next;
    taken.add(next);
  }
}
