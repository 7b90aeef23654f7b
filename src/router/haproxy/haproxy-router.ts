// The TrafficRouter on HAProxy: one process per environment, changed at run
// time through its Runtime API (set server addr/state and set weight on
// server slots declared in the config), never reloaded on the rollout path.
// Only a new service, new ports or a new slot count reload it, because
// HAProxy 2.6 cannot add frontends at run time.
// Every change is also written to the route table and the config file, so a
// restart or reload comes back routing the same way.
import { mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { SlipwayError } from "../../domain/errors.js";
import { daemonState, signal, startDaemon, stopDaemon, type DaemonSpec, type StartResult, type StopResult } from "../../platform/daemon.js";
import { findPortOwner, isPortFree } from "../../platform/port-probe.js";
import { instanceWeights } from "../revision-weights.js";
import type { BackendRole, BackendSpec, DrainOptions, RevisionPercentages, RoutedBackend, ServiceEndpoint, ServiceStats, TrafficRouter } from "../types.js";
import { DEFAULT_SLOTS, REQUEST_LOG_RING, renderHaproxyConfig, serverWeight, slotCount, slotName, slotOf } from "./haproxy-config.js";
import { checkConfig, handOverUnsupervisedRouter, haproxyBinary, haproxyDaemonSpec, haproxyPaths, type HaproxyPaths } from "./haproxy-daemon.js";
import { runningHaproxy } from "./supervisor.js";
import { reloadAndWait } from "./master-cli.js";
import { assertRoutableAddress, assertRoutableName, assertWeight, backendProxy, frontendProxy, MAX_SERVER_WEIGHT, routeKinds, routesForRole, type RouteKind } from "./proxy-names.js";
import { parseRequestLog, summarizeLatency } from "./request-log.js";
import { addTotals, revisionCounters, subtractTotals, totalsOfRow, zeroTotals } from "./revision-counters.js";
import { loadRouteTable, saveRouteTable, type RouteEntry, type RouteTable, type ServiceRoutes } from "./route-table.js";
import { HaproxySocketClient } from "./runtime-api.js";
import { parseShowStat, serverRows, type StatRow } from "./show-stat.js";

export interface HaproxyRouterOptions {
  environment: string;
  /** Slipway's state directory (.slipway). */
  stateDir: string;
  /** Loopback port for /healthz and Prometheus /metrics; also how the daemon is recognised. */
  controlPort: number;
  /** Where a user moves the control port, for the hint when another process holds it (`routerPort of environment "test" in slipway.yaml`). */
  controlPortSetting?: string;
  binary?: string;
  commandTimeoutMs?: number;
  /** Default for drainBackend/removeBackend. */
  drainTimeoutMs?: number;
  /**
   * Server slots declared per backend (default SLIPWAY_ROUTER_SLOTS, else 32):
   * how many instances a service can route at once. Changing it reloads
   * HAProxy at the next ensureService.
   */
  slotsPerBackend?: number;
}

const POLL_MS = 25;

export class HaproxyRouter implements TrafficRouter {
  readonly paths: HaproxyPaths;
  private readonly environment: string;
  private readonly controlPort: number;
  private readonly controlPortSetting: string | undefined;
  private readonly binary: string;
  private readonly drainTimeoutMs: number;
  private readonly slotsPerBackend: number;
  private readonly admin: HaproxySocketClient;
  private readonly master: HaproxySocketClient;
  private table: RouteTable;
  /** Changes run one at a time: each reads and rewrites the route table. Waiting for drains happens outside. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: HaproxyRouterOptions) {
    const binary = options.binary ?? haproxyBinary();
    if (binary === undefined) {
      throw new SlipwayError("COMPONENT_MISSING", "HAProxy is not installed", { hint: "install Debian's haproxy package (scripts/setup-host.sh does), or set SLIPWAY_HAPROXY_BINARY" });
    }
    this.binary = binary;
    this.environment = options.environment;
    this.controlPort = options.controlPort;
    this.controlPortSetting = options.controlPortSetting;
    this.drainTimeoutMs = options.drainTimeoutMs ?? 30_000;
    this.slotsPerBackend = options.slotsPerBackend ?? slotsFromEnv() ?? DEFAULT_SLOTS;
    if (!Number.isInteger(this.slotsPerBackend) || this.slotsPerBackend < 1 || this.slotsPerBackend > 4096) {
      throw new SlipwayError("INTERNAL", `router slots per backend must be a whole number from 1 to 4096, got ${this.slotsPerBackend}`, { hint: "set SLIPWAY_ROUTER_SLOTS to e.g. 32" });
    }
    this.paths = haproxyPaths(options.stateDir, options.environment);
    this.admin = new HaproxySocketClient(this.paths.adminSocket, { label: `router admin socket (${options.environment})`, timeoutMs: options.commandTimeoutMs });
    this.master = new HaproxySocketClient(this.paths.masterSocket, { label: `router master socket (${options.environment})`, timeoutMs: options.commandTimeoutMs });
    this.table = loadRouteTable(this.paths.routesFile);
  }

  /** What `slipway up`/`down`/`doctor` need to manage the process. */
  daemonSpec(): DaemonSpec {
    return haproxyDaemonSpec(this.environment, this.paths, this.controlPort, this.binary, () => this.writeConfig(this.paths.configFile), this.controlPortSetting);
  }

  /**
   * Starts the environment's HAProxy under its supervisor from the route
   * table, unless it already runs. A supervisor restarting HAProxy at this
   * moment is waited for, not raced.
   */
  async start(): Promise<StartResult> {
    this.refresh();
    this.writeConfig(this.paths.configFile);
    await checkConfig(this.binary, this.paths.configFile);
    handOverUnsupervisedRouter(this.paths, this.binary);
    return startDaemon(this.daemonSpec());
  }

  /** Stops the supervisor, which stops HAProxy; and a HAProxy whose supervisor was killed. */
  async stop(): Promise<StopResult> {
    handOverUnsupervisedRouter(this.paths, this.binary);
    const result = await stopDaemon(this.daemonSpec());
    const orphan = runningHaproxy(this.paths.haproxyPidFile);
    if (orphan === undefined) return result;
    signal(orphan.pid, "SIGTERM");
    const deadline = Date.now() + 5_000;
    while (runningHaproxy(this.paths.haproxyPidFile) !== undefined && Date.now() < deadline) await sleep(20);
    if (runningHaproxy(this.paths.haproxyPidFile) !== undefined) signal(orphan.pid, "SIGKILL");
    rmSync(this.paths.haproxyPidFile, { force: true });
    return "stopped";
  }

  async close(): Promise<void> {
    // One connection per command: nothing stays open. The router keeps routing.
    await this.queue.catch(() => undefined);
  }

  ensureService(service: string, endpoint: ServiceEndpoint): Promise<void> {
    assertRoutableName("service", service);
    return this.serially(async () => {
      const current = this.table.services[service];
      const slots = Math.max(this.slotsPerBackend, ...Object.values(current?.backends ?? {}).map((e) => e.slot));
      if (current !== undefined && current.endpointPort === endpoint.endpointPort && current.previewPort === endpoint.previewPort && current.healthCheckIntervalMs === endpoint.healthCheckIntervalMs && slotCount(current) === slots) return;
      await this.assertPortsFree(service, endpoint, current);
      const before = structuredClone(this.table);
      this.table.services[service] = {
        endpointPort: endpoint.endpointPort,
        ...(endpoint.previewPort === undefined ? {} : { previewPort: endpoint.previewPort }),
        ...(endpoint.healthCheckIntervalMs === undefined ? {} : { healthCheckIntervalMs: endpoint.healthCheckIntervalMs }),
        ...(current?.percentages === undefined ? {} : { percentages: current.percentages }),
        slots,
        backends: current?.backends ?? {},
      };
      try {
        await this.applyByReload();
      } catch (err) {
        this.table = before;
        this.persist();
        throw err;
      }
    });
  }

  addBackend(service: string, backend: BackendSpec): Promise<void> {
    assertRoutableName("backend", backend.name);
    assertRoutableAddress(backend.address, backend.port);
    assertWeight(backend.weight);
    return this.serially(async () => {
      const routes = this.requireService(service);
      const existing = routes.backends[backend.name];
      if (existing !== undefined && !sameInstance(existing, backend)) {
        throw new SlipwayError("ROUTER_CONFLICT", `service ${service} already routes ${backend.name} to ${describe(existing)}, not ${describe(backend)}`, {
          hint: "give every instance its own name (dnsLabelName of service, revision and instance), or remove the old backend first",
        });
      }
      const entry: RouteEntry = { ...backend, state: existing?.state ?? "ready", slot: existing?.slot ?? this.unusedSlot(service, routes) };
      // Under a revision split the newcomer takes its part of its revision's share.
      const others = this.readyBackends(routes).filter((b) => b.name !== entry.name);
      const spread = this.spreadOf(service, routes, entry.state === "ready" ? [...others, entry] : others);
      if (spread !== undefined) entry.weight = spread.get(entry.name) ?? 0;
      for (const route of routesForRole(backend.role)) await this.claimSlot(service, route, entry);
      routes.backends[backend.name] = entry;
      if (spread !== undefined) await this.applyWeights(service, routes, spread);
      this.persist();
    });
  }

  setBackendWeight(service: string, name: string, weight: number): Promise<void> {
    assertWeight(weight);
    return this.serially(async () => {
      const entry = this.requireBackend(service, name);
      await this.admin.sendExpectingSilence(`set weight ${backendProxy(service, "weighted")}/${slotName(entry.slot)} ${weight}`);
      entry.weight = weight;
      delete this.requireService(service).percentages;
      this.persist();
    });
  }

  async setBackendRole(service: string, name: string, role: BackendRole): Promise<void> {
    const dropped = await this.serially(async () => {
      const entry = this.requireBackend(service, name);
      const before = routesForRole(entry.role);
      const after = routesForRole(role);
      for (const route of after.filter((r) => !before.includes(r))) await this.claimSlot(service, route, entry);
      const leaving = before.filter((r) => !after.includes(r)).map((r) => backendProxy(service, r));
      for (const proxy of leaving) await this.admin.sendExpectingSilence(`set server ${proxy}/${slotName(entry.slot)} state drain`);
      entry.role = role;
      this.persist();
      return { leaving, slot: entry.slot };
    });
    if (dropped.leaving.length === 0) return;
    await this.waitIdle(service, name, dropped.leaving, this.drainTimeoutMs, dropped.slot);
    await this.serially(async () => {
      // Only if the instance still holds the slot; the role change left these routes in the table already.
      const entry = this.requireService(service).backends[name];
      if (entry?.slot !== dropped.slot) return;
      const current = routesForRole(entry.role).map((r) => backendProxy(service, r));
      for (const proxy of dropped.leaving.filter((p) => !current.includes(p))) await this.releaseSlot(proxy, dropped.slot);
    });
  }

  async drainBackend(service: string, name: string, options: DrainOptions = {}): Promise<void> {
    const proxies = await this.serially(async () => {
      const entry = this.requireBackend(service, name);
      const proxies = routesForRole(entry.role).map((r) => backendProxy(service, r));
      for (const proxy of proxies) await this.admin.sendExpectingSilence(`set server ${proxy}/${slotName(entry.slot)} state drain`);
      entry.state = "draining";
      // The revision's other instances take up its share.
      const routes = this.requireService(service);
      const spread = this.spreadOf(service, routes, this.readyBackends(routes));
      if (spread !== undefined) await this.applyWeights(service, routes, spread);
      this.persist();
      return { proxies, slot: entry.slot };
    });
    await this.waitIdle(service, name, proxies.proxies, options.timeoutMs ?? this.drainTimeoutMs, proxies.slot);
  }

  async removeBackend(service: string, name: string, options: DrainOptions = {}): Promise<void> {
    this.refresh();
    const entry = this.requireService(service).backends[name];
    if (entry?.state !== "draining") {
      // Not in the table means removed already, unless a crash left a server in HAProxy.
      if (entry === undefined) return this.removeStray(service, name);
      await this.drainBackend(service, name, options);
    } else {
      await this.waitIdle(service, name, routesForRole(entry.role).map((r) => backendProxy(service, r)), options.timeoutMs ?? this.drainTimeoutMs, entry.slot);
    }
    await this.serially(async () => {
      const routes = this.requireService(service);
      const current = routes.backends[name];
      if (current === undefined) return;
      const proxies = routesForRole(current.role).map((r) => backendProxy(service, r));
      const slot = slotName(current.slot);
      for (const proxy of proxies) await this.admin.sendExpectingSilence(`set server ${proxy}/${slot} state maint`);
      // In maintenance nothing more is counted: these are its final numbers.
      await this.retireCounters(service, current.revision, current.slot, proxies);
      for (const proxy of proxies) await this.releaseSlot(proxy, current.slot);
      delete routes.backends[name];
      this.persist();
    });
  }

  setRevisionWeights(service: string, percentages: RevisionPercentages): Promise<void> {
    return this.serially(async () => {
      const routes = this.requireService(service);
      const weights = instanceWeights(service, percentages, this.readyBackends(routes), MAX_SERVER_WEIGHT);
      await this.applyWeights(service, routes, weights);
      routes.percentages = { ...percentages };
      this.persist();
    });
  }

  async listBackends(service: string): Promise<RoutedBackend[]> {
    this.refresh();
    const routes = this.requireService(service);
    const rows = serverRows(await this.showStat(), this.proxiesOf(service));
    return Object.values(routes.backends)
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(({ slot, ...entry }) => ({ ...entry, activeRequests: rows.filter((r) => r.server === slotName(slot)).reduce((n, r) => n + r.currentSessions, 0) }));
  }

  async revisionStats(service: string, options: { latencyWindowMs?: number } = {}): Promise<ServiceStats> {
    this.refresh();
    const routes = this.requireService(service);
    const windowMs = options.latencyWindowMs ?? 60_000;
    const [info, rows, log] = [await this.showInfo(), await this.showStat(), await this.admin.send(`show events ${REQUEST_LOG_RING}`)];
    const now = Date.now();
    const bySlot = new Map(Object.values(routes.backends).map((e) => [slotName(e.slot), e]));
    const revisionOf = (server: string): string | undefined => bySlot.get(server)?.revision;
    const sameWorker = this.table.retired.workerPid === info.pid;
    const retired = sameWorker ? (this.table.retired.byService[service] ?? {}) : {};
    const baselines = sameWorker ? (this.table.retired.slotBaselines ?? {}) : {};
    const counters = revisionCounters(serverRows(rows, this.proxiesOf(service)), revisionOf, retired, (row) => baselines[`${row.proxy}/${row.server}`]);

    const proxies = this.proxiesOf(service);
    const samples = new Map<string, number[]>();
    for (const request of parseRequestLog(log)) {
      const revision = revisionOf(request.server);
      if (revision === undefined || request.responseMs < 0 || request.atMs < now - windowMs || !proxies.includes(request.proxy)) continue;
      const list = samples.get(revision);
      if (list === undefined) samples.set(revision, [request.responseMs]);
      else list.push(request.responseMs);
    }

    const revisions: Record<string, ServiceStats["revisions"][string]> = {};
    const names = new Set([...counters.keys(), ...Object.values(routes.backends).map((b) => b.revision)]);
    for (const revision of [...names].sort()) {
      const c = counters.get(revision) ?? { revision, ...zeroTotals(), avgResponseMs: 0 };
      revisions[revision] = { ...c, latency: summarizeLatency(samples.get(revision) ?? [], windowMs) };
    }
    const frontends = rows.filter((r) => r.server === "FRONTEND" && (r.proxy === frontendProxy(service, "main") || r.proxy === frontendProxy(service, "preview")));
    return {
      service,
      sampledAt: new Date(now).toISOString(),
      countersSince: new Date(now - info.uptimeSec * 1000).toISOString(),
      endpoint: { requests: frontends.reduce((n, r) => n + r.requests, 0), responses5xx: frontends.reduce((n, r) => n + r.responses5xx, 0) },
      revisions,
    };
  }

  /** The worker serving now, and for how long: a reload changes the pid and restarts the uptime. */
  async showInfo(): Promise<{ pid: number; uptimeSec: number }> {
    const answer = await this.admin.send("show info");
    const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(answer)?.[1] ?? Number.NaN);
    const info = { pid: field("Pid"), uptimeSec: field("Uptime_sec") };
    if (Number.isNaN(info.pid) || Number.isNaN(info.uptimeSec)) throw this.admin.refused("show info", answer);
    return info;
  }

  // --- steps -------------------------------------------------------------

  private readyBackends(routes: ServiceRoutes): RouteEntry[] {
    return Object.values(routes.backends).filter((b) => b.state === "ready");
  }

  /** Instance weights under the service's revision split, or undefined when weights are set by hand. */
  private spreadOf(service: string, routes: ServiceRoutes, ready: readonly RouteEntry[]): Map<string, number> | undefined {
    return routes.percentages === undefined ? undefined : instanceWeights(service, routes.percentages, ready, MAX_SERVER_WEIGHT, "tolerate");
  }

  /**
   * Sets weights in one command line, raises before cuts: the total never
   * drops to zero (no 503), and no revision is over its share for more than
   * the microseconds between two commands.
   */
  private async applyWeights(service: string, routes: ServiceRoutes, weights: ReadonlyMap<string, number>): Promise<void> {
    const changes = [...weights]
      .map(([name, weight]) => ({ entry: routes.backends[name], weight }))
      .filter((c): c is { entry: RouteEntry; weight: number } => c.entry !== undefined)
      .sort((a, b) => b.weight - b.entry.weight - (a.weight - a.entry.weight));
    if (changes.length === 0) return;
    const weighted = backendProxy(service, "weighted");
    await this.admin.sendExpectingSilence(changes.map((c) => `set weight ${weighted}/${slotName(c.entry.slot)} ${c.weight}`).join("; "));
    for (const c of changes) c.entry.weight = c.weight;
  }

  /**
   * Every step starts from the route table as it is on disk: another slipway
   * process (a detached scale-down, a command for another service) may have
   * changed it since this client last looked, and writing back an old copy
   * would undo that.
   */
  private serially<T>(step: () => Promise<T>): Promise<T> {
    const fresh = (): Promise<T> => {
      this.refresh();
      return step();
    };
    const run = this.queue.then(fresh, fresh);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private refresh(): void {
    this.table = loadRouteTable(this.paths.routesFile);
  }

  private requireService(service: string): ServiceRoutes {
    const routes = this.table.services[service];
    if (routes === undefined) {
      throw new SlipwayError("ROUTER_NOT_FOUND", `the ${this.environment} router has no service ${service}`, { hint: "ensureService declares it (slipway deploy does)" });
    }
    return routes;
  }

  private requireBackend(service: string, name: string): RouteEntry {
    const entry = this.requireService(service).backends[name];
    if (entry === undefined) throw new SlipwayError("ROUTER_NOT_FOUND", `service ${service} has no backend ${name} in the ${this.environment} router`);
    return entry;
  }

  private proxiesOf(service: string): string[] {
    return routeKinds.map((r) => backendProxy(service, r));
  }

  /** The lowest slot no instance of the service holds; none left is an error that says how to get more. */
  private unusedSlot(service: string, routes: ServiceRoutes): number {
    const taken = new Set(Object.values(routes.backends).map((e) => e.slot));
    const count = slotCount(routes);
    for (let slot = 1; slot <= count; slot++) if (!taken.has(slot)) return slot;
    throw new SlipwayError("ROUTER_REFUSED", `service ${service} already routes ${count} instances in the ${this.environment} router: every server slot is taken`, {
      hint: `raise the slots per backend (SLIPWAY_ROUTER_SLOTS, now ${this.slotsPerBackend}) above ${count}; the next deploy's ensureService reloads the router once with the larger pool. Do it between rollouts, not during one, or remove old instances first`,
    });
  }

  /**
   * Points the instance's slot in one route at it: address, weight, then
   * ready (or drain). The slot is declared in the config, so HAProxy keeps
   * and reuses idle connections to it, which it does not for `add server`.
   */
  private async claimSlot(service: string, route: RouteKind, entry: RouteEntry): Promise<void> {
    const target = `${backendProxy(service, route)}/${slotName(entry.slot)}`;
    await this.admin.sendExpecting(`set server ${target} addr ${entry.address} port ${entry.port}`, /no need to change|changed from|^\s*$/i);
    await this.admin.sendExpectingSilence(`set weight ${target} ${serverWeight(entry, route)}`);
    await this.admin.sendExpectingSilence(`set server ${target} state ${entry.state === "draining" ? "drain" : "ready"}`);
  }

  /** Back to a free slot: maintenance (closing its idle connections) and weight 0. */
  private async releaseSlot(proxy: string, slot: number): Promise<void> {
    const target = `${proxy}/${slotName(slot)}`;
    await this.admin.sendExpectingSilence(`set server ${target} state maint`);
    await this.admin.sendExpectingSilence(`set weight ${target} 0`);
  }

  private async waitIdle(service: string, name: string, proxies: readonly string[], timeoutMs: number, slot: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const active = serverRows(await this.showStat(), proxies)
        .filter((r) => r.server === slotName(slot))
        .reduce((n, r) => n + r.currentSessions, 0);
      if (active === 0) return;
      if (Date.now() > deadline) {
        throw new SlipwayError("ROUTER_DRAIN_TIMEOUT", `backend ${name} of service ${service} still has ${active} request(s) in flight after ${timeoutMs} ms of draining`, {
          retryable: true,
          hint: "it takes no new requests; wait longer, or remove it anyway and let those requests fail",
        });
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * Keeps a freed slot's counters for its revision so the revision's totals
   * do not drop, and remembers them as the slot's baseline: its next
   * occupant starts from there.
   */
  private async retireCounters(service: string, revision: string, slot: number, proxies: readonly string[]): Promise<void> {
    const [info, rows] = [await this.showInfo(), await this.showStat()];
    if (this.table.retired.workerPid !== info.pid) this.table.retired = { workerPid: info.pid, byService: {}, slotBaselines: {} };
    const byRevision = (this.table.retired.byService[service] ??= {});
    const baselines = (this.table.retired.slotBaselines ??= {});
    for (const row of serverRows(rows, proxies).filter((r) => r.server === slotName(slot))) {
      const key = `${row.proxy}/${row.server}`;
      const total = totalsOfRow(row);
      const base = baselines[key];
      byRevision[revision] = addTotals(byRevision[revision] ?? zeroTotals(), base === undefined ? total : subtractTotals(total, base));
      baselines[key] = total;
    }
  }

  /**
   * The instance is not in the table: removed already, unless a crash came
   * between claiming a slot and writing the table. Slots no instance holds
   * but that still take traffic are drained and freed.
   */
  private async removeStray(service: string, name: string): Promise<void> {
    const routes = this.requireService(service);
    const taken = new Set(Object.values(routes.backends).map((e) => e.slot));
    const strays = serverRows(await this.showStat(), this.proxiesOf(service)).filter((r) => {
      const slot = slotOf(r.server);
      return slot !== undefined && !taken.has(slot) && !r.status.startsWith("MAINT");
    });
    if (strays.length === 0) return;
    for (const row of strays) await this.admin.sendExpectingSilence(`set server ${row.proxy}/${row.server} state drain`);
    for (const slot of new Set(strays.map((r) => slotOf(r.server) ?? 0))) {
      await this.waitIdle(service, name, [...new Set(strays.map((r) => r.proxy))], this.drainTimeoutMs, slot);
    }
    await this.serially(async () => {
      const now = new Set(Object.values(this.requireService(service).backends).map((e) => e.slot));
      for (const row of strays) {
        const slot = slotOf(row.server) ?? 0;
        if (!now.has(slot)) await this.releaseSlot(row.proxy, slot);
      }
    });
  }

  private async showStat(): Promise<StatRow[]> {
    const answer = await this.admin.send("show stat");
    try {
      return parseShowStat(answer);
    } catch {
      throw this.admin.refused("show stat", answer);
    }
  }

  /** A new service's ports must be free: a reload that cannot bind them fails. */
  private async assertPortsFree(service: string, endpoint: ServiceEndpoint, current: ServiceRoutes | undefined): Promise<void> {
    const ours = new Set([current?.endpointPort, current?.previewPort]);
    for (const port of [endpoint.endpointPort, endpoint.previewPort]) {
      if (port === undefined || ours.has(port) || (await isPortFree(port))) continue;
      const owner = findPortOwner(port);
      throw new SlipwayError("PORT_IN_USE", `service ${service} needs port ${port} in the ${this.environment} router, held by ${owner ? `pid ${owner.pid} (${owner.command})` : "another process"}`, {
        hint: `stop that process, or change the service's endpoint.port${endpoint.previewPort === undefined ? "" : " (or endpoint.previewPort)"} in its slipway.service.yaml, or the environment's portOffset in slipway.yaml; the router was left unchanged`,
      });
    }
  }

  /** Writes table and config; a running router reloads, after HAProxy has checked the new config. */
  private async applyByReload(): Promise<void> {
    const next = `${this.paths.configFile}.next`;
    this.writeConfig(next);
    await checkConfig(this.binary, next);
    renameSync(next, this.paths.configFile);
    saveRouteTable(this.paths.routesFile, this.table);
    if (daemonState(this.daemonSpec()).kind === "running") await reloadAndWait(this.master);
  }

  private persist(): void {
    saveRouteTable(this.paths.routesFile, this.table);
    this.writeConfig(this.paths.configFile);
  }

  private writeConfig(file: string): void {
    mkdirSync(this.paths.dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, renderHaproxyConfig(this.table, { adminSocket: this.paths.adminSocket, controlPort: this.controlPort }));
    renameSync(tmp, file);
  }
}

function sameInstance(a: BackendSpec, b: BackendSpec): boolean {
  return a.revision === b.revision && a.role === b.role && a.address === b.address && a.port === b.port;
}

function describe(b: BackendSpec): string {
  return `${b.address}:${b.port} (revision ${b.revision}, ${b.role})`;
}

function slotsFromEnv(): number | undefined {
  const raw = process.env["SLIPWAY_ROUTER_SLOTS"];
  return raw === undefined || raw.trim() === "" ? undefined : Number(raw);
}
