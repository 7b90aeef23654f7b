// Every Kubernetes object Slipway makes, built in one place (docs/runtime-mapping.md):
// `slipway render kubernetes` writes these objects and the Kubernetes runtime and
// Gateway API router apply the very same ones (server-side apply), so what is
// rendered is what runs. Pure: plain objects in a fixed key order.
//
//   system + environment → Namespace
//   revision             → ReplicaSet <service>-<revision> (pods pinned by digest)
//                          + Service <service>-<revision> (the revision's pods; an HTTPRoute backendRef)
//   service              → Service <service> (the stable revision: in-cluster <SERVICE>_URL)
//                          + Service <service>-preview (blue-green's preview revision)
//                          + HTTPRoute <service> (weights per revision; the canary header rule first)
//   secretEnv            → Secret <service>-secrets, one key per host variable
import type { ReadinessProbe } from "./config-schema.js";
import { dnsLabelName } from "./naming.js";

export const labelKeys = {
  name: "app.kubernetes.io/name",
  instance: "app.kubernetes.io/instance",
  version: "app.kubernetes.io/version",
  component: "app.kubernetes.io/component",
  partOf: "app.kubernetes.io/part-of",
  managedBy: "app.kubernetes.io/managed-by",
  system: "org.slipway.system",
  environment: "org.slipway.environment",
  service: "org.slipway.service",
  revision: "org.slipway.revision",
  /**
   * "true" while the pod may take traffic: the revision's, stable and preview
   * Services select it. The router sets "false" to drain a pod before it is
   * removed (the ReplicaSet's selector does not include it, so it keeps the pod).
   */
  serving: "org.slipway.serving",
  /**
   * Traffic split by replicas (`kubernetes.traffic: replicas`): "true" while
   * the pod's revision has a share, so the stable Service, which selects
   * pods of every revision by this label, sends it requests.
   */
  weighted: "org.slipway.weighted",
} as const;

/** The Gateway API header that sends a request to the canary or preview revision. */
export const CANARY_HEADER = { name: "X-Slipway-Canary", value: "always" } as const;
/** controller.kubernetes.io/pod-deletion-cost: the lowest goes first when a ReplicaSet scales down. */
export const POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";
export const CHEAPEST_DELETION_COST = "-2147483647";

/**
 * What the router applies to a pod it routes: its labels. Not the deletion
 * cost: several pods of a ReplicaSet are often drained at once (a scale-down
 * of a whole revision), and pods sharing the cheapest cost leave the
 * ReplicaSet controller free to delete another than the one the runtime
 * deletes — and to replace it. The runtime marks each pod as it removes it.
 */
export function podRoutingObject(scope: ClusterScope, pod: string, labels: Record<string, string>): KubernetesObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name: pod, namespace: scope.namespace, labels } };
}
export const MANAGED_BY = "slipway";
const GATEWAY_API = "gateway.networking.k8s.io/v1";

export type KubernetesObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

/** Where a system's environment lives on a cluster. */
export interface ClusterScope {
  system: string;
  environment: string;
  namespace: string;
}

/** What one revision's pods are made of. */
export interface PodTemplateInput {
  service: string;
  revision: string;
  version?: string | undefined;
  /** Pinned: registry/repo@sha256:… */
  image: string;
  port: number;
  /** Literal variables (PORT, SLIPWAY_REVISION and SLIPWAY_VERSION are set by Slipway and skipped here). */
  env: Readonly<Record<string, string>>;
  /** Variable → key of the service's Secret (the host variable's name). */
  secretEnv: Readonly<Record<string, string>>;
  resources: { cpus?: number | undefined; memory?: string | undefined };
  readiness: ReadinessProbe;
  terminationGracePeriodSeconds: number;
  /**
   * The CPU the scheduler reserves, as a percent of the limit (the
   * environment's kubernetes.cpuRequestPercent); default 100: requests =
   * limits. Memory requests always equal the limit.
   */
  cpuRequestPercent?: number | undefined;
  /** A Secret of type kubernetes.io/dockerconfigjson the kubelet pulls the image with (the registry's credentials). */
  imagePullSecret?: string | undefined;
  /**
   * Pods start in the weighted stable Service (traffic split by replicas):
   * only for rendered manifests of a settled revision, where no router labels
   * them. The runtime never sets it: the router adds a pod when its revision
   * has a share.
   */
  weighted?: boolean | undefined;
}

