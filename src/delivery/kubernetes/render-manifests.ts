// A system lock rendered as Kubernetes manifests, per docs/runtime-mapping.md
// (docs/kubernetes.md): per service a Deployment (the revision's pod
// template), a ClusterIP Service and a Gateway API HTTPRoute; one Namespace
// and one Gateway for the system. Pure: `renderManifests` returns the
// objects, in a fixed key order and dependency order, and
// `serializeManifests` writes them as multi-document YAML. Secrets are
// referenced by name (a Secret `<service>-secrets`, keyed by the host
// variable's name); no value is ever read or written.
import { Document } from "yaml";
import { dependencyUrlVariable } from "../../domain/placement.js";
import { SlipwayError } from "../../domain/errors.js";
import type { InstanceTemplate } from "../controller/store-port.js";
import { restoreOrder, type LockedService, type SystemLock } from "../recovery/system-lock.js";

/** The gatewayClassName when none is given: a placeholder to replace with the cluster's class. */
export const DEFAULT_GATEWAY_CLASS = "slipway-gateway-class";
/** Kubernetes' own defaults for a Deployment's rolling update, used when the configuration has none for a service. */
export const DEFAULT_ROLLING = { maxSurge: "25%", maxUnavailable: "25%" } as const;

const NAME = "app.kubernetes.io/name";
const PART_OF = "app.kubernetes.io/part-of";
const VERSION = "app.kubernetes.io/version";
const REVISION = "org.slipway.revision";
const ENVIRONMENT = "org.slipway.environment";

export type IntOrPercent = number | string;

export interface RenderOptions {
  /** Where the system goes: see `resolveNamespace`. */
  namespace: string;
  /** The environment rendered for (its Namespace's label); default: the lock's. */
  environment?: string;
  gatewayClass?: string;
  /** Per service: its Gateway listener's port — the stable endpoint port slipway's router publishes it on in this environment. */
  endpointPorts: Readonly<Record<string, number>>;
  /** Per service: maxSurge and maxUnavailable from its configuration (the lock records only the strategy's kind). */
  rolling?: Readonly<Record<string, { maxSurge: IntOrPercent; maxUnavailable: IntOrPercent }>>;
  /** Ports of dependencies the lock does not carry (from the configuration), for their `<DEPENDENCY>_URL`. */
  servicePorts?: Readonly<Record<string, number>>;
  /** What the lock came from, for the header, e.g. "the lock file prod.lock.json". */
  source?: string;
  /** Why this namespace, for the header, e.g. "--namespace". */
  namespaceSource?: string;
  slipwayVersion?: string;
}

/** One Kubernetes object and the comment written above it. */
export interface Manifest {
  comment?: string;
  object: Record<string, unknown>;
}

export interface RenderedManifests {
  /** Lines of the header comment. */
  header: string[];
  documents: Manifest[];
}

// ------------------------------------------------------------ names

const dns1123Label = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** Service names are stricter: they must start with a letter (RFC 1035). */
const dns1035Label = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const labelValue = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;

function refuse(message: string, hint: string): never {
  throw new SlipwayError("USAGE", message, { hint });
}

function checkName(value: string, what: string, pattern: RegExp, rule: string, hint: string): void {
  if (!pattern.test(value)) refuse(`${what} "${value}" is not a valid Kubernetes name: ${rule}`, hint);
}

const labelRule = "a DNS label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit";

/** The namespace: --namespace, else the environment's `kubernetes.namespace`, else the system's name; refused unless a DNS label. */
export function resolveNamespace(input: { flag?: string | undefined; environment?: string | undefined; system: string }): { namespace: string; from: string } {
  const [namespace, from] = input.flag !== undefined ? [input.flag, "--namespace"] : input.environment !== undefined ? [input.environment, "the environment's kubernetes.namespace"] : [input.system, "the system's name"];
  checkName(namespace, `namespace (${from})`, dns1123Label, labelRule, "pass --namespace <name> with a valid name");
  return { namespace, from };
}

// ------------------------------------------------------------ rendering

