// The traffic-router port on Gateway API (docs/runtime-mapping.md): per
// service an HTTPRoute whose weighted rule has one backendRef per revision's
// Service (whole percent), after a `X-Slipway-Canary: always` rule to the
// newcomer or preview; a stable Service selecting the incumbent revision and
// a preview Service. A backend is a pod: it takes traffic while its serving
// label is "true" (every Service selects on it) and the kubelet says Ready.
//
// Confirm before the next step: a weight change returns once the gateway
// reports the route Accepted with its refs resolved for the new generation; a
// backend added or drained returns once the revision's EndpointSlice shows
// the pod in or out. Everything is kept in the cluster (the split in an
// annotation on the route), so another process, or this one restarted, reads
// the same state.
//
// Per-backend stats come from the gateway's Prometheus metrics (Traefik's
// traefik_service_requests_total per backend Service), latency as the
// cumulative histogram traefik_service_request_duration_seconds_bucket.
import { SlipwayError } from "../../domain/errors.js";
import {
  type GatewayLayout,
  httpRouteObject,
  type KubernetesObject,
  labelKeys,
  podRoutingObject,
  previewServiceName,
  previewServiceObject,
  revisionObjectName,
  revisionServiceObject,
  routeAttachment,
  stableServiceObject,
} from "../../domain/kubernetes-objects.js";
import type { PodState } from "../../runtime/kubernetes/pod-state.js";
import { checkPercentages, instanceWeights } from "../revision-weights.js";
import type { BackendRole, BackendSpec, RevisionPercentages, RevisionStats, RoutedBackend, ServiceEndpoint, ServiceStats, TrafficRouter } from "../types.js";
import { type OrderedSplit, orderSplit, parseSplit, planRoute, PREVIEW_ANNOTATION, routeTakenIn, SPLIT_ANNOTATION, stableRevision } from "./route-plan.js";
import { latencyHistograms } from "./latency-histogram.js";
import { PodRouting, type PodRoutingOptions } from "./pod-routing.js";
import { queryPrometheus, type Sample } from "./prometheus-query.js";

const GATEWAY_API = "gateway.networking.k8s.io/v1";
/** How long the gateway and the EndpointSlice controller may take to confirm a change. */
const CONFIRM_MS = 15_000;
/** Gateway API weights go to 1,000,000; Slipway splits per instance like HAProxy, to report instance weights. */
const INSTANCE_WEIGHT_CAP = 256;

export type { RoutedServiceConfig } from "./pod-routing.js";

export interface GatewayApiRouterOptions extends PodRoutingOptions {
  layout: GatewayLayout;
  /** Prometheus scraping the gateway (Traefik's per-service metrics); without it, revisionStats is refused. */
  prometheus?: { address: string; job?: string } | undefined;
  confirmTimeoutMs?: number;
}

interface RouteState {
  split: OrderedSplit;
  preview: string | undefined;
}

export class GatewayApiRouter extends PodRouting implements TrafficRouter {
  private readonly routes = new Map<string, RouteState>();
  /** The HTTPRoute last applied per service by this process (its JSON). */
  private readonly appliedRoutes = new Map<string, string>();
  private readonly confirmMs: number;

  constructor(private readonly options: GatewayApiRouterOptions) {
    super(options);
    this.confirmMs = options.confirmTimeoutMs ?? CONFIRM_MS;
  }

  ensureService(service: string, _endpoint: ServiceEndpoint): Promise<void> {
    return this.serially(async () => {
      await this.started();
      await this.ensureListener(service);
      await this.stateOf(service);
    });
  }

  addBackend(service: string, backend: BackendSpec): Promise<void> {
    return this.serially(async () => {
      await this.started();
      const state = await this.stateOf(service);
      const pod = this.podNamed(service, backend.name);
      if (pod === undefined) throw new SlipwayError("ROUTER_NOT_FOUND", `service ${service} has no pod ${backend.name} in namespace ${this.scope.namespace}`, { retryable: true });
      await this.ensureRevisionService(service, pod.instance.revision);
      if (!pod.serving) await this.setServing(pod, true);
      if (backend.role === "preview" && state.preview !== pod.instance.revision) await this.setPreview(service, state, pod.instance.revision);
      await this.confirmEndpoint(service, pod, true);
      await this.applyRoute(service, state);
    });
  }