export interface WeightedRevision {
  revision: string;
  /** 0–100 (Gateway API takes any non-negative integer; Slipway splits in whole percent). */
  weight: number;
}

export interface HttpRouteInput {
  service: string;
  port: number;
  gateway: { name: string; namespace?: string; sectionName?: string };
  hostnames?: readonly string[];
  /** The weighted rule's backends, one per revision. */
  weights: readonly WeightedRevision[];
  /** Revisions the `X-Slipway-Canary: always` rule goes to (canary or preview); none: no header rule. */
  headerRevisions?: readonly string[];
  annotations?: Readonly<Record<string, string>>;
}

// ------------------------------------------------------------------ names

export function namespaceName(system: string, environment: string): string {
  return dnsLabelName(system, environment);
}

/** The ReplicaSet and the Service of one revision share this name. */
export function revisionObjectName(service: string, revision: string): string {
  return dnsLabelName(service, revision);
}

export function stableServiceName(service: string): string {
  return service;
}

export function previewServiceName(service: string): string {
  return dnsLabelName(service, "preview");
}

/** The environment's registry credentials, as the kubelet reads them to pull images. */
export const PULL_SECRET_NAME = "registry-credentials";

export function secretName(service: string): string {
  return dnsLabelName(service, "secrets");
}

// ------------------------------------------------------------------ labels

function scopeLabels(scope: ClusterScope): Record<string, string> {
  return { [labelKeys.partOf]: scope.system, [labelKeys.managedBy]: MANAGED_BY, [labelKeys.system]: scope.system, [labelKeys.environment]: scope.environment };
}

export function serviceLabels(scope: ClusterScope, service: string): Record<string, string> {
  return { [labelKeys.name]: service, [labelKeys.instance]: dnsLabelName(scope.system, scope.environment, service), ...scopeLabels(scope), [labelKeys.service]: service };
}

/** The pods of one revision: what its ReplicaSet selects. */
export function revisionSelector(service: string, revision: string): Record<string, string> {
  return { [labelKeys.service]: service, [labelKeys.revision]: revision };
}

/** Pods of the revision that take traffic: what its Services select. */
export function servingSelector(service: string, revision: string): Record<string, string> {
  return { ...revisionSelector(service, revision), [labelKeys.serving]: "true" };
}

/** The label selector (as a string) of every pod Slipway runs in an environment, narrowed by service and revision. */
export function podSelector(scope: Pick<ClusterScope, "system" | "environment">, service?: string, revision?: string): string {
  const labels: Record<string, string> = {
    [labelKeys.managedBy]: MANAGED_BY,
    [labelKeys.system]: scope.system,
    [labelKeys.environment]: scope.environment,
    ...(service === undefined ? {} : { [labelKeys.service]: service }),
    ...(revision === undefined ? {} : { [labelKeys.revision]: revision }),
  };
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}

function metadata(name: string, scope: ClusterScope, labels: Record<string, string>, annotations?: Readonly<Record<string, string>>): KubernetesObject["metadata"] {
  return { name, namespace: scope.namespace, labels, ...(annotations === undefined || Object.keys(annotations).length === 0 ? {} : { annotations: { ...annotations } }) };
}

// ------------------------------------------------------------------ objects

export function namespaceObject(scope: ClusterScope): KubernetesObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: scope.namespace, labels: scopeLabels(scope) } };
}

export function replicaSetObject(scope: ClusterScope, template: PodTemplateInput, replicas: number): KubernetesObject {
  const labels = revisionLabels(scope, template);
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: metadata(revisionObjectName(template.service, template.revision), scope, labels),
    spec: {
      replicas,
      selector: { matchLabels: revisionSelector(template.service, template.revision) },
      template: {
        metadata: { labels: { ...labels, [labelKeys.serving]: "true", ...(template.weighted === true ? { [labelKeys.weighted]: "true" } : {}) } },
        spec: podSpec(template),
      },
    },
  };
}

function revisionLabels(scope: ClusterScope, t: PodTemplateInput): Record<string, string> {
  return { ...serviceLabels(scope, t.service), [labelKeys.revision]: t.revision, ...(t.version === undefined ? {} : { [labelKeys.version]: t.version }) };
}

/** The Service of one revision: the backendRef its weight goes to. */
export function revisionServiceObject(scope: ClusterScope, service: string, revision: string, port: number): KubernetesObject {
  return clusterIpService(revisionObjectName(service, revision), scope, { ...serviceLabels(scope, service), [labelKeys.revision]: revision }, servingSelector(service, revision), port);
}

