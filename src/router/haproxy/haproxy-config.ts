// Renders the HAProxy configuration from the route table. Pure: the same
// table gives the same text, which a golden test pins down. Every routed
// backend declares a fixed pool of server slots (`s1`..`sN`); instances
// claim and free them at run time. Claimed slots are written with their
// instance's address and weight, so a restart or reload of HAProxy comes
// back with the same servers and weights (HAProxy forgets runtime changes).
// Slots are declared, not added with `add server`, because HAProxy 2.6
// reuses idle server connections only for servers from the config.
import { availableParallelism } from "node:os";
import { SlipwayError } from "../../domain/errors.js";
import type { BackendRole } from "../types.js";
import { backendProxy, frontendProxy, routesForRole, routeKinds, type RouteKind } from "./proxy-names.js";
import type { RouteEntry, RouteTable, ServiceRoutes } from "./route-table.js";

export interface HaproxyConfigPaths {
  adminSocket: string;
  /** Loopback port answering /healthz (the daemon's health check) and /metrics (Prometheus). */
  controlPort: number;
  /** HAProxy threads (`nbthread`); `routerThreads()` when not given. */
  threads?: number;
}

/** The ring buffer holding recent request log lines, read with `show events`. */
export const REQUEST_LOG_RING = "slipway-requests";
/** First word of every request log line, so other lines in the ring are never misread. */
export const REQUEST_LOG_TAG = "slw";
/** The request header that sends a request to the canary or preview, whatever the weights. */
export const CANARY_HEADER = "x-slipway-canary";
/** Server slots per backend unless the router is told otherwise: old and new revisions side by side during a surge. */
export const DEFAULT_SLOTS = 32;
/** Where a free slot points; it is in maintenance, so nothing connects. */
const FREE_SLOT_ADDRESS = "127.0.0.1:1";

/** The server name of slot `n` in each of a service's backends. */
export function slotName(slot: number): string {
  return `s${slot}`;
}

/** The slot number of a server name, or undefined for names that are not slots. */
export function slotOf(server: string): number | undefined {
  const m = /^s([1-9][0-9]*)$/.exec(server);
  return m === null ? undefined : Number(m[1]);
}

/** Slots declared per backend: the service's pool, never fewer than the highest slot in use. */
export function slotCount(routes: ServiceRoutes): number {
  return Math.max(routes.slots ?? DEFAULT_SLOTS, ...Object.values(routes.backends).map((e) => e.slot));
}

/**
 * Threads the router runs: `SLIPWAY_ROUTER_THREADS`, else half the host's
 * CPUs, at least one. The router shares the host with the instances it
 * routes to; on 2 CPUs a second router thread took CPU from a Node backend
 * and cut throughput from 0.84x to 0.62x direct (docs/adr/0009).
 */
export function routerThreads(env: NodeJS.ProcessEnv = process.env, cpus: number = availableParallelism()): number {
  const raw = env["SLIPWAY_ROUTER_THREADS"];
  if (raw === undefined || raw.trim() === "") return Math.max(1, Math.floor(cpus / 2));
  const threads = Number(raw);
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new SlipwayError("INTERNAL", `SLIPWAY_ROUTER_THREADS must be a whole number from 1 to 64, got "${raw}"`, { hint: "unset it to run half the host's CPUs, or set e.g. 2" });
  }
  return threads;
}

export function renderHaproxyConfig(table: RouteTable, paths: HaproxyConfigPaths): string {
  const services = Object.keys(table.services).sort();
  return [
    "# Written by slipway from routes.json; edits are lost at the next change.",
    "global",
    // Taken by a restart or reload; half the CPUs by default, the rest left to the backends.
    `  nbthread ${paths.threads ?? routerThreads()}`,
    `  stats socket ${paths.adminSocket} mode 600 level admin expose-fd listeners`,
    "  stats timeout 10s",
    // An old worker left by a reload gives up on idle clients after this long.
    "  hard-stop-after 30s",
    "",
    `ring ${REQUEST_LOG_RING}`,
    "  format raw",
    "  maxlen 200",
    // About 100 000 requests: a few minutes of history at canary-analysis rates.
    "  size 4194304",
    "",
    "defaults",
    "  mode http",
    // Keep-alive to clients, and reuse of idle server connections where safe.
    "  option http-keep-alive",
    "  http-reuse safe",
    // On a reload the old worker answers idle clients' next request with
    // "Connection: close" instead of closing under them (a client error).
    "  option idle-close-on-response",
    "  timeout connect 2s",
    "  timeout client 30s",
    "  timeout server 30s",
    "  timeout http-request 10s",
    "  timeout http-keep-alive 60s",
    "  timeout queue 5s",
    "",
    "frontend slipway.control",
    `  bind 127.0.0.1:${paths.controlPort}`,
    "  monitor-uri /healthz",
    "  http-request use-service prometheus-exporter if { path /metrics }",
    "  http-request return status 404",
    ...services.flatMap((name) => serviceSections(name, table.services[name] as ServiceRoutes)),
    "",
  ].join("\n");
}