  setBackendWeight(service: string, name: string): Promise<void> {
    return Promise.reject(
      new SlipwayError("ROUTER_REFUSED", `Gateway API weighs Services, not pods: cannot set a weight for backend ${name} of ${service}`, { hint: "split traffic by revision (setRevisionWeights)" }),
    );
  }

  setBackendRole(service: string, name: string, role: BackendRole): Promise<void> {
    return this.serially(async () => {
      const state = await this.stateOf(service);
      const pod = this.podNamed(service, name);
      if (pod === undefined) return;
      const revision = pod.instance.revision;
      if (role === "preview" && state.preview !== revision) await this.setPreview(service, state, revision);
      if (role !== "preview" && state.preview === revision) await this.setPreview(service, state, undefined);
    });
  }

  drainBackend(service: string, name: string): Promise<void> {
    return this.serially(async () => {
      await this.started();
      const pod = this.podNamed(service, name);
      if (pod === undefined) return;
      if (pod.serving) await this.setServing(pod, false);
      await this.confirmEndpoint(service, pod, false);
      await this.applyRoute(service, await this.stateOf(service));
    });
  }

  /** On a cluster the pod stays until the runtime deletes it: removing it from the router is draining it. */
  removeBackend(service: string, name: string): Promise<void> {
    return this.drainBackend(service, name);
  }

  setRevisionWeights(service: string, percentages: RevisionPercentages): Promise<void> {
    checkPercentages(service, percentages);
    return this.serially(async () => {
      await this.started();
      const state = await this.stateOf(service);
      const split = orderSplit(state.split, percentages);
      // Confirm before the next step: the gateway only routes to endpoints it knows (all revisions at once).
      await Promise.all(
        split.map(async ([revision]) => {
          await this.ensureRevisionService(service, revision);
          await this.confirmRevisionEndpoints(service, revision);
        }),
      );
      const stable = stableRevision(split);
      if (stable !== undefined) await this.options.cluster.applyOnce(stableServiceObject(this.scope, service, stable, this.portOf(service)));
      // The split counts (listBackends, the controller's observation) only once the gateway took it in.
      await this.applyRoute(service, { ...state, split }, true);
      state.split = split;
    });
  }

  async listBackends(service: string): Promise<RoutedBackend[]> {
    await this.started();
    const state = await this.stateOf(service);
    const pods = this.podsOf(service);
    const routed = pods.filter((p) => p.instance.phase !== "exited" && (p.serving ? p.readiness.ready : true));
    const ready = routed.filter((p) => p.serving);
    const percentages = Object.fromEntries(state.split);
    const weights =
      state.split.length === 0 ? new Map<string, number>() : instanceWeights(service, percentages, ready.map((p) => ({ name: p.instance.name, revision: p.instance.revision })), INSTANCE_WEIGHT_CAP, "tolerate");
    const header = new Set(planRoute(state.split, state.preview, new Set(ready.map((p) => p.instance.revision))).headerRevisions);
    return routed.map((p) => ({
      name: p.instance.name,
      revision: p.instance.revision,
      role: state.preview === p.instance.revision ? "preview" : header.has(p.instance.revision) ? "canary" : "stable",
      address: p.instance.address.host,
      port: p.instance.address.port,
      weight: weights.get(p.instance.name) ?? 0,
      state: p.serving ? "ready" : "draining",
      activeRequests: 0,
    }));
  }

