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
}

export interface ServiceRoutes extends ServiceEndpoint {
  backends: Record<string, RouteEntry>;
  /** The revision split last set; instance weights follow it as instances come and go. */
  percentages?: Record<string, number>;
}

/** Counters of servers already deleted, so per-revision totals do not fall when an instance goes. */
export interface RetiredCounters {
  /** The HAProxy worker they were counted in; a new worker starts every counter at 0 again. */
  workerPid: number;
  byService: Record<string, Record<string, CounterTotals>>;
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
