// Where an environment's services are reached: the stable endpoint port of a
// service and the router's control port (`routerPort`, default portOffset +
// 1999). Deterministic, so every slipway process (deploy, watch, a restart
// after a crash) computes the same ports.
import type { EnvironmentConfig, ServiceConfig, SystemConfig } from "./config-schema.js";
import { SlipwayError } from "./errors.js";
import { findNamed } from "./unknown-name.js";

/** Ports for services without `endpoint.port`: 3000 + a stable hash of the name modulo this. */
const DERIVED_PORT_SPAN = 1000;
const DERIVED_PORT_BASE = 3000;
/** A blue-green service's preview endpoint sits this far above its endpoint unless `endpoint.previewPort` says. */
const PREVIEW_PORT_DISTANCE = 10000;
/** The router's control port sits this far above the environment's offset. */
const CONTROL_PORT_DISTANCE = 1999;

/** Where an environment sits on this machine: its port offset and its router's control port. */
export interface EnvironmentPlacement {
  environment: EnvironmentConfig;
  /** Its position in slipway.yaml's environments. */
  index: number;
  portOffset: number;
  /** The router's /healthz and /metrics port: `routerPort`, else portOffset + 1999. */
  routerPort: number;
}

export function environmentOf(system: SystemConfig, name: string): EnvironmentPlacement {
  return findNamed("environment", name, environmentPlacements(system), (p) => p.environment.name, system.system);
}

export function environmentPlacements(system: SystemConfig): EnvironmentPlacement[] {
  return system.environments.map((environment, index) => {
    const portOffset = portOffsetOf(environment, index);
    return { environment, index, portOffset, routerPort: routerControlPort(environment, portOffset) };
  });
}

/** `portOffset`, else 1000 × the environment's position in slipway.yaml. */
export function portOffsetOf(environment: Pick<EnvironmentConfig, "portOffset">, index: number): number {
  return environment.portOffset ?? 1000 * index;
}

/** Names the key that moves an environment's router control port, for hints: `routerPort of environment "test" in slipway.yaml`. */
export function routerPortSetting(environment: Pick<EnvironmentConfig, "name">): string {
  return `routerPort of environment "${environment.name}" in slipway.yaml`;
}

/** An environment's fixed endpoint ports by service (`endpointPorts`), taken as written. */
export type FixedPorts = Readonly<Record<string, number>> | undefined;

/**
 * The environment's `endpointPorts` entry for the service when it has one;
 * else `endpoint.port` + the environment's offset; without endpoint.port,
 * 3000 + fnv1a(name) mod 1000 + offset.
 */
export function endpointPort(service: Pick<ServiceConfig, "name" | "endpoint">, portOffset: number, fixed?: FixedPorts): number {
  const pinned = fixed?.[service.name];
  if (pinned !== undefined) return pinned;
  const base = service.endpoint?.port ?? DERIVED_PORT_BASE + (fnv1a(service.name) % DERIVED_PORT_SPAN);
  return checkedPort(base + portOffset, `${service.name}'s endpoint`);
}

/**
 * The port that reaches only a blue-green service's preview (the new
 * revision before the switch): `endpoint.previewPort` + the offset, else the
 * endpoint port + 10000. Undefined for other strategies, unless set.
 */
export function previewPort(service: Pick<ServiceConfig, "name" | "endpoint" | "strategy">, portOffset: number, fixed?: FixedPorts): number | undefined {
  if (service.endpoint?.previewPort !== undefined) return checkedPort(service.endpoint.previewPort + portOffset, `${service.name}'s preview endpoint`);
  if (service.strategy.blueGreen === undefined) return undefined;
  return checkedPort(endpointPort(service, portOffset, fixed) + PREVIEW_PORT_DISTANCE, `${service.name}'s preview endpoint`);
}

/**
 * `<DEPENDENCY>_URL` for each of a service's runtime dependencies: the
 * dependency's router endpoint in the same environment (a Service's address,
 * in Kubernetes terms). "order-api" gives ORDER_API_URL.
 */
export function dependencyUrls(service: Pick<ServiceConfig, "name" | "dependsOn">, services: readonly Pick<ServiceConfig, "name" | "endpoint">[], portOffset: number, fixed?: FixedPorts): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const name of service.dependsOn) {
    const dependency = services.find((s) => s.name === name);
    if (dependency === undefined) throw new SlipwayError("CONFIG_INVALID", `service ${service.name}: dependsOn names "${name}", which is not a service of this system`);
    urls[dependencyUrlVariable(name)] = `http://127.0.0.1:${endpointPort(dependency, portOffset, fixed)}`;
  }
  return urls;
}

export function dependencyUrlVariable(service: string): string {
  return `${service.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_URL`;
}

/** The environment router's /healthz and /metrics port: its `routerPort`, else its portOffset + 1999. */
export function routerControlPort(environment: Pick<EnvironmentConfig, "routerPort">, portOffset: number): number {
  return environment.routerPort ?? checkedPort(portOffset + CONTROL_PORT_DISTANCE, "the router's control port", "set the environment's routerPort, or lower its portOffset");
}

function checkedPort(port: number, what: string, hint = "lower the environment's portOffset or the service's endpoint.port"): number {
  if (port > 65535) throw new SlipwayError("CONFIG_INVALID", `${what} would be port ${port}, above 65535`, { hint });
  return port;
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** A gateway's `listenerPorts`: "23080-23089" or "80" as [first, last]; undefined when it is not a valid range. */
export function parsePortRange(text: string): readonly [number, number] | undefined {
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(text);
  if (match === null) return undefined;
  const first = Number(match[1]);
  const last = Number(match[2] ?? match[1]);
  if (first < 1 || last > 65535 || last < first) return undefined;
  return [first, last];
}
