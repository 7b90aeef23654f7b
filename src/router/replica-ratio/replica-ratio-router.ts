// The traffic-router port on a Kubernetes cluster without Gateway API
// weights (`kubernetes.traffic: replicas`, ADR 26): the seed's coarse method.
// One Service `<service>` selects the serving pods of every revision that has
// a share (label org.slipway.weighted), so requests spread over revisions as
// their pods count — kube-proxy picks an endpoint at random, a gateway or
// ingress in front balances over the same endpoints. The split is therefore
// only which revisions serve; how much each takes is its replica count, which
// the canary planner sizes (Observed.splitByReplicas). A gateway, when the
// environment names one, only lets requests in: its HTTPRoute has one rule,
// to `<service>`.
//
// What this mode cannot do, by construction: weigh requests other than by
// pods (setBackendWeight is refused, weights are whole-pod ratios), send
// `X-Slipway-Canary: always` to the canary (no per-revision backend in the
// route), and report per-revision metrics (the gateway sees one backend):
// revisionStats is refused, and validate refuses router metrics here.
//
// While one revision has all the traffic the Service selects it by its
// revision label instead (the same pods: all of them are weighted), so a
// switch to another such revision — blue-green's promotion, a rollback — is
// one selector change, atomic as Argo's blue-green: the new revision's pods
// are weighted first, unselected, and the old ones leave in the same
// EndpointSlice update the new ones join.
//
// Confirm before the next step, as the Gateway API router does: a change
// returns once the stable Service's EndpointSlice shows it. The split is kept
// on the Service (annotation org.slipway.split), so another process reads it.
import { SlipwayError } from "../../domain/errors.js";
import {
  type KubernetesObject,
  labelKeys,
  podRoutingObject,
  previewServiceName,
  previewServiceObject,
  routeAttachment,
  serviceRouteObject,
  stableServiceName,
  weightedServiceObject,
} from "../../domain/kubernetes-objects.js";
import type { PodState } from "../../runtime/kubernetes/pod-state.js";
import { PodRouting, type PodRoutingOptions } from "../gateway-api/pod-routing.js";
import { type OrderedSplit, orderSplit, parseSplit, PREVIEW_ANNOTATION, SPLIT_ANNOTATION } from "../gateway-api/route-plan.js";
import { checkPercentages, instanceWeights } from "../revision-weights.js";
import type { BackendRole, BackendSpec, RevisionPercentages, RoutedBackend, ServiceEndpoint, ServiceStats, TrafficRouter } from "../types.js";

/** How long the EndpointSlice controller may take to confirm a change. */
const CONFIRM_MS = 15_000;
const INSTANCE_WEIGHT_CAP = 256;

export interface ReplicaRatioRouterOptions extends PodRoutingOptions {
  confirmTimeoutMs?: number;
}

interface SplitState {
  split: OrderedSplit;
  preview: string | undefined;
}

type Slice = { endpoints?: { addresses?: string[]; conditions?: { ready?: boolean } }[] };

export class ReplicaRatioRouter extends PodRouting implements TrafficRouter {
  readonly splitsBy = "replicas" as const;
  private readonly confirmMs: number;

