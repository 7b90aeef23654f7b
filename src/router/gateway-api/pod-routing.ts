// What both Kubernetes routers share (the Gateway API router and the one that
// splits by replicas): the environment's Namespace and Gateway applied once,
// one pod watch feeding a PodBook, the service's pods and ports, and changes
// made one at a time.
import { SlipwayError } from "../../domain/errors.js";
import { type ClusterScope, gatewayListeners, type GatewayLayout, gatewayObject, namespaceObject, podSelector, routeHeader } from "../../domain/kubernetes-objects.js";
import type { KubernetesCluster, PodWatch } from "../../kubernetes/cluster.js";
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
  /** Every service of the system, so the Gateway is applied whole (its listeners are one list). */
  services: readonly RoutedServiceConfig[];
}

export abstract class PodRouting {
  protected readonly book = new PodBook();
  private watch: Promise<PodWatch> | undefined;
  private gatewayApplied: Promise<void> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly base: PodRoutingOptions) {}

  get scope(): ClusterScope {
    return this.base.scope;
  }

  /** Applies the Namespace and the Gateway and starts watching pods; the gateway itself is the cluster's. */
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
   * so nothing routes to it; the ReplicaSets stay as the revision history
   * (rollback and undo reuse them). The state kept for it here is forgotten,
   * so a later deploy reads the cluster afresh and applies the route again.
   */
  removeService(service: string): Promise<void> {
    return this.serially(async () => {
      await this.started();
      this.forget(service);
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
    });
  }

  /** Drops what the router keeps in memory about the service. */
  protected abstract forget(service: string): void;

  /** The namespace (once per cluster client) and Gateway applied and the pod watch listed once, the watch beside the applies (pods of a namespace not there yet list empty). */
  protected async started(): Promise<void> {
    const { cluster, layout, services } = this.base;
    if (this.gatewayApplied === undefined) cluster.discover([{ apiVersion: "v1", kind: "Service" }, ...(layout === undefined ? [] : [{ apiVersion: "gateway.networking.k8s.io/v1", kind: "Gateway" }])]);
    this.gatewayApplied ??= (async () => {
      await cluster.applyOnce(namespaceObject(this.scope));
      if (layout !== undefined) await cluster.apply(gatewayObject(this.scope, layout.name, layout.className, gatewayListeners(layout, services.map((s) => ({ service: s.name, endpointPort: s.endpointPort })))));
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
    const config = this.base.services.find((s) => s.name === service);
    if (config === undefined) throw new SlipwayError("ROUTER_NOT_FOUND", `the ${this.scope.environment} router has no service ${service}`);
    return config.port;
  }

  protected serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
