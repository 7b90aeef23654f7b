// Where an environment's services are reached, checked before a deploy:
// `endpointPorts` names only services of the system; on Kubernetes every
// service gets its own Gateway listener on its endpoint port, which must be
// one the gateway serves (`kubernetes.gateway.listenerPorts`: Traefik serves
// a listener only on one of its entry points and leaves the route
// unreachable otherwise), and no two services may share one.
import type { SystemConfig } from "../domain/config-schema.js";
import { didYouMean } from "../domain/did-you-mean.js";
import type { ConfigProblem } from "../domain/errors.js";
import { endpointPort, parsePortRange, portOffsetOf } from "../domain/placement.js";
import type { ParsedService } from "./parse-system.js";
import { problemAt } from "./problem-at.js";
import type { PathSegment, YamlSource } from "./yaml-source.js";

export function gatewayProblems(system: SystemConfig, source: YamlSource, services: readonly ParsedService[], brokenNames: ReadonlySet<string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const names = new Set([...services.map((s) => s.config.name), ...brokenNames]);
  system.environments.forEach((environment, index) => {
    for (const name of Object.keys(environment.endpointPorts ?? {})) {
      if (names.has(name)) continue;
      const suggestion = didYouMean(name, names);
      problems.push(problemAt(source, ["environments", index, "endpointPorts", name], `unknown service "${name}"`, suggestion !== undefined ? `did you mean "${suggestion}"?` : `known services: ${[...names].sort().join(", ")}`));
    }
    // Traffic split by replicas without a gateway has no listeners: services are reached through their Service.
    const listeners = environment.kubernetes?.gateway !== undefined || environment.kubernetes?.traffic !== "replicas";
    if (environment.runtime === "kubernetes" && listeners) problems.push(...listenerProblems(system, index, source, services));
  });
  return problems;
}

/** One listener a service (or one shared listener), each on a port the gateway serves. */
function listenerProblems(system: SystemConfig, index: number, source: YamlSource, services: readonly ParsedService[]): ConfigProblem[] {
  const environment = system.environments[index] as SystemConfig["environments"][number];
  const gateway = environment.kubernetes?.gateway;
  const at: PathSegment[] = ["environments", index];
  const rangeText = gateway?.listenerPorts;
  const range = rangeText === undefined ? undefined : parsePortRange(rangeText);
  if (rangeText !== undefined && range === undefined) {
    return [problemAt(source, [...at, "kubernetes", "gateway", "listenerPorts"], `"${rangeText}" is not a range of ports`, 'write the first and last port, e.g. "23080-23089", each 1–65535')];
  }
  const inRange = (port: number): boolean => range === undefined || (port >= range[0] && port <= range[1]);
  if (gateway?.port !== undefined) {
    // One shared listener: services are told apart by hostname, their own ports do not matter.
    return inRange(gateway.port) ? [] : [problemAt(source, [...at, "kubernetes", "gateway", "port"], `port ${gateway.port} is not one the gateway listens on (${rangeText ?? ""})`, `choose a port in ${rangeText ?? ""}`)];
  }
  const problems: ConfigProblem[] = [];
  const portOffset = portOffsetOf(environment, index);
  const taken = new Map<number, string>();
  const ports = services.map((s) => ({ name: s.config.name, port: safePort(() => endpointPort(s.config, portOffset, environment.endpointPorts)) }));
  const free = (): number | undefined => {
    if (range === undefined) return undefined;
    for (let p = range[0]; p <= range[1]; p++) if (!ports.some((x) => x.port === p)) return p;
    return undefined;
  };
  for (const { name, port } of ports) {
    const pinned = environment.endpointPorts?.[name] !== undefined;
    const path: PathSegment[] = [...at, "endpointPorts", name];
    const where = pinned ? path : [...at, "name"];
    const how = (verb: string): string => {
      const suggestion = free();
      return `${verb} endpointPorts: { ${name}: ${suggestion ?? "<port>"} } on environment "${environment.name}"${suggestion === undefined && range !== undefined ? ` (every port of ${rangeText ?? ""} is taken: widen the gateway's listener ports or use one shared listener, kubernetes.gateway.port)` : ""}`;
    };
    if (port === undefined || !inRange(port)) {
      const what = port === undefined ? "has no valid endpoint port" : `would listen on port ${port}${pinned ? "" : " (its derived endpoint port)"}, which is not one of the gateway's listener ports (${rangeText ?? ""})`;
      problems.push(problemAt(source, path, `service "${name}" ${what} in Kubernetes environment "${environment.name}"`, how(pinned ? "set" : "add"), where));
      continue;
    }
    const other = taken.get(port);
    if (other !== undefined) {
      problems.push(problemAt(source, path, `service "${name}" and service "${other}" would share the Gateway listener on port ${port} in environment "${environment.name}"; the gateway gives hostname-less routes on one port to one route only`, how("set"), where));
      continue;
    }
    taken.set(port, name);
  }
  return problems;
}

function safePort(port: () => number): number | undefined {
  try {
    return port();
  } catch {
    return undefined;
  }
}