  constructor(private readonly options: ReplicaRatioRouterOptions) {
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
      const revision = pod.instance.revision;
      // Before any split nothing else serves: the first revision's pods go in at once.
      const weighted = state.split.length === 0 || state.split.some(([r]) => r === revision);
      await this.label(pod, true, weighted);
      if (backend.role === "preview" && state.preview !== revision) await this.setPreview(service, state, revision);
      if (weighted) await this.confirmInService(service, [pod], true);
    });
  }

  setBackendWeight(service: string, name: string): Promise<void> {
    return Promise.reject(
      new SlipwayError("ROUTER_REFUSED", `traffic split by replicas weighs pods equally: cannot set a weight for backend ${name} of ${service}`, {
        hint: "scale the revisions instead (a canary's setWeight does), or use a Gateway API implementation (kubernetes.traffic: gateway)",
      }),
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
      if (pod.serving) await this.label(pod, false, pod.weighted);
      await this.confirmInService(service, [pod], false);
    });
  }

  removeBackend(service: string, name: string): Promise<void> {
    return this.drainBackend(service, name);
  }

  /**
   * The revisions with a share join the Service before those without leave
   * it (make before break); returns once the EndpointSlice shows both. From
   * one revision with all the traffic to another, the Service's selector
   * moves from one to the other in one update instead (an atomic switch).
   * The percentages are kept as asked: the pods' count is what makes them true.
   */
  setRevisionWeights(service: string, percentages: RevisionPercentages): Promise<void> {
    checkPercentages(service, percentages);
    return this.serially(async () => {
      await this.started();
      const state = await this.stateOf(service);
      const split = orderSplit(state.split, percentages);
      const sharing = new Set(split.map(([r]) => r));
      const pods = this.podsOf(service).filter((p) => p.serving);
      const joining = pods.filter((p) => sharing.has(p.instance.revision));
      const leaving = pods.filter((p) => !sharing.has(p.instance.revision));
      const ready = [...sharing].map((revision) => {
        const of = joining.filter((p) => p.instance.revision === revision && p.readiness.ready);
        if (of.length === 0) throw new SlipwayError("ROUTER_REFUSED", `revision ${revision} of ${service} has no ready pod: no traffic is moved to it`, { retryable: true });
        return of;
      });
      const from = soleRevision(state.split);
      const to = soleRevision(split);
      // While the selector names one revision the others' labels do not count: the leavers lose theirs first, so
      // none left weighted by a process killed mid-switch is selected when the Service selects by label again.
      const early = from === undefined ? [] : leaving.filter((p) => p.weighted && p.instance.revision !== from);
      for (const pod of early) await this.label(pod, true, false);
      const unweigh = leaving.filter((p) => p.weighted && !early.includes(p));
      // Weighted while the selector still names another revision (or already names them): not yet in the Service.
      for (const pod of joining) if (!pod.weighted) await this.label(pod, true, true);
      if (from !== undefined && to !== undefined && from !== to) {
        await this.applyService(service, { ...state, split });
        state.split = split;
        await this.confirmInService(service, ready.flat(), true);
        await this.confirmInService(service, leaving, false);
        for (const pod of unweigh) await this.label(pod, true, false);
        return;
      }
      // Out of a single-revision selector before confirming: the weighted pods of every revision with a share join.
      if (from !== undefined && to !== from) await this.applyService(service, { ...state, split });
      for (const pods of ready) await this.confirmInService(service, pods, true);
      for (const pod of unweigh) await this.label(pod, true, false);
      await this.confirmInService(service, leaving, false);
      await this.applyService(service, { ...state, split });
      state.split = split;
    });
  }

  async listBackends(service: string): Promise<RoutedBackend[]> {
    await this.started();
    const state = await this.stateOf(service);
    const routed = this.podsOf(service).filter((p) => p.instance.phase !== "exited" && (p.serving ? p.readiness.ready : true));
    const ready = routed.filter((p) => p.serving);
    const weights =
      state.split.length === 0
        ? new Map<string, number>()
        : instanceWeights(service, Object.fromEntries(state.split), ready.map((p) => ({ name: p.instance.name, revision: p.instance.revision })), INSTANCE_WEIGHT_CAP, "tolerate");
    return routed.map((p) => ({
      name: p.instance.name,
      revision: p.instance.revision,
      // No header rule in this mode: a newcomer is a canary only by its share of pods.
      role: state.preview === p.instance.revision ? "preview" : "stable",
      address: p.instance.address.host,
      port: p.instance.address.port,
      weight: weights.get(p.instance.name) ?? 0,
      state: p.serving ? "ready" : "draining",
      activeRequests: 0,
    }));
  }

  revisionStats(service: string): Promise<ServiceStats> {
    return Promise.reject(
      new SlipwayError("ROUTER_REFUSED", `${service} in ${this.scope.environment} splits traffic by replicas behind one Service: there are no per-revision router metrics`, {
        hint: "measure the canary with a prometheus metric by pod label ({{revision}}), a web or a job metric, or use a Gateway API implementation (kubernetes.traffic: gateway)",
      }),
    );
  }

  /** removeService (pod-routing.ts) deleted the Service and route: the next use applies them again (nothing is kept in memory). */
  protected forget(_service: string): void {}

  // ---------------------------------------------------------------- steps

  /**
   * The split as the Service's annotations keep it, read at every call: another process may have changed it
   * since (a rollback while a detached scale-down runs, which otherwise saw the old split and kept the revision
   * rolled back from as carrying traffic). A missing Service (and route) is applied empty.
   */
  private async stateOf(service: string): Promise<SplitState> {
    const object = await this.options.cluster.read<KubernetesObject>({ apiVersion: "v1", kind: "Service", metadata: { name: stableServiceName(service), namespace: this.scope.namespace } });
    const annotations = object?.metadata.annotations ?? {};
    const state: SplitState = { split: parseSplit(annotations[SPLIT_ANNOTATION]), preview: annotations[PREVIEW_ANNOTATION] };
    // A Service whose selector is not its split's (made before single-revision selectors) is brought in line: the same pods either way.
    if (object === undefined || annotations[SPLIT_ANNOTATION] === undefined || !sameSelector(object, this.serviceObject(service, state))) await this.applyService(service, state);
    return state;
  }

  private serviceObject(service: string, state: SplitState): KubernetesObject {
    const annotations: Record<string, string> = { [SPLIT_ANNOTATION]: JSON.stringify(state.split), ...(state.preview === undefined ? {} : { [PREVIEW_ANNOTATION]: state.preview }) };
    return weightedServiceObject(this.scope, service, this.portOf(service), annotations, soleRevision(state.split));
  }

  private async applyService(service: string, state: SplitState): Promise<void> {
    const { cluster, layout } = this.options;
    await cluster.apply(this.serviceObject(service, state));
    if (layout !== undefined) await cluster.apply(serviceRouteObject(this.scope, { service, port: this.portOf(service), ...routeAttachment(layout, this.scope, service) }));
  }

  private async label(pod: PodState, serving: boolean, weighted: boolean): Promise<void> {
    await this.options.cluster.apply(podRoutingObject(this.scope, pod.instance.name, { [labelKeys.serving]: String(serving), [labelKeys.weighted]: String(weighted) }));
  }

  /** Waits until the stable Service's EndpointSlice lists every one of these pods as ready (in) or none of them (out). */
  private async confirmInService(service: string, pods: readonly PodState[], present: boolean): Promise<void> {
    const ips = pods.map((p) => p.instance.address.host).filter((ip) => ip !== "");
    if (ips.length === 0) return;
    const listed = (slice: Slice, ip: string): boolean => (slice.endpoints ?? []).some((e) => (e.addresses ?? []).includes(ip) && e.conditions?.ready !== false);
    const name = stableServiceName(service);
    const seen = await this.options.cluster.watchUntil<Slice>(
      `/apis/discovery.k8s.io/v1/namespaces/${this.scope.namespace}/endpointslices`,
      { labelSelector: `kubernetes.io/service-name=${name}` },
      (slice) => ips.every((ip) => listed(slice, ip) === present),
      this.confirmMs,
    );
    if (seen === undefined) {
      throw new SlipwayError("ROUTER_DRAIN_TIMEOUT", `pods ${pods.map((p) => p.instance.name).join(", ")} are ${present ? "still not" : "still"} endpoints of Service ${this.scope.namespace}/${name} after ${this.confirmMs / 1000} s`, { retryable: true });
    }
  }

  private async setPreview(service: string, state: SplitState, revision: string | undefined): Promise<void> {
    const { cluster } = this.options;
    if (revision === undefined) await cluster.remove({ apiVersion: "v1", kind: "Service", metadata: { name: previewServiceName(service), namespace: this.scope.namespace } });
    else await cluster.apply(previewServiceObject(this.scope, service, revision, this.portOf(service)));
    state.preview = revision;
    await this.applyService(service, state);
  }
}

/** The one revision with all the traffic, which the Service then selects by its revision label; none while revisions share (or before any split). */
function soleRevision(split: OrderedSplit): string | undefined {
  return split.length === 1 ? split[0]?.[0] : undefined;
}

function sameSelector(a: KubernetesObject, b: KubernetesObject): boolean {
  const sorted = (o: KubernetesObject): string => JSON.stringify(Object.entries((o["spec"] as { selector?: Record<string, string> } | undefined)?.selector ?? {}).sort(([x], [y]) => x.localeCompare(y)));
  return sorted(a) === sorted(b);
}