export function renderManifests(lock: SystemLock, options: RenderOptions): RenderedManifests {
  const { namespace } = options;
  const system = lock.system;
  checkName(namespace, "namespace", dns1123Label, labelRule, "pass --namespace <name> with a valid name");
  checkName(system, "system", dns1123Label, labelRule, "the system's name becomes the Gateway's name and a label value");
  const environment = options.environment ?? lock.environment;
  if (!labelValue.test(environment)) refuse(`environment "${environment}" is not a valid Kubernetes label value`, "render for an environment named by slipway.yaml");
  if (lock.services.length === 0) refuse(`the lock of ${system} in ${lock.environment} has no service: there is nothing to render`, "deploy the services first, or render another lock");
  const seen = new Set<string>();
  for (const s of lock.services) {
    if (seen.has(s.service)) refuse(`the lock names ${s.service} twice`, "take a new one with `slipway snapshot`");
    seen.add(s.service);
    checkName(s.service, "service", dns1035Label, "Service names are RFC 1035 labels: at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit", "rename the service, or render without it");
    if (!labelValue.test(s.revision)) refuse(`${s.service}'s revision "${s.revision}" is not a valid Kubernetes label value`, "take a new lock with `slipway snapshot`");
    if (s.version !== undefined && !labelValue.test(s.version)) refuse(`${s.service}'s version "${s.version}" is not a valid Kubernetes label value`, "take a new lock with `slipway snapshot`");
  }
  const services = restoreOrder(lock.services);
  const ports = new Map<string, number>([...Object.entries(options.servicePorts ?? {}), ...services.map((s): [string, number] => [s.service, s.template.port])]);

  const documents: Manifest[] = [{ object: namespaceObject(system, environment, namespace) }, { object: gateway(system, namespace, options.gatewayClass ?? DEFAULT_GATEWAY_CLASS, services, options.endpointPorts) }];
  for (const s of services) {
    const { strategy, comment } = strategyOf(s, options.rolling?.[s.service]);
    documents.push({ comment, object: deployment(s, system, namespace, strategy, dependencyEnv(s, namespace, ports)) });
    documents.push({ object: service(s, system, namespace) });
    documents.push({ object: httpRoute(s, system, namespace) });
  }
  return { header: header(lock, environment, options, services), documents };
}

function header(lock: SystemLock, environment: string, options: RenderOptions, services: readonly LockedService[]): string[] {
  const lines = [
    `Kubernetes manifests of system ${lock.system}, environment ${environment}${options.slipwayVersion === undefined ? "" : `, rendered by slipway ${options.slipwayVersion}`}`,
    `from ${options.source ?? "a system lock"}, taken at ${lock.takenAt}`,
    `namespace ${options.namespace}${options.namespaceSource === undefined ? "" : ` (from ${options.namespaceSource})`}; gatewayClassName ${options.gatewayClass ?? DEFAULT_GATEWAY_CLASS}${options.gatewayClass === undefined ? " (a placeholder: pass --gateway-class)" : ""}`,
    "Not validated against a live API server (docs/kubernetes.md). Nothing here is applied.",
    "Secrets are not included and must be created separately, in the namespace, before applying:",
  ];
  const withSecrets = services.filter((s) => Object.keys(s.template.secretEnv).length > 0);
  if (withSecrets.length === 0) lines.push("  (none: no service reads a secret)");
  for (const s of withSecrets) lines.push(`  Secret ${secretName(s.service)}, keys: ${[...new Set(Object.values(s.template.secretEnv))].sort().join(", ")}`);
  const registries = [...new Set(services.map((s) => s.image.split("/")[0] ?? "").filter((host) => /^(127\.|localhost(:|$)|\[::1\])/.test(host)))].sort();
  if (registries.length > 0) lines.push(`Images name the loopback registr${registries.length === 1 ? "y" : "ies"} ${registries.join(", ")}: copy them to one the cluster pulls from (a copy keeps the digest) and edit the image fields.`);
  const names = new Set(services.map((s) => s.service));
  for (const s of services) for (const d of s.dependsOn.filter((d) => !names.has(d))) lines.push(`${s.service} depends on ${d}, which the lock does not carry: its Service must already exist in the namespace.`);
  for (const o of lock.omitted ?? []) lines.push(`Left out when the lock was taken: ${o.service} (${o.reason}).`);
  return lines;
}

