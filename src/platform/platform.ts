// The local platform: Docker Engine (checked, not started: that needs root
// and belongs to scripts/setup-host.sh), the dev and prod registries
// (started and stopped here) and the state store (opened and migrated).
import type { LoadedSystem } from "../config/load-system.js";
import { SlipwayError } from "../domain/errors.js";
import { parseRegistryUrl, type RegistryAddress } from "../domain/registry-address.js";
import type { DockerEngine } from "../docker/engine.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { assertPortsAvailable, daemonState, isOwnOrphan, startDaemon, stopDaemon, type DaemonSpec } from "./daemon.js";
import { registryBinary, registryDaemonSpec } from "./registry-daemon.js";
import { environmentPlacements, routerPortSetting } from "../domain/placement.js";
import { haproxyBinary } from "../router/haproxy/haproxy-daemon.js";
import { HaproxyRouter } from "../router/haproxy/haproxy-router.js";

export type RegistryRole = "dev" | "prod";

export interface ManagedRegistry {
  role: RegistryRole;
  address: RegistryAddress;
  /** False for a registry someone else runs (a remote URL, or managed: false). */
  managed: boolean;
}

export function registriesOf(system: LoadedSystem): ManagedRegistry[] {
  return (["dev", "prod"] as const).map((role) => {
    const config = system.config.registries[role];
    const address = parseRegistryUrl(config.url);
    return { role, address, managed: config.managed ?? address.isLoopback };
  });
}

import { storePath } from "../store/store-path.js";

export { storePath };

export interface ComponentReport {
  component: string;
  status: string;
  detail: string;
}

export async function platformUp(system: LoadedSystem, engine: DockerEngine): Promise<ComponentReport[]> {
  const version = await engine.version();
  const reports: ComponentReport[] = [{ component: "docker engine", status: "running", detail: `${version.version} (API ${version.apiVersion}) at ${engine.address.display}` }];

  const store = SqliteStore.open(storePath(system));
  try {
    const migrated = store.migration.applied.length > 0 ? `, applied migrations ${store.migration.applied.join(", ")}` : "";
    reports.push({ component: "state store", status: "ready", detail: `${store.path} (schema ${store.migration.version}${migrated})` });

    const registries = registriesOf(system);
    const specs = new Map(registries.filter((r) => r.managed).map((r) => [r.role, registrySpec(system, r)]));
    // Check every port before starting anything, so a conflict leaves nothing half-up.
    await assertPortsAvailable([...specs.values()].filter((spec) => !isOwnOrphan(spec)));
    const results = await Promise.all(
      registries.map(async (registry) => {
        const spec = specs.get(registry.role);
        if (spec === undefined) return { component: `${registry.role} registry`, status: "external", detail: registry.address.authority };
        const result = await startDaemon(spec);
        store.recordPlatformEvent(`${registry.role} registry`, result);
        return { component: `${registry.role} registry`, status: result, detail: `${registry.address.scheme}://${registry.address.authority}` };
      }),
    );
    reports.push(...results);
  } finally {
    store.close();
  }
  return reports;
}

export async function platformDown(system: LoadedSystem): Promise<ComponentReport[]> {
  const reports: ComponentReport[] = [];
  for (const registry of registriesOf(system).filter((r) => r.managed)) {
    const result = await stopDaemon(registrySpec(system, registry));
    reports.push({ component: `${registry.role} registry`, status: result, detail: registry.address.authority });
  }
  reports.push(...(await stopRouters(system)));
  return reports;
}

/** The routers the rollout controller started, one per environment (ports as in domain/placement.ts). */
async function stopRouters(system: LoadedSystem): Promise<ComponentReport[]> {
  if (haproxyBinary() === undefined) return [];
  const reports: ComponentReport[] = [];
  for (const { environment, routerPort } of environmentPlacements(system.config)) {
    const router = new HaproxyRouter({ environment: environment.name, stateDir: system.stateDir, controlPort: routerPort, controlPortSetting: routerPortSetting(environment) });
    const result = await router.stop();
    if (result === "stopped") reports.push({ component: `router (${environment.name})`, status: result, detail: router.paths.dir });
  }
  return reports;
}

export interface RegistryStatus extends ManagedRegistry {
  state: ReturnType<typeof daemonState>["kind"] | "external";
}

export function registryStatus(system: LoadedSystem): RegistryStatus[] {
  return registriesOf(system).map((registry) => ({
    ...registry,
    state: registry.managed ? daemonState(registrySpec(system, registry)).kind : "external",
  }));
}

function registrySpec(system: LoadedSystem, registry: ManagedRegistry): DaemonSpec {
  const binary = registryBinary();
  if (binary === undefined) {
    throw new SlipwayError("COMPONENT_MISSING", "the CNCF Distribution registry (docker-registry) is not installed", {
      hint: "run `sudo bash scripts/setup-host.sh`, or `apt-get install docker-registry`",
    });
  }
  return registryDaemonSpec(system.stateDir, registry.role, registry.address, binary);
}
