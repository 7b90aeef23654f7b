// What both Kubernetes routers share (the Gateway API router and the one that
// splits by replicas): the environment's Namespace (and a shared Gateway
// listener) applied once, each service's own Gateway listener applied with
// the service and removed with it, one pod watch feeding a PodBook, the
// service's pods and ports, and changes made one at a time.
import { SlipwayError } from "../../domain/errors.js";
import {
  type ClusterScope,
  gatewayHeader,
  type GatewayLayout,
  gatewayWithoutListener,
  type KubernetesObject,
  MANAGED_BY,
  namespaceObject,
  podSelector,
  routeHeader,
  serviceGatewayObject,
  sharedGatewayObject,
} from "../../domain/kubernetes-objects.js";
import { type KubernetesCluster, type PodWatch, statusOf } from "../../kubernetes/cluster.js";
import { PodBook } from "../../runtime/kubernetes/pod-book.js";
import type { PodState } from "../../runtime/kubernetes/pod-state.js";

export interface RoutedServiceConfig {
  name: string;
  /** The service's port: its Services' port and targetPort. */
  port: number;
  endpointPort: number;
}

export interface PodRoutingOptions {
  cluster: KubernetesCluster;
  scope: ClusterScope;
  /** Without a layout no Gateway is applied (traffic split by replicas, reached through the Service). */
  layout?: GatewayLayout | undefined;
  /** Every service of the system: its port, and its Gateway listener's port. */
  services: readonly RoutedServiceConfig[];
}

/**
 * The field manager of a service's own Gateway listener. The listeners are
 * one list (keyed by name), shared by every service: each service applies
 * its part under its own manager, so an apply of one never drops another's.
 */
function listenerFieldManager(service: string): string {
  return `${MANAGED_BY}/${service}`;
}

/** Tries of removing a listener when the Gateway keeps changing under it (another process adding its own). */
const GATEWAY_CONFLICT_TRIES = 5;

