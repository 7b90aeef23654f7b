// A TrafficRouter in memory, for unit tests of the rollout controller: same
// rules as the HAProxy adapter (names, conflicts, roles, a revision split
// that holds as instances come and go, error codes), no process. Drains
// finish at once unless a test holds requests in flight with `setActive`.
import { SlipwayError } from "../domain/errors.js";
import { instanceWeights } from "./revision-weights.js";
import type { BackendRole, BackendSpec, RevisionPercentages, RevisionStats, RoutedBackend, ServiceEndpoint, ServiceStats, TrafficRouter } from "./types.js";

interface FakeService extends ServiceEndpoint {
  backends: Map<string, RoutedBackend>;
  percentages: Record<string, number> | undefined;
}

/** The largest weight the fake accepts, as HAProxy. */
const MAX_WEIGHT = 256;

export class InMemoryTrafficRouter implements TrafficRouter {
  readonly services = new Map<string, FakeService>();
  /** Every call, in order, for tests that check the controller's sequence. */
  readonly calls: string[] = [];
  private readonly stats = new Map<string, Record<string, RevisionStats>>();
  private readonly since = new Date().toISOString();

  async ensureService(service: string, endpoint: ServiceEndpoint): Promise<void> {
    this.calls.push(`ensureService ${service}`);
    const current = this.services.get(service);
    this.services.set(service, { ...endpoint, backends: current?.backends ?? new Map(), percentages: current?.percentages });
  }

  async addBackend(service: string, backend: BackendSpec): Promise<void> {
    this.calls.push(`addBackend ${service} ${backend.name}`);
    const s = this.service(service);
    const existing = s.backends.get(backend.name);
    if (existing !== undefined && (existing.revision !== backend.revision || existing.role !== backend.role || existing.address !== backend.address || existing.port !== backend.port)) {
      throw new SlipwayError("ROUTER_CONFLICT", `service ${service} already routes ${backend.name} elsewhere`);
    }
    s.backends.set(backend.name, { ...backend, state: existing?.state ?? "ready", activeRequests: existing?.activeRequests ?? 0 });
    this.respread(service, s);
  }

  async setBackendWeight(service: string, name: string, weight: number): Promise<void> {
    this.calls.push(`setBackendWeight ${service} ${name} ${weight}`);
    if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) throw new SlipwayError("ROUTER_INVALID_WEIGHTS", `weight ${weight} is not 0–${MAX_WEIGHT}`);
    this.backend(service, name).weight = weight;
    this.service(service).percentages = undefined;
  }

  async setBackendRole(service: string, name: string, role: BackendRole): Promise<void> {
    this.calls.push(`setBackendRole ${service} ${name} ${role}`);
    this.backend(service, name).role = role;
  }

  async drainBackend(service: string, name: string): Promise<void> {
    this.calls.push(`drainBackend ${service} ${name}`);
    const backend = this.backend(service, name);
    backend.state = "draining";
    this.respread(service, this.service(service));
    if (backend.activeRequests > 0) {
      throw new SlipwayError("ROUTER_DRAIN_TIMEOUT", `backend ${name} of service ${service} still has ${backend.activeRequests} request(s) in flight`, { retryable: true });
    }
  }

  async removeBackend(service: string, name: string): Promise<void> {
    this.calls.push(`removeBackend ${service} ${name}`);
    const s = this.service(service);
    if (!s.backends.has(name)) return;
    await this.drainBackend(service, name);
    s.backends.delete(name);
  }

  async setRevisionWeights(service: string, percentages: RevisionPercentages): Promise<void> {
    this.calls.push(`setRevisionWeights ${service} ${JSON.stringify(percentages)}`);
    const s = this.service(service);
    const weights = instanceWeights(service, percentages, this.ready(s), MAX_WEIGHT);
    for (const [name, weight] of weights) (s.backends.get(name) as RoutedBackend).weight = weight;
    s.percentages = { ...percentages };
  }

  async listBackends(service: string): Promise<RoutedBackend[]> {
    return [...this.service(service).backends.values()].map((b) => ({ ...b })).sort((a, b) => a.name.localeCompare(b.name));
  }

  async revisionStats(service: string): Promise<ServiceStats> {
    const revisions = this.stats.get(service) ?? {};
    const all = Object.values(revisions);
    return {
      service,
      sampledAt: new Date().toISOString(),
      countersSince: this.since,
      endpoint: { requests: all.reduce((n, r) => n + r.requests, 0), responses5xx: all.reduce((n, r) => n + r.responses5xx, 0) },
      revisions,
    };
  }

  async close(): Promise<void> {}

  /** What revisionStats answers next for a revision (cumulative, as a router counts). */
  setStats(service: string, stats: RevisionStats): void {
    this.stats.set(service, { ...this.stats.get(service), [stats.revision]: stats });
  }

  /** Holds requests in flight on a backend, so a drain times out until set back to 0. */
  setActive(service: string, name: string, activeRequests: number): void {
    this.backend(service, name).activeRequests = activeRequests;
  }

  /** The share of weighted traffic each revision gets now, in percent (fractions kept). */
  shares(service: string): Record<string, number> {
    const ready = this.ready(this.service(service));
    const total = ready.reduce((n, b) => n + b.weight, 0);
    const shares: Record<string, number> = {};
    for (const b of ready) shares[b.revision] = (shares[b.revision] ?? 0) + (total === 0 ? 0 : (b.weight * 100) / total);
    return shares;
  }

  private ready(s: FakeService): RoutedBackend[] {
    return [...s.backends.values()].filter((b) => b.state === "ready");
  }

  private respread(service: string, s: FakeService): void {
    if (s.percentages === undefined) return;
    for (const [name, weight] of instanceWeights(service, s.percentages, this.ready(s), MAX_WEIGHT, "tolerate")) (s.backends.get(name) as RoutedBackend).weight = weight;
  }

  private service(service: string): FakeService {
    const s = this.services.get(service);
    if (s === undefined) throw new SlipwayError("ROUTER_NOT_FOUND", `the router has no service ${service}`);
    return s;
  }

  private backend(service: string, name: string): RoutedBackend {
    const b = this.service(service).backends.get(name);
    if (b === undefined) throw new SlipwayError("ROUTER_NOT_FOUND", `service ${service} has no backend ${name}`);
    return b;
  }
}