/** `<service>`: the stable revision's serving pods, what other services reach as <SERVICE>_URL inside the cluster. */
export function stableServiceObject(scope: ClusterScope, service: string, revision: string, port: number): KubernetesObject {
  return clusterIpService(stableServiceName(service), scope, { ...serviceLabels(scope, service), [labelKeys.component]: "stable" }, servingSelector(service, revision), port);
}

/**
 * `<service>` when traffic is split by replicas: the serving pods of every
 * revision with a share (label org.slipway.weighted), so requests spread
 * over revisions as their pods count (kube-proxy, or any gateway in front).
 * With `revision`, the one revision that has all the traffic, selected by
 * its revision label (the same pods, as they are all weighted): a switch to
 * another such revision is then one selector change, as Argo's blue-green.
 */
export function weightedServiceObject(scope: ClusterScope, service: string, port: number, annotations?: Readonly<Record<string, string>>, revision?: string): KubernetesObject {
  const selector = revision === undefined ? { [labelKeys.service]: service, [labelKeys.serving]: "true", [labelKeys.weighted]: "true" } : servingSelector(service, revision);
  const object = clusterIpService(stableServiceName(service), scope, { ...serviceLabels(scope, service), [labelKeys.component]: "stable" }, selector, port);
  return annotations === undefined ? object : { ...object, metadata: metadata(stableServiceName(service), scope, object.metadata.labels ?? {}, annotations) };
}

/** `<service>-preview`: the revision blue-green previews before the switch. */
export function previewServiceObject(scope: ClusterScope, service: string, revision: string, port: number): KubernetesObject {
  return clusterIpService(previewServiceName(service), scope, { ...serviceLabels(scope, service), [labelKeys.component]: "preview" }, servingSelector(service, revision), port);
}

function clusterIpService(name: string, scope: ClusterScope, labels: Record<string, string>, selector: Record<string, string>, port: number): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(name, scope, labels),
    spec: { type: "ClusterIP", selector, ports: [{ name: "http", port, targetPort: port, protocol: "TCP" }] },
  };
}

export interface ListenerInput {
  name: string;
  port: number;
  hostname?: string;
}

export function gatewayObject(scope: ClusterScope, name: string, gatewayClassName: string, listeners: readonly ListenerInput[]): KubernetesObject {
  return {
    apiVersion: GATEWAY_API,
    kind: "Gateway",
    metadata: metadata(name, scope, scopeLabels(scope)),
    spec: {
      gatewayClassName,
      listeners: listeners.map((l) => ({ name: l.name, ...(l.hostname === undefined ? {} : { hostname: l.hostname }), protocol: "HTTP", port: l.port, allowedRoutes: { namespaces: { from: "Same" } } })),
    },
  };
}

/**
 * The service's route: first the header rule (`X-Slipway-Canary: always` →
 * canary/preview revisions), then the weighted rule, one backendRef per
 * revision's Service. A revision at weight 0 stays listed, so its Service's
 * endpoints are known to the gateway before it gets traffic.
 */
export function httpRouteObject(scope: ClusterScope, route: HttpRouteInput): KubernetesObject {
  const backendRef = (revision: string, weight?: number) => ({ name: revisionObjectName(route.service, revision), port: route.port, ...(weight === undefined ? {} : { weight }) });
  const headerRule =
    route.headerRevisions === undefined || route.headerRevisions.length === 0
      ? []
      : [{ matches: [{ headers: [{ type: "Exact", name: CANARY_HEADER.name, value: CANARY_HEADER.value }] }], backendRefs: route.headerRevisions.map((r) => backendRef(r, 1)) }];
  return routeObject(scope, route, [...headerRule, { matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: route.weights.map((w) => backendRef(w.revision, w.weight)) }]);
}

/**
 * Traffic split by replicas: the gateway (if any) only lets requests in;
 * the route's one rule sends them all to the stable Service `<service>`,
 * whose pods of both revisions share them. No header rule: the canary has
 * no backend of its own here.
 */
export function serviceRouteObject(scope: ClusterScope, route: Omit<HttpRouteInput, "weights" | "headerRevisions">): KubernetesObject {
  return routeObject(scope, route, [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: stableServiceName(route.service), port: route.port }] }]);
}