export abstract class PodRouting {
  protected readonly book = new PodBook();
  private watch: Promise<PodWatch> | undefined;
  private gatewayApplied: Promise<void> | undefined;
  /** Services whose own listener this process applied (once each). */
  private readonly listeners = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly base: PodRoutingOptions) {}

  get scope(): ClusterScope {
    return this.base.scope;
  }

  /** Applies the Namespace (and a shared Gateway listener) and starts watching pods; the gateway itself is the cluster's. */
  start(): Promise<void> {
    return this.started();
  }

  /** Finishes what is under way; the pod watch stops with the cluster client (KubernetesCluster.close). */
  async close(): Promise<void> {
    await this.queue.catch(() => undefined);
  }

  /**
   * After an undeploy: the HTTPRoute `<service>` (with a gateway), then every
   * Service labelled with the service — stable, preview, each revision's —
   * then the service's own Gateway listener, so nothing routes to it; the
   * ReplicaSets stay as the revision history (rollback and undo reuse them).
   * The state kept for it here is forgotten, so a later deploy reads the
   * cluster afresh and applies the listener and the route again.
   */
  removeService(service: string): Promise<void> {
    return this.serially(async () => {
      await this.started();
      this.forget(service);
      this.listeners.delete(service);
      const { cluster, layout } = this.base;
      const namespace = this.scope.namespace;
      if (layout !== undefined) await cluster.remove(routeHeader(this.scope, service));
      const services = await cluster.core.listNamespacedService({ namespace, labelSelector: podSelector(this.scope, service) }).catch((err: unknown) => {
        throw cluster.failure(`list the Services of ${service} in namespace ${namespace}`, err);
      });
      for (const s of services.items) {
        const name = s.metadata?.name;
        if (name !== undefined) await cluster.remove({ apiVersion: "v1", kind: "Service", metadata: { name, namespace } });
      }
      if (layout !== undefined) await this.removeListener(layout, service);
    });
  }

  /** The service's own Gateway listener, applied once per process (before its route, which attaches to it); nothing with a shared listener. */
  protected async ensureListener(service: string): Promise<void> {
    const { cluster, layout } = this.base;
    if (layout === undefined || this.listeners.has(service)) return;
    const gateway = serviceGatewayObject(this.scope, layout, { service, endpointPort: this.configOf(service).endpointPort });
    if (gateway !== undefined) await cluster.apply(gateway, listenerFieldManager(service));
    this.listeners.add(service);
  }

  /**
   * Takes the service's listener out of the Gateway by an update of the
   * Gateway as read, not an apply: the listener goes whoever owns it (a
   * Gateway applied whole by an earlier slipway owns every listener as
   * "slipway"), and the read version guards the other listeners against a
   * concurrent change (HTTP 409: read again). The last listener goes with
   * the Gateway (none may be empty); the next deploy applies it again.
   */
  private async removeListener(layout: GatewayLayout, service: string): Promise<void> {
    const { cluster } = this.base;
    const header = gatewayHeader(this.scope, layout);
    for (let attempt = 1; ; attempt++) {
      const gateway = await cluster.read<KubernetesObject & { metadata: { resourceVersion?: string } }>(header);
      const without = gateway === undefined ? undefined : gatewayWithoutListener(gateway, layout, service);
      if (gateway === undefined || without === undefined) return;
      try {
        if (without === "delete") await cluster.remove(header, undefined, gateway.metadata.resourceVersion);
        else await cluster.replace(without);
        return;
      } catch (err) {
        if (statusOf((err as { cause?: unknown }).cause) !== 409 || attempt >= GATEWAY_CONFLICT_TRIES) throw err;
      }
    }
  }

  /** Drops what the router keeps in memory about the service. */
  protected abstract forget(service: string): void;

  /** The namespace (once per cluster client) and a shared Gateway listener applied and the pod watch listed once, the watch beside the applies (pods of a namespace not there yet list empty). */
  protected async started(): Promise<void> {
    const { cluster, layout } = this.base;
    if (this.gatewayApplied === undefined) cluster.discover([{ apiVersion: "v1", kind: "Service" }, ...(layout === undefined ? [] : [{ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway" }])]);
    this.gatewayApplied ??= (async () => {
      await cluster.applyOnce(namespaceObject(this.scope));
      // A shared listener is the environment's; each service's own comes with the service (ensureListener).
      const shared = layout === undefined ? undefined : sharedGatewayObject(this.scope, layout);
      if (shared !== undefined) await cluster.apply(shared);
    })();
    this.watch ??= cluster.pods(this.scope.namespace, podSelector(this.scope)).then((watch) => {
      for (const pod of watch.list()) this.book.apply("add", pod);
      watch.subscribe((event, pod) => this.book.apply(event, pod));
      return watch;
    });
    const [gateway, watch] = await Promise.allSettled([this.gatewayApplied, this.watch]);
    if (gateway.status === "rejected") this.gatewayApplied = undefined;
    if (watch.status === "rejected") this.watch = undefined;
    if (gateway.status === "rejected") throw gateway.reason;
    if (watch.status === "rejected") throw watch.reason;
  }

  /** The service's pods as the watch last showed them, oldest first. */
  protected podsOf(service: string): PodState[] {
    return this.book.instances({ system: this.scope.system, environment: this.scope.environment, service }).map((i) => this.book.state(i.id) as PodState);
  }

  protected podNamed(service: string, name: string): PodState | undefined {
    return this.podsOf(service).find((p) => p.instance.name === name);
  }

  protected portOf(service: string): number {
    return this.configOf(service).port;
  }

  private configOf(service: string): RoutedServiceConfig {
    const config = this.base.services.find((s) => s.name === service);
    if (config === undefined) throw new SlipwayError("ROUTER_NOT_FOUND", `the ${this.scope.environment} router has no service ${service}`);
    return config;
  }

  protected serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