function labels(service: string, system: string): Record<string, string> {
  return { [NAME]: service, [PART_OF]: system };
}

function metadata(name: string, namespace: string, labels: Record<string, string>): Record<string, unknown> {
  return { name, namespace, labels };
}

function secretName(service: string): string {
  return `${service}-secrets`;
}

function namespaceObject(system: string, environment: string, namespace: string): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { [PART_OF]: system, [ENVIRONMENT]: environment } } };
}

/** One listener a service, on its endpoint port: hostname-less routes on one listener would all claim "/", and only one would win. */
function gateway(system: string, namespace: string, gatewayClass: string, services: readonly LockedService[], endpointPorts: Readonly<Record<string, number>>): Record<string, unknown> {
  const listeners = services.map((s) => {
    const port = endpointPorts[s.service];
    if (port === undefined) refuse(`no endpoint port for ${s.service}`, "render with the configuration the lock was taken with");
    return { name: s.service, protocol: "HTTP", port, allowedRoutes: { namespaces: { from: "Same" } } };
  });
  const taken = new Map<number, string>();
  for (const l of listeners) {
    const other = taken.get(l.port);
    if (other !== undefined) refuse(`${other} and ${l.name} would share the Gateway listener port ${l.port}`, "give the services distinct endpoint.port values");
    taken.set(l.port, l.name);
  }
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: metadata(system, namespace, { [PART_OF]: system }),
    spec: { gatewayClassName: gatewayClass, listeners },
  };
}

function strategyOf(s: LockedService, rolling: { maxSurge: IntOrPercent; maxUnavailable: IntOrPercent } | undefined): { strategy: Record<string, unknown> | undefined; comment: string } {
  if (s.strategy === "rolling") {
    const { maxSurge, maxUnavailable } = rolling ?? DEFAULT_ROLLING;
    const from = rolling === undefined ? "Kubernetes' defaults (the configuration has no rolling strategy for it)" : "the service's configuration";
    return {
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge, maxUnavailable } },
      comment: `${s.service}: rolling. The lock records only the strategy's kind; maxSurge and maxUnavailable are from ${from}.`,
    };
  }
  const kind = s.strategy === "canary" ? "canary" : "blue-green";
  return {
    strategy: undefined,
    comment: `${s.service}: ${kind}. This Deployment is the stable revision only: progressive delivery on a cluster needs Argo Rollouts or a Gateway controller steering HTTPRoute weights; a plain Deployment replaces its pods with Kubernetes' default RollingUpdate.`,
  };
}

/** `<DEPENDENCY>_URL` → the dependency's Service DNS name; a loopback value (slipway's router on one machine) is replaced, any other value the service set stays. */
function dependencyEnv(s: LockedService, namespace: string, ports: ReadonlyMap<string, number>): Record<string, string> {
  const env = { ...s.template.env };
  for (const dependency of s.dependsOn) {
    const variable = dependencyUrlVariable(dependency);
    const current = env[variable];
    if (current !== undefined && !isLoopbackUrl(current)) continue;
    const port = ports.get(dependency);
    if (port === undefined) refuse(`${s.service} depends on ${dependency}, whose port is unknown`, "render with the configuration the lock was taken with");
    env[variable] = `http://${dependency}.${namespace}.svc.cluster.local:${port}`;
  }
  return env;
}

export function isLoopbackUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i.test(value);
}