/** What names the service's HTTPRoute (to read or delete it). */
export function routeHeader(scope: ClusterScope, service: string): { apiVersion: string; kind: "HTTPRoute"; metadata: { name: string; namespace: string } } {
  return { apiVersion: GATEWAY_API, kind: "HTTPRoute", metadata: { name: service, namespace: scope.namespace } };
}

function routeObject(scope: ClusterScope, route: Omit<HttpRouteInput, "weights" | "headerRevisions">, rules: unknown[]): KubernetesObject {
  const parentRef = { name: route.gateway.name, ...(route.gateway.namespace === undefined ? {} : { namespace: route.gateway.namespace }), ...(route.gateway.sectionName === undefined ? {} : { sectionName: route.gateway.sectionName }) };
  return {
    apiVersion: GATEWAY_API,
    kind: "HTTPRoute",
    metadata: metadata(route.service, scope, serviceLabels(scope, route.service), route.annotations),
    spec: {
      parentRefs: [parentRef],
      ...(route.hostnames === undefined || route.hostnames.length === 0 ? {} : { hostnames: [...route.hostnames] }),
      rules,
    },
  };
}

/** The service's secrets, keyed by host variable name; values only ever come from the host's environment. */
export function secretObject(scope: ClusterScope, service: string, data: Readonly<Record<string, string>>): KubernetesObject {
  return { apiVersion: "v1", kind: "Secret", metadata: metadata(secretName(service), scope, serviceLabels(scope, service)), type: "Opaque", stringData: { ...data } };
}

export interface RegistryCredentials {
  /** host:port, as image references name the registry. */
  server: string;
  username: string;
  password: string;
}

/** The registry's credentials as a kubernetes.io/dockerconfigjson Secret; the values only ever come from the host's environment. */
export function pullSecretObject(scope: ClusterScope, credentials: RegistryCredentials): KubernetesObject {
  const { server, username, password } = credentials;
  const auth = btoa(String.fromCharCode(...new TextEncoder().encode(`${username}:${password}`)));
  const config = { auths: { [server]: { username, password, auth } } };
  return { apiVersion: "v1", kind: "Secret", metadata: metadata(PULL_SECRET_NAME, scope, scopeLabels(scope)), type: "kubernetes.io/dockerconfigjson", stringData: { ".dockerconfigjson": JSON.stringify(config) } };
}

// ------------------------------------------------------------------ pod template

/** Set by Slipway for every instance; a literal of the same name is skipped. */
const RESERVED_ENV = ["PORT", "SLIPWAY_REVISION", "SLIPWAY_VERSION"];

function podSpec(t: PodTemplateInput): Record<string, unknown> {
  const grace = Math.ceil(t.terminationGracePeriodSeconds);
  const pause = preStopSeconds(grace);
  const limits = resources(t);
  return {
    restartPolicy: "Always",
    terminationGracePeriodSeconds: grace,
    enableServiceLinks: false,
    ...(t.imagePullSecret === undefined ? {} : { imagePullSecrets: [{ name: t.imagePullSecret }] }),
    containers: [
      {
        name: t.service,
        image: t.image,
        imagePullPolicy: "IfNotPresent",
        ports: [{ name: "http", containerPort: t.port, protocol: "TCP" }],
        env: envList(t),
        ...(limits === undefined ? {} : { resources: limits }),
        readinessProbe: readinessProbe(t),
        ...(pause === 0 ? {} : { lifecycle: { preStop: { sleep: { seconds: pause } } } }),
      },
    ],
  };
}

/**
 * The pause before SIGTERM: endpoint removal and SIGTERM race on a cluster, so
 * the pod keeps serving a moment while gateways drop it (at most 2 s, and
 * never more than half the grace period, which the pause counts against).
 */
export function preStopSeconds(graceSeconds: number): number {
  return Math.min(2, Math.floor(graceSeconds / 2));
}

function envList(t: PodTemplateInput): Record<string, unknown>[] {
  const fieldRef = (label: string) => ({ valueFrom: { fieldRef: { fieldPath: `metadata.labels['${label}']` } } });
  const list: Record<string, unknown>[] = [{ name: "PORT", value: String(t.port) }, { name: "SLIPWAY_REVISION", ...fieldRef(labelKeys.revision) }];
  if (t.version !== undefined) list.push({ name: "SLIPWAY_VERSION", ...fieldRef(labelKeys.version) });
  const taken = new Set(RESERVED_ENV);
  for (const [name, value] of sortedEntries(t.env)) {
    if (taken.has(name) || t.secretEnv[name] !== undefined) continue;
    taken.add(name);
    list.push({ name, value });
  }
  for (const [name, key] of sortedEntries(t.secretEnv)) {
    if (!taken.has(name)) list.push({ name, valueFrom: { secretKeyRef: { name: secretName(t.service), key } } });
  }
  return list;
}