  async revisionStats(service: string): Promise<ServiceStats> {
    const prometheus = this.options.prometheus;
    if (prometheus === undefined) {
      throw new SlipwayError("CONFIG_INVALID", `no Prometheus for the gateway's metrics of ${this.scope.environment}`, { hint: "set the environment's kubernetes.prometheus.address to a Prometheus that scrapes the gateway" });
    }
    const prefix = `${this.scope.namespace}-${service}-`;
    const job = prometheus.job ?? "traefik";
    const [byCode, buckets, started] = await Promise.all([
      queryPrometheus(prometheus.address, `sum by (service, code) (traefik_service_requests_total{service=~"${prefix}.*"})`),
      queryPrometheus(prometheus.address, `sum by (service, le) (traefik_service_request_duration_seconds_bucket{service=~"${prefix}.*"})`),
      queryPrometheus(prometheus.address, `max(process_start_time_seconds{job="${job}"})`),
    ]);
    const revisions: Record<string, RevisionStats> = {};
    const state = await this.stateOf(service);
    const known = new Set([...state.split.map(([r]) => r), ...this.revisionServicesOf(service)]);
    const revisionOf = (sample: Sample): string | undefined => [...known].find((r) => (sample.labels["service"] ?? "").startsWith(`${this.scope.namespace}-${revisionObjectName(service, r)}-`));
    for (const sample of byCode) {
      const revision = revisionOf(sample);
      if (revision === undefined) continue;
      const stats = (revisions[revision] ??= { revision, requests: 0, responses2xx: 0, responses5xx: 0, connectionErrors: 0, retries: 0, avgResponseMs: 0, latency: undefined });
      const code = Number(sample.labels["code"] ?? "0");
      stats.requests += sample.value;
      if (code >= 200 && code < 300) stats.responses2xx += sample.value;
      if (code >= 500) stats.responses5xx += sample.value;
    }
    for (const [revision, histogram] of latencyHistograms(buckets, revisionOf)) {
      const stats = revisions[revision];
      if (stats !== undefined) stats.latencyHistogram = histogram;
    }
    const total = Object.values(revisions).reduce((n, r) => n + r.requests, 0);
    const errors = Object.values(revisions).reduce((n, r) => n + r.responses5xx, 0);
    const since = started[0]?.value;
    return {
      service,
      sampledAt: new Date().toISOString(),
      countersSince: new Date(since === undefined ? 0 : Math.floor(since * 1000)).toISOString(),
      endpoint: { requests: total, responses5xx: errors },
      revisions,
    };
  }

  /** removeService (pod-routing.ts) deleted the route and Services: the next use reads the cluster again. */
  protected forget(service: string): void {
    this.routes.delete(service);
    this.appliedRoutes.delete(service);
    // The revision and stable Services it applied once are forgotten by cluster.remove (applyOnce).
  }

  // ---------------------------------------------------------------- steps

  /** The route's state, read once from the cluster (the annotations on the HTTPRoute); a missing route is applied empty. */
  private async stateOf(service: string): Promise<RouteState> {
    const known = this.routes.get(service);
    if (known !== undefined) return known;
    const route = await this.options.cluster.read<KubernetesObject>({ apiVersion: GATEWAY_API, kind: "HTTPRoute", metadata: { name: service, namespace: this.scope.namespace } });
    const annotations = route?.metadata.annotations ?? {};
    const state: RouteState = { split: parseSplit(annotations[SPLIT_ANNOTATION]), preview: annotations[PREVIEW_ANNOTATION] };
    this.routes.set(service, state);
    if (route === undefined) await this.applyRoute(service, state);
    return state;
  }

  /** Applies the route from the state; with `confirm`, returns once the gateway took this generation in. */
  private async applyRoute(service: string, state: RouteState, confirm = false): Promise<void> {
    const serving = new Set(this.servingPods(service).map((p) => p.instance.revision));
    const plan = planRoute(state.split, state.preview, serving);
    const annotations: Record<string, string> = { [SPLIT_ANNOTATION]: JSON.stringify(state.split), ...(state.preview === undefined ? {} : { [PREVIEW_ANNOTATION]: state.preview }) };
    const object = httpRouteObject(this.scope, { service, port: this.portOf(service), ...routeAttachment(this.options.layout, this.scope, service), weights: plan.weights, headerRevisions: plan.headerRevisions, annotations });
    // A drain or an added pod often leaves the route as it was: no round trip for the same object.
    const text = JSON.stringify(object);
    if (!confirm && this.appliedRoutes.get(service) === text) return;
    this.appliedRoutes.delete(service);
    const applied = await this.options.cluster.apply(object);
    this.appliedRoutes.set(service, text);
    if (!confirm) return;
    const generation = (applied.metadata as { generation?: number }).generation ?? 1;
    const gateway = this.options.layout.name;
    let last = "no answer";
    const taken = await this.options.cluster.watchUntil<KubernetesObject>(
      `/apis/${GATEWAY_API}/namespaces/${this.scope.namespace}/httproutes`,
      { fieldSelector: `metadata.name=${service}` },
      (route) => {
        const verdict = routeTakenIn(route as Parameters<typeof routeTakenIn>[0], gateway, generation);
        last = verdict.detail;
        return verdict.ok;
      },
      this.confirmMs,
    );
    if (taken === undefined) {
      throw new SlipwayError("ROUTER_REFUSED", `Gateway ${gateway} did not take in HTTPRoute ${this.scope.namespace}/${service} generation ${generation} within ${this.confirmMs / 1000} s: ${last}`, {
        retryable: true,
        hint: `kubectl -n ${this.scope.namespace} get httproute ${service} -o yaml (status.parents), and check that the gateway controller runs`,
      });
    }
  }

