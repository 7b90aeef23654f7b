// The traffic-router port: how requests reach the instances of a service's
// revisions. Shaped to map onto Gateway API one to one (docs: README.md
// beside this file):
//
//   service endpoint     ↔ Gateway listener + HTTPRoute
//   backend (instance)   ↔ an endpoint of the revision's Service (a pod)
//   revision percentages ↔ HTTPRoute rule backendRefs[].weight
//   role canary/preview  ↔ a header-matched rule (X-Slipway-Canary: always)
//                          and the preview Service
//
// The HAProxy adapter (haproxy/) changes servers and weights at run time;
// the rollout controller only speaks this port.

/** Which traffic an instance takes besides its weighted share. */
export type BackendRole = "stable" | "canary" | "preview";

export interface ServiceEndpoint {
  /** Loopback port clients use for the service: weighted across revisions. */
  endpointPort: number;
  /** Loopback port that reaches only preview instances (blue-green's "green" before the switch). */
  previewPort?: number;
  /**
   * How often the router itself checks that each routed address accepts a
   * connection (the service's readiness probe period): one that does not is
   * out of rotation after one failed check, and back after one that passes.
   * The controller decides readiness; this bounds how long the router sends
   * requests to an address that died under it (a crashed instance, an engine
   * restart) to one period, with or without a controller. Unset: no checks.
   */
  healthCheckIntervalMs?: number;
}

export interface BackendSpec {
  /** DNS-label name, unique per instance within the service (dnsLabelName). */
  name: string;
  revision: string;
  role: BackendRole;
  /** Where the instance listens: a loopback IP literal on the Docker runtime. */
  address: string;
  port: number;
  /**
   * Relative weight of this instance in the service's weighted route, 0–256
   * (0 = in the router, takes no weighted traffic; header and preview routes
   * still reach canary and preview instances). Once setRevisionWeights has
   * set a split, the split decides instead: an instance joining or leaving a
   * revision re-spreads that revision's share over its ready instances.
   */
  weight: number;
}

/** ready: takes traffic by weight; draining: takes no new requests, finishes those in flight. */
export type BackendState = "ready" | "draining";

export interface RoutedBackend extends BackendSpec {
  state: BackendState;
  /** Requests in flight on this instance now, over all of the service's routes. */
  activeRequests: number;
}

/** Revision → percent of the service's weighted traffic; integers that add up to 100. */
export type RevisionPercentages = Readonly<Record<string, number>>;

export interface LatencySummary {
  /** Requests in the sample (the router's recent request log, within the window). */
  samples: number;
  windowMs: number;
  /** Time to response headers, milliseconds, nearest-rank percentiles. */
  p50Ms: number;
  p90Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface RevisionStats {
  revision: string;
  /** Attempts sent to the revision's instances, also those that failed and were retried elsewhere. */
  requests: number;
  responses2xx: number;
  responses5xx: number;
  /**
   * Attempts that failed here before a response (refused, reset, closed
   * early), including those a retry on another instance hid from the client:
   * a dead canary shows here even when no client saw an error.
   */
  connectionErrors: number;
  /** The part of connectionErrors that the router retried (on this or another instance). */
  retries: number;
  /** Mean time to response headers over the instances' recent requests, milliseconds. */
  avgResponseMs: number;
  /** Percentiles from the recent request log; undefined when no request is in the window. */
  latency: LatencySummary | undefined;
  /**
   * A router that keeps latency as a cumulative histogram (a gateway's
   * Prometheus metrics) gives it instead: bucket upper bounds in ms,
   * ascending (the last Infinity), and the requests at or below each. Two
   * readings give exact-window percentiles (analysis/router-provider.ts).
   */
  latencyHistogram?: { upperBoundsMs: readonly number[]; counts: readonly number[] };
}

export interface ServiceStats {
  service: string;
  sampledAt: string;
  /**
   * When the counters started. Counters are cumulative from here and start
   * again when the router restarts or reloads, so compare two samples only
   * when this is the same in both.
   */
  countersSince: string;
  /** What clients saw on the service's endpoints, including the router's own 503s. */
  endpoint: { requests: number; responses5xx: number };
  revisions: Readonly<Record<string, RevisionStats>>;
}

export interface DrainOptions {
  /** How long in-flight requests may take to finish; then ROUTER_DRAIN_TIMEOUT. */
  timeoutMs?: number;
}

export interface TrafficRouter {
  /**
   * "replicas": the router cannot weigh requests — a revision takes part in
   * one Service or not, and traffic follows the count of its serving
   * instances (Kubernetes without Gateway API). The split it keeps is then
   * which revisions serve; planners size revisions to their share. Absent:
   * it weighs requests as asked.
   */
  readonly splitsBy?: "requests" | "replicas";
  /** Declares the service's endpoints. Idempotent; a new service or new ports may restart routing (not on the rollout path). */
  ensureService(service: string, endpoint: ServiceEndpoint): Promise<void>;
  /** Routes to a new instance. Idempotent for the same spec; ROUTER_CONFLICT when the name is taken by another. */
  addBackend(service: string, backend: BackendSpec): Promise<void>;
  /** Sets one instance's weight by hand; the service then has no revision split until setRevisionWeights again. */
  setBackendWeight(service: string, name: string, weight: number): Promise<void>;
  /** Moves an instance between roles, e.g. canary → stable after promotion; header and preview routes follow. */
  setBackendRole(service: string, name: string, role: BackendRole): Promise<void>;
  /** Stops new requests to the instance and resolves once those in flight have finished. */
  drainBackend(service: string, name: string, options?: DrainOptions): Promise<void>;
  /** Drains (when not yet drained) and forgets the instance. Idempotent: an unknown name is already removed. */
  removeBackend(service: string, name: string, options?: DrainOptions): Promise<void>;
  /**
   * Splits the weighted route by revision with 1% granularity; revisions not
   * named get 0%. Instances of a revision share its percentage evenly; draining
   * instances take none. The split stays in force as instances come and go.
   */
  setRevisionWeights(service: string, percentages: RevisionPercentages): Promise<void>;
  /**
   * Takes the service out of routing for good, after its instances are gone
   * (`slipway undeploy`): on a cluster its HTTPRoute, Services (stable,
   * preview, per revision) and own Gateway listener, as deleting an Argo
   * Rollout removes its route references. Idempotent; a later ensureService declares it afresh.
   * Absent (HAProxy): the endpoint stays declared and answers 503, because
   * dropping a frontend reloads the environment's HAProxy, which restarts
   * every other service's counters (an analysis in flight would see them
   * start over) — and the next deploy reuses the port without a reload.
   */
  removeService?(service: string): Promise<void>;
  listBackends(service: string): Promise<RoutedBackend[]>;
  revisionStats(service: string, options?: { latencyWindowMs?: number }): Promise<ServiceStats>;
  /** Releases what this client holds; the router keeps routing. */
  close(): Promise<void>;
}
