// Every loopback port a system needs on this machine, checked against each
// other before anything starts: the managed registries, each environment's
// router control port, and each service's endpoint and preview port in each
// environment on Docker. A clash names the key to change. Two environments
// whose offsets put their ports on each other's are one problem at the
// environment's portOffset, not one per service.
import type { SystemConfig } from "../domain/config-schema.js";
import type { ConfigProblem } from "../domain/errors.js";
import { endpointPort, portOffsetOf, previewPort, routerControlPort } from "../domain/placement.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import type { ParsedService } from "./parse-system.js";
import { problemAt } from "./problem-at.js";
import type { PathSegment, YamlSource } from "./yaml-source.js";

interface PortClaim {
  port: number;
  /** For messages: `the dev registry`, `the router of environment "test"`, `service "a" in environment "test"`. */
  owner: string;
  kind: "registry" | "router" | "service";
  /** The environment's position, for routers and services. */
  env?: number;
  service?: string;
  /** Moves with the environment's portOffset: a service port, or a router without routerPort. */
  followsOffset: boolean;
  source: YamlSource;
  /** Where the problem points. */
  at: PathSegment[];
  /** The field the message names (may not be written yet: a default). */
  path: PathSegment[];
  /** How to move this port: `set routerPort on environment "test"`. */
  fix: string;
}