function sortedEntries(record: Readonly<Record<string, string>>): [string, string][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Kubernetes quantities: 0.5 CPUs → "500m"; memory as written, but the decimal kilo is "k" (Slipway also accepts "K"). */
export function cpuQuantity(cpus: number): string {
  return `${Math.max(1, Math.round(cpus * 1000))}m`;
}

export function memoryQuantity(memory: string): string {
  return memory.endsWith("K") ? `${memory.slice(0, -1)}k` : memory;
}

/**
 * Requests = limits (Guaranteed QoS), as on Docker where there is no
 * scheduler; with cpuRequestPercent below 100 the CPU request is that share of
 * the limit (at least 1m), so a small node can schedule the system (Burstable).
 */
function resources(t: PodTemplateInput): Record<string, unknown> | undefined {
  const limits: Record<string, string> = {};
  if (t.resources.cpus !== undefined) limits["cpu"] = cpuQuantity(t.resources.cpus);
  if (t.resources.memory !== undefined) limits["memory"] = memoryQuantity(t.resources.memory);
  if (Object.keys(limits).length === 0) return undefined;
  const percent = t.cpuRequestPercent ?? 100;
  const requests = { ...limits };
  if (t.resources.cpus !== undefined && percent < 100) requests["cpu"] = `${Math.max(1, Math.ceil((t.resources.cpus * 1000 * percent) / 100))}m`;
  return { limits, requests };
}

/** The kubelet takes whole seconds: durations are rounded up, and period and timeout are at least 1. */
function readinessProbe(t: PodTemplateInput): Record<string, unknown> {
  const r = t.readiness;
  const handler =
    r.http !== undefined
      ? { httpGet: { path: r.http.path, port: r.http.port ?? t.port } }
      : r.tcp !== undefined
        ? { tcpSocket: { port: r.tcp.port ?? t.port } }
        : { exec: { command: [...(r.exec?.command ?? [])] } };
  return {
    ...handler,
    initialDelaySeconds: Math.ceil(r.initialDelaySeconds),
    periodSeconds: Math.max(1, Math.ceil(r.periodSeconds)),
    timeoutSeconds: Math.max(1, Math.ceil(r.timeoutSeconds)),
    successThreshold: r.successThreshold,
    failureThreshold: r.failureThreshold,
  };
}

// ------------------------------------------------------------------ gateway layout

/**
 * How services sit on the environment's Gateway. Without `sharedPort`, one
 * listener a service on its endpoint port (as slipway's router publishes it
 * on one machine). With it, one listener on that port for all, and each
 * HTTPRoute matches its own hostname `<service>.<hostnameSuffix>` — for
 * gateways (like Traefik) whose listener ports must be entry points they
 * were started with.
 */
export interface GatewayLayout {
  name: string;
  className: string;
  sharedPort?: number | undefined;
  /** Default: the namespace. */
  hostnameSuffix?: string | undefined;
}

export interface RouteAttachment {
  gateway: { name: string; sectionName: string };
  hostnames?: string[];
}

export const SHARED_LISTENER = "http";

export function gatewayListeners(layout: GatewayLayout, services: readonly { service: string; endpointPort: number }[]): ListenerInput[] {
  if (layout.sharedPort !== undefined) return [{ name: SHARED_LISTENER, port: layout.sharedPort }];
  return services.map((s) => ({ name: s.service, port: s.endpointPort }));
}

/**
 * One service's part of the Gateway: its own listener only, which the router
 * applies with the service (under a field manager of the service's own, so
 * listeners come and go one service at a time and the others stay). None
 * with a shared listener: that one is the environment's (sharedGateway).
 * The rendered Gateway is the union of every service's part.
 */
export function serviceGatewayObject(scope: ClusterScope, layout: GatewayLayout, service: { service: string; endpointPort: number }): KubernetesObject | undefined {
  if (layout.sharedPort !== undefined) return undefined;
  return gatewayObject(scope, layout.name, layout.className, gatewayListeners(layout, [service]));
}

/** The Gateway with one shared listener, the environment's, applied whatever is deployed; none when each service has its own listener. */
export function sharedGatewayObject(scope: ClusterScope, layout: GatewayLayout): KubernetesObject | undefined {
  if (layout.sharedPort === undefined) return undefined;
  return gatewayObject(scope, layout.name, layout.className, gatewayListeners(layout, []));
}

/** What names the environment's Gateway (to read, replace or delete it). */
export function gatewayHeader(scope: ClusterScope, layout: GatewayLayout): { apiVersion: string; kind: "Gateway"; metadata: { name: string; namespace: string } } {
  return { apiVersion: GATEWAY_API, kind: "Gateway", metadata: { name: layout.name, namespace: scope.namespace } };
}

/**
 * The Gateway as read, without the service's own listener: the same object
 * with the other listeners, or "delete" when it was the last (a Gateway has
 * at least one listener, and nothing is left for it to serve). Undefined
 * when there is nothing to take away: no such listener, or a shared one.
 */
export function gatewayWithoutListener(gateway: KubernetesObject, layout: GatewayLayout, service: string): KubernetesObject | "delete" | undefined {
  if (layout.sharedPort !== undefined) return undefined;
  const spec = (gateway["spec"] ?? {}) as { listeners?: { name?: string }[] };
  const listeners = spec.listeners ?? [];
  const rest = listeners.filter((l) => l.name !== service);
  if (rest.length === listeners.length) return undefined;
  if (rest.length === 0) return "delete";
  return { ...gateway, spec: { ...spec, listeners: rest } };
}

export function routeAttachment(layout: GatewayLayout, scope: ClusterScope, service: string): RouteAttachment {
  if (layout.sharedPort === undefined) return { gateway: { name: layout.name, sectionName: service } };
  return { gateway: { name: layout.name, sectionName: SHARED_LISTENER }, hostnames: [serviceHostname(layout, scope, service)] };
}

/** The Host a client sends to reach a service on a shared listener. */
export function serviceHostname(layout: GatewayLayout, scope: ClusterScope, service: string): string {
  return `${service}.${layout.hostnameSuffix ?? scope.namespace}`;
}

/** `<DEPENDENCY>_URL` inside the cluster: the dependency's stable Service. */
export function clusterServiceUrl(scope: ClusterScope, service: string, port: number): string {
  return `http://${stableServiceName(service)}.${scope.namespace}.svc.cluster.local:${port}`;
}

/** A revision's own Service inside the cluster: what an analysis job tests. */
export function revisionServiceUrl(scope: ClusterScope, service: string, revision: string, port: number): string {
  return `http://${revisionObjectName(service, revision)}.${scope.namespace}.svc.cluster.local:${port}`;
}

// ------------------------------------------------------------------ analysis jobs

export interface AnalysisJobInput {
  /** The Job's name (a DNS label, unique per measurement). */
  name: string;
  service: string;
  metric: string;
  revision: string;
  image: string;
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  /** The kubelet stops the job's pod after this long (activeDeadlineSeconds). */
  deadlineSeconds: number;
}

/**
 * A job analysis as a Kubernetes Job: one pod, never retried (the analysis
 * run counts failures itself), stopped by the kubelet at its deadline. Slipway deletes it
 * after reading the result; ttlSecondsAfterFinished removes it anyway if
 * slipway died before that.
 */
export function analysisJobObject(scope: ClusterScope, job: AnalysisJobInput): KubernetesObject {
  // Not the service's org.slipway.service/revision labels: its pods are no instances of the revision (pod-state.ts).
  const labels = { [labelKeys.name]: job.service, [labelKeys.instance]: dnsLabelName(scope.system, scope.environment, job.service), ...scopeLabels(scope), [labelKeys.component]: ANALYSIS_JOB_COMPONENT };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: metadata(job.name, scope, labels, { "org.slipway.metric": job.metric, [labelKeys.revision]: job.revision }),
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: ANALYSIS_JOB_TTL_SECONDS,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          // On the pod, not the Job: the kubelet then stops it and marks it Failed (DeadlineExceeded) instead of the Job controller deleting it.
          activeDeadlineSeconds: Math.max(1, Math.ceil(job.deadlineSeconds)),
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 5,
          containers: [{ name: "job", image: job.image, imagePullPolicy: "IfNotPresent", command: [...job.command], env: sortedEntries(job.env).map(([name, value]) => ({ name, value })) }],
        },
      },
    },
  };
}

export const ANALYSIS_JOB_TTL_SECONDS = 600;
export const ANALYSIS_JOB_COMPONENT = "analysis-job";
