// Rendering an environment's system as Kubernetes manifests
// (docs/kubernetes.md), from a system lock file or from what runs now — a
// lock taken exactly as a snapshot takes it. Renders only: nothing is
// applied, and no cluster is needed.
import { loadSystem, type LoadedSystem } from "../config/load-system.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import { renderManifests, resolveNamespace, serializeManifests, type RenderOptions } from "../delivery/kubernetes/render-manifests.js";
import { checkLockFits, parseLock, type OmittedService, type SystemLock } from "../delivery/recovery/system-lock.js";
import type { EnvironmentConfig } from "../domain/config-schema.js";
import { endpointPort, environmentOf, type FixedPorts } from "../domain/placement.js";
import { withEnvironment } from "./environment.js";
import { readLock, takeSnapshot } from "./recovery.js";
import { slipwayVersion } from "./version.js";

export interface RenderKubernetesRequest {
  env: string;
  lock?: string;
  namespace?: string;
  gatewayClass?: string;
  allowPartial?: boolean;
}

export interface RenderedKubernetes {
  text: string;
  /** kind/name of each object, in order. */
  objects: string[];
  namespace: string;
  system: string;
  environment: string;
  /** Services a snapshot of what runs now left out (with --allow-partial). */
  omitted: OmittedService[];
}

export async function renderKubernetes(config: string, opts: RenderKubernetesRequest): Promise<RenderedKubernetes> {
  const system = await loadSystem(config);
  const { environment, portOffset } = environmentOf(system.config, opts.env);
  const { lock, source, omitted } = opts.lock === undefined ? await snapshotNow(config, opts) : { lock: readLock(opts.lock), source: `the lock file ${opts.lock}`, omitted: [] };
  checkLockFits(lock, system.config.system, system.services.map((s) => s.config.name));
  const { namespace, from } = resolveNamespace({ flag: opts.namespace, configured: environment.kubernetes?.namespace, system: system.config.system, environment: environment.name });
  const version = slipwayVersion();
  const options: RenderOptions = {
    namespace,
    namespaceSource: from,
    environment: environment.name,
    source: lock.environment === environment.name ? source : `${source} (taken in ${lock.environment})`,
    ...configured(system, portOffset, environment.endpointPorts),
    ...gatewayOptions(environment.kubernetes?.gateway, opts.gatewayClass),
    ...(environment.kubernetes?.cpuRequestPercent === undefined ? {} : { cpuRequestPercent: environment.kubernetes.cpuRequestPercent }),
    ...(environment.kubernetes?.traffic === "replicas" ? { traffic: "replicas" as const } : {}),
    ...(version === undefined ? {} : { slipwayVersion: version }),
    ...pullCredentialNames(system, environment),
  };
  const rendered = renderManifests(lock, options);
  const objects = rendered.documents.map((d) => `${String(d.object["kind"])}/${String((d.object["metadata"] as { name: string }).name)}`);
  return { text: serializeManifests(rendered), objects, namespace, system: system.config.system, environment: environment.name, omitted };
}

/** What runs now: a snapshot, read back as a lock file would be. */
async function snapshotNow(config: string, opts: RenderKubernetesRequest): Promise<{ lock: SystemLock; source: string; omitted: OmittedService[] }> {
  const snapshot = await withEnvironment(config, opts.env, (session) => takeSnapshot(session, { allowPartial: opts.allowPartial === true }));
  return { lock: parseLock(JSON.stringify(snapshot.lock), "snapshot"), source: `what ran in ${opts.env} (a snapshot taken when rendering)`, omitted: snapshot.omitted };
}

/** The variables the registry's credentials come from (never their values), when it has any. */
function pullCredentialNames(system: LoadedSystem, environment: EnvironmentConfig): Pick<RenderOptions, "pullCredentials"> {
  const registry = system.config.registries[environment.registry];
  return registry.credentials === undefined ? {} : { pullCredentials: { ...registry.credentials, server: parseRegistryUrl(registry.url).authority } };
}

/** What the lock does not record: endpoint ports, ports of dependencies outside it. */
function configured(system: LoadedSystem, portOffset: number, fixed: FixedPorts): Pick<RenderOptions, "endpointPorts" | "servicePorts"> {
  const configs = system.services.map((s) => s.config);
  return {
    endpointPorts: Object.fromEntries(configs.map((c) => [c.name, endpointPort(c, portOffset, fixed)])),
    servicePorts: Object.fromEntries(configs.map((c) => [c.name, c.port])),
  };
}

/** The environment's gateway settings, the same the Kubernetes runtime uses; --gateway-class wins. */
function gatewayOptions(gateway: NonNullable<EnvironmentConfig["kubernetes"]>["gateway"], flag: string | undefined): Pick<RenderOptions, "gatewayClass" | "sharedPort" | "hostnameSuffix"> {
  const gatewayClass = flag ?? gateway?.className;
  return {
    ...(gatewayClass === undefined ? {} : { gatewayClass }),
    ...(gateway?.port === undefined ? {} : { sharedPort: gateway.port }),
    ...(gateway?.hostnameSuffix === undefined ? {} : { hostnameSuffix: gateway.hostnameSuffix }),
  };
}