function serviceSections(service: string, routes: ServiceRoutes): string[] {
  const weighted = backendProxy(service, "weighted");
  const tester = backendProxy(service, "tester");
  const lines = [
    "",
    `frontend ${frontendProxy(service, "main")}`,
    `  bind 127.0.0.1:${routes.endpointPort}`,
    ...requestLog(),
    // Testers reach the canary or preview whatever the weights, while there is one.
    `  use_backend ${tester} if { req.hdr(${CANARY_HEADER}) -i always } { nbsrv(${tester}) gt 0 }`,
    `  default_backend ${weighted}`,
  ];
  if (routes.previewPort !== undefined) {
    lines.push("", `frontend ${frontendProxy(service, "preview")}`, `  bind 127.0.0.1:${routes.previewPort}`, ...requestLog(), `  default_backend ${backendProxy(service, "preview")}`);
  }
  const bySlot = new Map(Object.values(routes.backends).map((e) => [e.slot, e]));
  const slots = Array.from({ length: slotCount(routes) }, (_, i) => i + 1);
  for (const route of routeKinds) {
    lines.push(
      "",
      `backend ${backendProxy(service, route)}`,
      ...backendDefaults(),
      ...slots.map((slot) => {
        const entry = bySlot.get(slot);
        return entry !== undefined && memberOf(entry.role, route) ? serverLine(entry, route, routes) : freeSlotLine(slot, routes);
      }),
    );
  }
  return lines;
}

function requestLog(): string[] {
  // Epoch ms, backend, server, status, time to response headers (-1: none).
  return [`  log ring@${REQUEST_LOG_RING} local0 info`, `  log-format "${REQUEST_LOG_TAG} %Ts%ms %b %s %ST %Tr"`, "  option dontlognull"];
}

function backendDefaults(): string[] {
  return [
    // Weights change at run time; roundrobin is the algorithm that honours that.
    "  balance roundrobin",
    // A server gone between choice and connection, or closing a reused
    // connection, costs a retry on another server instead of a client error.
    "  retries 3",
    "  option redispatch 1",
    "  retry-on conn-failure empty-response response-timeout",
    // Replaying a request already sent is only safe when the method is idempotent.
    "  http-request disable-l7-retry unless { method GET HEAD OPTIONS PUT DELETE }",
  ];
}

function memberOf(role: BackendRole, route: RouteKind): boolean {
  return routesForRole(role).includes(route);
}

/** The weight a server carries in a route: the instance's weight in the weighted route, equal shares elsewhere. */
export function serverWeight(entry: Pick<RouteEntry, "weight">, route: RouteKind): number {
  return route === "weighted" ? entry.weight : 1;
}

function serverLine(entry: RouteEntry, route: RouteKind, routes: ServiceRoutes): string {
  // A draining server comes back in maintenance: its in-flight requests stay with the old worker.
  return `  server ${slotName(entry.slot)} ${entry.address}:${entry.port} weight ${serverWeight(entry, route)}${healthCheck(routes)}${entry.state === "draining" ? " disabled" : ""}  # ${entry.name}`;
}

function freeSlotLine(slot: number, routes: ServiceRoutes): string {
  // Declared with the check too: a slot claimed at run time (set server addr, state ready) is checked from then on.
  return `  server ${slotName(slot)} ${FREE_SLOT_ADDRESS} weight 0${healthCheck(routes)} disabled`;
}

/**
 * HAProxy's layer-4 check (a TCP connect) every interval: one failure takes
 * a dead address out of rotation, one success puts it back. A server leaving
 * maintenance (routed by the controller once ready) starts UP and is checked
 * from then on; in maintenance it is not checked.
 */
function healthCheck(routes: ServiceRoutes): string {
  const interval = routes.healthCheckIntervalMs;
  return interval === undefined ? "" : ` check inter ${Math.max(1, Math.round(interval))} fall 1 rise 1`;
}