  /** The pod's serving label, through server-side apply (the ReplicaSet keeps the pod: its selector does not include the label). */
  private async setServing(pod: PodState, serving: boolean): Promise<void> {
    await this.options.cluster.apply(podRoutingObject(this.scope, pod.instance.name, { [labelKeys.serving]: String(serving) }));
  }

  /** Waits until the revision's EndpointSlice lists the pod as ready (in) or no longer does (out). */
  private async confirmEndpoint(service: string, pod: PodState, present: boolean): Promise<void> {
    const ip = pod.instance.address.host;
    if (ip === "") return;
    const serviceName = revisionObjectName(service, pod.instance.revision);
    type Slice = { endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[] };
    const listed = (slice: Slice): boolean => (slice.endpoints ?? []).some((e) => (e.addresses ?? []).includes(ip) && e.conditions?.ready !== false);
    const seen = await this.options.cluster.watchUntil<Slice>(
      `/apis/discovery.k8s.io/v1/namespaces/${this.scope.namespace}/endpointslices`,
      { labelSelector: `kubernetes.io/service-name=${serviceName}` },
      (slice) => listed(slice) === present,
      this.confirmMs,
    );
    if (seen === undefined) {
      throw new SlipwayError("ROUTER_DRAIN_TIMEOUT", `pod ${pod.instance.name} is ${present ? "still not" : "still"} an endpoint of Service ${this.scope.namespace}/${serviceName} after ${this.confirmMs / 1000} s`, { retryable: true });
    }
  }

  /** Waits until the revision's EndpointSlice has a ready endpoint. */
  private async confirmRevisionEndpoints(service: string, revision: string): Promise<void> {
    const serviceName = revisionObjectName(service, revision);
    type Slice = { endpoints?: { conditions?: { ready?: boolean } }[] };
    const seen = await this.options.cluster.watchUntil<Slice>(
      `/apis/discovery.k8s.io/v1/namespaces/${this.scope.namespace}/endpointslices`,
      { labelSelector: `kubernetes.io/service-name=${serviceName}` },
      (slice) => (slice.endpoints ?? []).some((e) => e.conditions?.ready !== false),
      this.confirmMs,
    );
    if (seen === undefined) {
      throw new SlipwayError("ROUTER_REFUSED", `Service ${this.scope.namespace}/${serviceName} has no ready endpoint after ${this.confirmMs / 1000} s: no traffic is moved to revision ${revision}`, { retryable: true });
    }
  }

  private async setPreview(service: string, state: RouteState, revision: string | undefined): Promise<void> {
    const { cluster } = this.options;
    if (revision === undefined) await cluster.remove({ apiVersion: "v1", kind: "Service", metadata: { name: previewServiceName(service), namespace: this.scope.namespace } });
    else await cluster.apply(previewServiceObject(this.scope, service, revision, this.portOf(service)));
    state.preview = revision;
    await this.applyRoute(service, state);
  }

  /** Once per process and revision, shared with the runtime, which applies it with the ReplicaSet. */
  private async ensureRevisionService(service: string, revision: string): Promise<void> {
    await this.options.cluster.applyOnce(revisionServiceObject(this.scope, service, revision, this.portOf(service)));
  }

  private revisionServicesOf(service: string): string[] {
    return this.book.instances({ system: this.scope.system, environment: this.scope.environment, service }).map((i) => i.revision);
  }

  private servingPods(service: string): PodState[] {
    return this.podsOf(service).filter((p) => p.serving && p.readiness.ready);
  }
}