export function portProblems(system: SystemConfig, systemSource: YamlSource, services: readonly ParsedService[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const claims: PortClaim[] = [];
  for (const role of ["dev", "prod"] as const) {
    const path = ["registries", role, "url"];
    try {
      const address = parseRegistryUrl(system.registries[role].url);
      if (address.isLoopback) claims.push({ port: address.port, owner: `the ${role} registry`, kind: "registry", followsOffset: false, source: systemSource, at: path, path, fix: `give the ${role} registry another port` });
    } catch (err) {
      problems.push(problemAt(systemSource, path, (err as Error).message));
    }
  }
  const placements = portPlacements(system);
  for (const placement of placements) claims.push(...routerClaims(placement, systemSource, problems));
  for (const placement of placements) claims.push(...serviceClaims(placement, placement.portOffset, services, systemSource, problems));

  const byPort = new Map<number, PortClaim>();
  /** Ports of one environment on another's that both follow the offsets, by "earlier|later" environment index. */
  const between = new Map<string, { earlier: PortClaim; later: PortClaim; count: number }>();
  for (const claim of claims) {
    const earlier = byPort.get(claim.port);
    if (earlier === undefined) {
      byPort.set(claim.port, claim);
      continue;
    }
    if (claim.followsOffset && earlier.followsOffset && claim.env !== earlier.env) {
      const key = `${earlier.env}|${claim.env}`;
      const seen = between.get(key);
      if (seen === undefined) between.set(key, { earlier, later: claim, count: 1 });
      else seen.count++;
      continue;
    }
    problems.push(problemAt(claim.source, claim.path, `port ${claim.port} for ${claim.owner} clashes with ${earlier.owner}`, clashHint(claim, earlier), claim.at));
  }
  for (const clash of between.values()) problems.push(offsetProblem(systemSource, services, placements, clash, claims));
  return problems;
}

interface Placement {
  environment: SystemConfig["environments"][number];
  index: number;
  portOffset: number;
}

/** Environments whose ports are on this machine: Kubernetes environments get theirs from the cluster. */
function portPlacements(system: SystemConfig): Placement[] {
  return system.environments.map((environment, index) => ({ environment, index, portOffset: portOffsetOf(environment, index) })).filter((p) => p.environment.runtime === "docker");
}

function routerClaims(placement: Placement, source: YamlSource, problems?: ConfigProblem[]): PortClaim[] {
  const { environment, index, portOffset } = placement;
  const explicit = environment.routerPort !== undefined;
  const path = ["environments", index, "routerPort"];
  const at = explicit ? path : ["environments", index, environment.portOffset !== undefined ? "portOffset" : "name"];
  try {
    const port = routerControlPort(environment, portOffset);
    return [{ port, owner: `the router of environment "${environment.name}"${explicit ? "" : ` (portOffset + 1999)`}`, kind: "router", followsOffset: !explicit, env: index, source, at, path, fix: `set routerPort on environment "${environment.name}"` }];
  } catch (err) {
    problems?.push(problemAt(source, path, (err as Error).message, `set routerPort on environment "${environment.name}" to a free port, or lower its portOffset`, at));
    return [];
  }
}

function serviceClaims(placement: Placement, portOffset: number, services: readonly ParsedService[], systemSource: YamlSource, problems?: ConfigProblem[]): PortClaim[] {
  const { environment, index } = placement;
  const claims: PortClaim[] = [];
  const named = new Set<string>();
  for (const { config, source } of services) {
    // A duplicate name is its own problem; its ports would only repeat it.
    if (named.has(config.name)) continue;
    named.add(config.name);
    const owner = `service "${config.name}" in environment "${environment.name}"`;
    // A derived port (no endpoint.port) is moved by writing one: point at the service's name.
    const endpointAt = config.endpoint === undefined ? ["name"] : ["endpoint", "port"];
    const common = { kind: "service" as const, followsOffset: true, env: index, service: config.name, source };
    // A fixed port of the environment's (endpointPorts) is written in slipway.yaml and does not follow the offset.
    if (environment.endpointPorts?.[config.name] !== undefined) {
      const path = ["environments", index, "endpointPorts", config.name];
      claims.push({ ...common, followsOffset: false, source: systemSource, port: endpointPort(config, portOffset, environment.endpointPorts), owner, at: path, path, fix: `choose another port for ${config.name} in endpointPorts of environment "${environment.name}"` });
      continue;
    }
    try {
      claims.push({ ...common, port: endpointPort(config, portOffset, environment.endpointPorts), owner, at: endpointAt, path: ["endpoint", "port"], fix: config.endpoint === undefined ? "set endpoint.port" : "choose another endpoint.port" });
      const preview = previewPort(config, portOffset, environment.endpointPorts);
      if (preview !== undefined) {
        const explicit = config.endpoint?.previewPort !== undefined;
        claims.push({
          ...common,
          port: preview,
          owner: `the preview of ${owner}`,
          at: explicit ? ["endpoint", "previewPort"] : endpointAt,
          path: ["endpoint", "previewPort"],
          fix: explicit ? "choose another endpoint.previewPort" : "set endpoint.previewPort (default: the endpoint port + 10000)",
        });
      }
    } catch (err) {
      problems?.push(problemAt(source, ["endpoint", "port"], `in environment "${environment.name}": ${(err as Error).message}`, `lower endpoint.port, or the portOffset of environment "${environment.name}" in slipway.yaml`, endpointAt));
    }
  }
  return claims;
}

function clashHint(claim: PortClaim, earlier: PortClaim): string {
  if (claim.kind === "registry") return "give each registry its own port";
  if (claim.kind === "router" && earlier.kind === "router") return "give each environment its own routerPort";
  if (claim.kind === "service" && earlier.kind === "service") return claim.service === earlier.service ? claim.fix : `${claim.fix}, or another port for service "${earlier.service}"`;
  return earlier.kind === "service" ? claim.fix : `${claim.fix}, or ${earlier.fix} in slipway.yaml`;
}

/**
 * One problem for all the ports of environment `later` that land on those of
 * environment `earlier` because of their offsets (service ports, and router
 * ports without routerPort): the offsets are too close for these endpoints.
 * Suggests the lowest multiple of 1000 that clears every other port.
 */
function offsetProblem(source: YamlSource, services: readonly ParsedService[], placements: readonly Placement[], clash: { earlier: PortClaim; later: PortClaim; count: number }, claims: readonly PortClaim[]): ConfigProblem {
  const { earlier, later, count } = clash;
  const placement = placements.find((p) => p.index === later.env) as Placement;
  const other = placements.find((p) => p.index === earlier.env) as Placement;
  const name = placement.environment.name;
  const taken = new Set(claims.filter((c) => c.env !== placement.index).map((c) => c.port));
  const needed = claims.filter((c) => c.env === placement.index).length;
  let suggestion: number | undefined;
  for (let offset = 0; offset <= 60000 && suggestion === undefined; offset += 1000) {
    const moved = { ...placement, portOffset: offset };
    const ports = [...routerClaims(moved, source), ...serviceClaims(moved, offset, services, source)].map((c) => c.port);
    if (ports.length === needed && new Set(ports).size === ports.length && ports.every((p) => !taken.has(p))) suggestion = offset;
  }
  const more = count > 1 ? ` (and ${count - 1} more port${count === 2 ? "" : "s"})` : "";
  const explicit = placement.environment.portOffset !== undefined;
  const offsets = `portOffset ${placement.portOffset}${explicit ? "" : " by default"}, "${other.environment.name}" ${other.portOffset}`;
  return problemAt(
    source,
    ["environments", placement.index, "portOffset"],
    `environment "${name}" puts its ports on those of environment "${other.environment.name}" (${offsets}): port ${later.port} for ${later.owner} is also ${earlier.owner}${more}`,
    `give environment "${name}" a portOffset that keeps its ports apart${suggestion === undefined ? "" : `, e.g. portOffset: ${suggestion}`}`,
    ["environments", placement.index, explicit ? "portOffset" : "name"],
  );
}
