// A system lock rendered as Kubernetes manifests, per docs/runtime-mapping.md
// (docs/kubernetes.md): exactly the objects slipway's Kubernetes runtime and
// Gateway API router apply once a rollout has settled, built by the same
// functions (domain/kubernetes-objects.ts): one Namespace and one Gateway;
// per service its revision's ReplicaSet and Service, the stable Service and an
// HTTPRoute with all weight on the revision. Pure: `renderManifests` returns
// the objects, in a fixed key order and dependency order, and
// `serializeManifests` writes them as multi-document YAML. Secrets are
// referenced by name (a Secret `<service>-secrets`, keyed by the host
// variable's name); no value is ever read or written.
import { Document } from "yaml";
import { dependencyUrlVariable } from "../../domain/placement.js";
import { SlipwayError } from "../../domain/errors.js";
import {
  clusterServiceUrl,
  type ClusterScope,
  gatewayListeners,
  type GatewayLayout,
  gatewayObject,
  httpRouteObject,
  type KubernetesObject,
  namespaceName,
  namespaceObject,
  type PodTemplateInput,
  PULL_SECRET_NAME,
  replicaSetObject,
  revisionServiceObject,
  routeAttachment,
  secretName,
  serviceRouteObject,
  stableServiceObject,
  weightedServiceObject,
} from "../../domain/kubernetes-objects.js";
import { restoreOrder, type LockedService, type SystemLock } from "../recovery/system-lock.js";

export { cpuQuantity, memoryQuantity } from "../../domain/kubernetes-objects.js";

/** The gatewayClassName when none is given: a placeholder to replace with the cluster's class. */
export const DEFAULT_GATEWAY_CLASS = "slipway-gateway-class";

export interface RenderOptions {
  /** Where the system goes: see `resolveNamespace`. */
  namespace: string;
  /** The environment rendered for (its Namespace's label); default: the lock's. */
  environment?: string;
  gatewayClass?: string;
  /** One Gateway listener on this port for every service, each route matching `<service>.<hostnameSuffix>` (the environment's kubernetes.gateway.port). */
  sharedPort?: number;
  hostnameSuffix?: string;
  /** Per service: its Gateway listener's port — the stable endpoint port slipway's router publishes it on in this environment. */
  endpointPorts: Readonly<Record<string, number>>;
  /** The environment's kubernetes.cpuRequestPercent. */
  cpuRequestPercent?: number;
  /** Ports of dependencies the lock does not carry (from the configuration), for their `<DEPENDENCY>_URL`. */
  servicePorts?: Readonly<Record<string, number>>;
  /** What the lock came from, for the header, e.g. "the lock file prod.lock.json". */
  source?: string;
  /** Why this namespace, for the header, e.g. "--namespace". */
  namespaceSource?: string;
  slipwayVersion?: string;
  /**
   * The environment's kubernetes.traffic: "replicas" renders the stable
   * Service over every weighted pod (the template starts weighted) and, with
   * a gateway, a route with one rule to it; without `gatewayClass` there is no
   * Gateway or route then (ADR 26).
   */
  traffic?: "gateway" | "replicas";
  /** The environment's registry has credentials: pods pull with the Secret `registry-credentials`, made from these host variables. */
  pullCredentials?: { usernameEnv: string; passwordEnv: string; server: string };
}