function envList(s: LockedService, literal: Record<string, string>): Record<string, unknown>[] {
  const port = String(s.template.port);
  const fieldRef = (label: string) => ({ valueFrom: { fieldRef: { fieldPath: `metadata.labels['${label}']` } } });
  const list: Record<string, unknown>[] = [{ name: "PORT", value: port }, { name: "SLIPWAY_REVISION", ...fieldRef(REVISION) }];
  if (s.version !== undefined) list.push({ name: "SLIPWAY_VERSION", ...fieldRef(VERSION) });
  const reserved = new Set(list.map((e) => e.name));
  for (const [name, value] of sortedEntries(literal)) {
    if (reserved.has(name)) continue;
    reserved.add(name);
    list.push({ name, value });
  }
  for (const [name, hostVariable] of sortedEntries(s.template.secretEnv)) {
    if (!reserved.has(name)) list.push({ name, valueFrom: { secretKeyRef: { name: secretName(s.service), key: hostVariable } } });
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

function resources(template: InstanceTemplate): Record<string, unknown> | undefined {
  const limits: Record<string, string> = {};
  if (template.resources.cpus !== undefined) limits["cpu"] = cpuQuantity(template.resources.cpus);
  if (template.resources.memory !== undefined) limits["memory"] = memoryQuantity(template.resources.memory);
  if (Object.keys(limits).length === 0) return undefined;
  return { limits, requests: { ...limits } };
}

/** The kubelet takes whole seconds: durations are rounded up, and period and timeout are at least 1. */
function readinessProbe(template: InstanceTemplate): Record<string, unknown> {
  const r = template.readiness;
  const handler =
    r.http !== undefined
      ? { httpGet: { path: r.http.path, port: r.http.port ?? template.port } }
      : r.tcp !== undefined
        ? { tcpSocket: { port: r.tcp.port ?? template.port } }
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

function deployment(s: LockedService, system: string, namespace: string, strategy: Record<string, unknown> | undefined, env: Record<string, string>): Record<string, unknown> {
  const selector = labels(s.service, system);
  const podLabels = { ...selector, [REVISION]: s.revision, ...(s.version === undefined ? {} : { [VERSION]: s.version }) };
  const limits = resources(s.template);
  const container = {
    name: s.service,
    image: s.image,
    imagePullPolicy: "IfNotPresent",
    ports: [{ name: "http", containerPort: s.template.port, protocol: "TCP" }],
    env: envList(s, env),
    ...(limits === undefined ? {} : { resources: limits }),
    readinessProbe: readinessProbe(s.template),
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: metadata(s.service, namespace, selector),
    spec: {
      replicas: s.replicas,
      selector: { matchLabels: selector },
      ...(strategy === undefined ? {} : { strategy }),
      template: {
        metadata: { labels: podLabels },
        spec: {
          restartPolicy: "Always",
          terminationGracePeriodSeconds: Math.ceil(s.template.terminationGracePeriodSeconds),
          containers: [container],
        },
      },
    },
  };
}

function service(s: LockedService, system: string, namespace: string): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: metadata(s.service, namespace, labels(s.service, system)),
    spec: { type: "ClusterIP", selector: labels(s.service, system), ports: [{ name: "http", port: s.template.port, targetPort: s.template.port, protocol: "TCP" }] },
  };
}

function httpRoute(s: LockedService, system: string, namespace: string): Record<string, unknown> {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: metadata(s.service, namespace, labels(s.service, system)),
    spec: {
      parentRefs: [{ name: system, sectionName: s.service }],
      rules: [{ backendRefs: [{ name: s.service, port: s.template.port, weight: 100 }] }],
    },
  };
}

// ------------------------------------------------------------ YAML

/**
 * Multi-document YAML, the header as a comment on top. Written with YAML
 * 1.1's rules, which Kubernetes' parser follows: a string such as "on",
 * "yes" or "0755" is quoted so it stays a string there.
 */
export function serializeManifests(rendered: RenderedManifests): string {
  const head = rendered.header.map((line) => `# ${line}`.trimEnd()).join("\n");
  const docs = rendered.documents.map((m) => {
    const doc = new Document(m.object, { version: "1.1", aliasDuplicateObjects: false });
    if (m.comment !== undefined && doc.contents !== null) doc.contents.commentBefore = ` ${m.comment}`;
    return doc.toString({ lineWidth: 0 });
  });
  return `${head}\n---\n${docs.join("---\n")}`;
}
