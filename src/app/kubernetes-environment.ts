// The adapters of an environment with `runtime: kubernetes`: one cluster
// client (kubeconfig and context from the configuration), the Kubernetes
// runtime and the Gateway API router, sharing the namespace's pod watch.
import type { LoadedSystem } from "../config/load-system.js";
import type { EnvironmentConfig } from "../domain/config-schema.js";
import { SlipwayError } from "../domain/errors.js";
import { clusterServiceUrl, type ClusterScope, type GatewayLayout, namespaceName, type RegistryCredentials } from "../domain/kubernetes-objects.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import { dependencyUrlVariable, endpointPort } from "../domain/placement.js";
import { KubernetesCluster } from "../kubernetes/cluster.js";
import { GatewayApiRouter } from "../router/gateway-api/gateway-api-router.js";
import { ReplicaRatioRouter } from "../router/replica-ratio/replica-ratio-router.js";
import { KubernetesRuntime } from "../runtime/kubernetes/kubernetes-runtime.js";
import { registryCredentials } from "./registry-clients.js";

export interface KubernetesAdapters {
  cluster: KubernetesCluster;
  scope: ClusterScope;
  /** Absent: no gateway (traffic split by replicas, reached in the cluster). */
  layout: GatewayLayout | undefined;
  runtime: KubernetesRuntime;
  router: GatewayApiRouter | ReplicaRatioRouter;
}

export function openKubernetes(system: LoadedSystem, environment: EnvironmentConfig, portOffset: number): KubernetesAdapters {
  const settings = environment.kubernetes;
  const gateway = settings?.gateway;
  const byReplicas = settings?.traffic === "replicas";
  if (gateway === undefined && !byReplicas) {
    throw new SlipwayError("CONFIG_INVALID", `environment ${environment.name} runs on Kubernetes but names no gateway`, {
      hint: "add kubernetes.gateway.className (kubectl get gatewayclass) to the environment in slipway.yaml, or kubernetes.traffic: replicas on a cluster without Gateway API",
    });
  }
  const cluster = new KubernetesCluster({ kubeconfig: settings?.kubeconfig, context: settings?.context });
  const scope: ClusterScope = { system: system.config.system, environment: environment.name, namespace: settings?.namespace ?? namespaceName(system.config.system, environment.name) };
  const layout: GatewayLayout | undefined = gateway === undefined ? undefined : { name: system.config.system, className: gateway.className, sharedPort: gateway.port, hostnameSuffix: gateway.hostnameSuffix };
  const services = system.services.map((s) => ({ name: s.config.name, port: s.config.port, endpointPort: endpointPort(s.config, portOffset, environment.endpointPorts) }));
  return {
    cluster,
    scope,
    layout,
    runtime: new KubernetesRuntime(cluster, scope, { cpuRequestPercent: settings?.cpuRequestPercent, pullCredentials: pullCredentialsOf(system, environment) }),
    // The seed's coarse method where the cluster has no Gateway API weights (ADR 26).
    router:
      byReplicas || layout === undefined
        ? new ReplicaRatioRouter({ cluster, scope, layout, services })
        : new GatewayApiRouter({ cluster, scope, layout, services, prometheus: settings?.prometheus }),
  };
}

/**
 * The environment's registry credentials for the cluster's image pulls (a
 * dockerconfigjson Secret), read from the host variables slipway.yaml names
 * when the first pod is created; none when the registry has no credentials.
 */
function pullCredentialsOf(system: LoadedSystem, environment: EnvironmentConfig): (() => RegistryCredentials) | undefined {
  const registry = system.config.registries[environment.registry];
  if (registry.credentials === undefined) return undefined;
  return () => ({ server: parseRegistryUrl(registry.url).authority, ...(registryCredentials(registry, environment.registry, process.env) as { username: string; password: string }) });
}

/** `<DEPENDENCY>_URL` on the cluster: each dependency's stable Service by its DNS name. */
export function clusterDependencyUrls(scope: ClusterScope, dependsOn: readonly string[], system: LoadedSystem): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const name of dependsOn) {
    const dependency = system.services.find((s) => s.config.name === name);
    if (dependency === undefined) throw new SlipwayError("CONFIG_INVALID", `dependsOn names "${name}", which is not a service of this system`);
    urls[dependencyUrlVariable(name)] = clusterServiceUrl(scope, name, dependency.config.port);
  }
  return urls;
}