/** One Kubernetes object and the comment written above it. */
export interface Manifest {
  comment?: string;
  object: KubernetesObject;
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

/** The namespace: --namespace, else the environment's `kubernetes.namespace`, else `<system>-<environment>` (as the Kubernetes runtime chooses); refused unless a DNS label. */
export function resolveNamespace(input: { flag?: string | undefined; configured?: string | undefined; system: string; environment: string }): { namespace: string; from: string } {
  const [namespace, from] =
    input.flag !== undefined ? [input.flag, "--namespace"] : input.configured !== undefined ? [input.configured, "the environment's kubernetes.namespace"] : [namespaceName(input.system, input.environment), "the system's and the environment's names"];
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
  const scope: ClusterScope = { system, environment, namespace };
  const layout: GatewayLayout = { name: system, className: options.gatewayClass ?? DEFAULT_GATEWAY_CLASS, sharedPort: options.sharedPort, hostnameSuffix: options.hostnameSuffix };

  const byReplicas = options.traffic === "replicas";
  // Split by replicas a gateway is optional: without a class named, the Services are reached in the cluster.
  const withGateway = !byReplicas || options.gatewayClass !== undefined;
  const documents: Manifest[] = [{ object: namespaceObject(scope) }, ...(withGateway ? [{ object: gateway(scope, layout, services, options.endpointPorts) }] : [])];
  for (const s of services) {
    const template: PodTemplateInput = {
      service: s.service,
      revision: s.revision,
      version: s.version,
      image: s.image,
      ...s.template,
      env: dependencyEnv(s, scope, ports),
      cpuRequestPercent: options.cpuRequestPercent,
      ...(options.pullCredentials === undefined ? {} : { imagePullSecret: PULL_SECRET_NAME }),
      ...(byReplicas ? { weighted: true } : {}),
    };
    const port = s.template.port;
    documents.push({ comment: strategyComment(s), object: replicaSetObject(scope, template, s.replicas) });
    documents.push({ object: revisionServiceObject(scope, s.service, s.revision, port) });
    // By replicas, a settled revision has all the traffic: the Service selects it by revision, as the router keeps it (pods still start weighted for a later canary).
    documents.push({ object: byReplicas ? weightedServiceObject(scope, s.service, port, undefined, s.revision) : stableServiceObject(scope, s.service, s.revision, port) });
    if (!withGateway) continue;
    const attachment = { service: s.service, port, ...routeAttachment(layout, scope, s.service) };
    documents.push({ object: byReplicas ? serviceRouteObject(scope, attachment) : httpRouteObject(scope, { ...attachment, weights: [{ revision: s.revision, weight: 100 }] }) });
  }
  return { header: header(lock, environment, options, services), documents };
}

function header(lock: SystemLock, environment: string, options: RenderOptions, services: readonly LockedService[]): string[] {
  const lines = [
    `Kubernetes manifests of system ${lock.system}, environment ${environment}${options.slipwayVersion === undefined ? "" : `, rendered by slipway ${options.slipwayVersion}`}`,
    `from ${options.source ?? "a system lock"}, taken at ${lock.takenAt}`,
    `namespace ${options.namespace}${options.namespaceSource === undefined ? "" : ` (from ${options.namespaceSource})`}; gatewayClassName ${options.gatewayClass ?? DEFAULT_GATEWAY_CLASS}${options.gatewayClass === undefined ? " (a placeholder: pass --gateway-class)" : ""}`,
    "The objects slipway's Kubernetes runtime applies (docs/kubernetes.md). Rendering applies nothing.",
    "Secrets are not included and must be created separately, in the namespace, before applying:",
  ];
  const withSecrets = services.filter((s) => Object.keys(s.template.secretEnv).length > 0);
  if (withSecrets.length === 0) lines.push("  (none: no service reads a secret)");
  for (const s of withSecrets) lines.push(`  Secret ${secretName(s.service)}, keys: ${[...new Set(Object.values(s.template.secretEnv))].sort().join(", ")}`);
  const pull = options.pullCredentials;
  if (pull !== undefined) lines.push(`  Secret ${PULL_SECRET_NAME} (image pulls): kubectl -n ${options.namespace} create secret docker-registry ${PULL_SECRET_NAME} --docker-server=${pull.server} --docker-username="$${pull.usernameEnv}" --docker-password="$${pull.passwordEnv}"`);
  const registries = [...new Set(services.map((s) => s.image.split("/")[0] ?? "").filter((host) => /^(127\.|localhost(:|$)|\[::1\])/.test(host)))].sort();
  if (registries.length > 0) lines.push(`Images name the loopback registr${registries.length === 1 ? "y" : "ies"} ${registries.join(", ")}: copy them to one the cluster pulls from (a copy keeps the digest) and edit the image fields.`);
  const names = new Set(services.map((s) => s.service));
  for (const s of services) for (const d of s.dependsOn.filter((d) => !names.has(d))) lines.push(`${s.service} depends on ${d}, which the lock does not carry: its Service must already exist in the namespace.`);
  for (const o of lock.omitted ?? []) lines.push(`Left out when the lock was taken: ${o.service} (${o.reason}).`);
  return lines;
}

/** One listener a service on its endpoint port, or one shared listener (hostnames tell the services apart). */
function gateway(scope: ClusterScope, layout: GatewayLayout, services: readonly LockedService[], endpointPorts: Readonly<Record<string, number>>): KubernetesObject {
  const listeners = gatewayListeners(
    layout,
    services.map((s) => {
      const port = endpointPorts[s.service];
      if (port === undefined && layout.sharedPort === undefined) refuse(`no endpoint port for ${s.service}`, "render with the configuration the lock was taken with");
      return { service: s.service, endpointPort: port ?? 0 };
    }),
  );
  const taken = new Map<number, string>();
  for (const l of listeners) {
    const other = taken.get(l.port);
    if (other !== undefined) refuse(`${other} and ${l.name} would share the Gateway listener port ${l.port}`, "give the services distinct endpoint.port values");
    taken.set(l.port, l.name);
  }
  return gatewayObject(scope, layout.name, layout.className, listeners);
}

function strategyComment(s: LockedService): string {
  const kind = s.strategy === "canary" ? "canary" : s.strategy === "blueGreen" ? "blue-green" : "rolling";
  return `${s.service}: revision ${s.revision} (${kind}). What slipway's Kubernetes runtime applies once a rollout has settled: the revision's ReplicaSet and Service, the stable Service, and the route with all weight on it.`;
}

/** `<DEPENDENCY>_URL` → the dependency's stable Service DNS name; a loopback value (slipway's router on one machine) is replaced, any other value the service set stays. */
function dependencyEnv(s: LockedService, scope: ClusterScope, ports: ReadonlyMap<string, number>): Record<string, string> {
  const env = { ...s.template.env };
  for (const dependency of s.dependsOn) {
    const variable = dependencyUrlVariable(dependency);
    const current = env[variable];
    if (current !== undefined && !isLoopbackUrl(current)) continue;
    const port = ports.get(dependency);
    if (port === undefined) refuse(`${s.service} depends on ${dependency}, whose port is unknown`, "render with the configuration the lock was taken with");
    env[variable] = clusterServiceUrl(scope, dependency, port);
  }
  return env;
}

export function isLoopbackUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i.test(value);
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
