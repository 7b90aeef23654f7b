// Checks that need more than one file or field at a time: names unique,
// dependsOn targets known and acyclic, ports that would clash, naming
// templates and registry addresses valid, analysis references resolvable,
// release policies that can be met (tiers known, teams with people, freeze
// windows that end after they start, enough owners to give the approvals).
// Analysis (analysis-checks.ts) and ports (port-checks.ts) have their own modules.
import type { SystemConfig } from "../domain/config-schema.js";
import { didYouMean } from "../domain/did-you-mean.js";
import type { ConfigProblem } from "../domain/errors.js";
import { checkTemplate, type TemplateKind } from "../domain/naming.js";
import { effectivePolicy, expandOwners } from "../domain/release-policy.js";
import { ServiceGraph } from "../graph/service-graph.js";
import type { ParsedService as LoadedService } from "./parse-system.js";
import { analysisProblems } from "./analysis-checks.js";
import { gatewayProblems } from "./gateway-checks.js";
import { portProblems } from "./port-checks.js";
import { promotionProblems } from "./promotion-checks.js";
import { replicaTrafficProblems } from "./replica-traffic-checks.js";
import { problemAt } from "./problem-at.js";
import type { YamlSource } from "./yaml-source.js";

/** `system` is undefined when slipway.yaml itself is invalid: the services are still checked against each other. */
/**
 * Service files with errors, left out of the checks: their names still count
 * as known, so one mistake is reported once, where it is.
 */
export interface BrokenServices {
  names: ReadonlySet<string>;
  /** A file too broken to read its name from (a YAML syntax error above it): any unknown name may be its. */
  unnamed: boolean;
}

export function crossFileProblems(system: SystemConfig | undefined, systemSource: YamlSource, services: readonly LoadedService[], broken: BrokenServices = { names: new Set(), unnamed: false }): ConfigProblem[] {
  const systemProblems =
    system === undefined
      ? []
      : [
          ...templateProblems(system, systemSource),
          ...environmentProblems(system, systemSource),
          ...promotionProblems(system, systemSource, services),
          ...portProblems(system, systemSource, services),
          ...gatewayProblems(system, systemSource, services, broken.names),
          ...teamProblems(system, systemSource),
          ...ownerProblems(system, services),
          ...freezeProblems(system, systemSource),
          ...tierProblems(system, services),
          ...approverCapacityProblems(system, services.filter((s) => !hasMisspelledTeam(system, s))),
          ...integrationTestProblems(system, systemSource, services, broken),
          ...loadTestProblems(system, systemSource, services, broken),
          ...hostNetworkProbeProblems(system, services),
        ];
  return [
    ...systemProblems,
    ...duplicateNameProblems(services),
    ...dependsOnProblems(services, broken),
    ...cycleProblems(services),
    ...analysisProblems(services),
    ...replicaTrafficProblems(system, services),
  ];
}

function templateProblems(system: SystemConfig, source: YamlSource): ConfigProblem[] {
  const checks: [string[], string, TemplateKind][] = [
    [["conventions", "repository"], system.conventions.repository, "repository"],
    [["conventions", "tags", "immutable"], system.conventions.tags.immutable, "immutable tag"],
    [["conventions", "tags", "dev"], system.conventions.tags.dev, "dev tag"],
    [["conventions", "tags", "release"], system.conventions.tags.release, "release tag"],
  ];
  return checks.flatMap(([path, template, kind]) => {
    const problem = checkTemplate(template, kind);
    return problem === undefined ? [] : [problemAt(source, path, `"${template}": ${problem}`)];
  });
}

function environmentProblems(system: SystemConfig, source: YamlSource): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Map<string, number>();
  system.environments.forEach((env, i) => {
    const first = seen.get(env.name);
    if (first !== undefined) {
      problems.push(problemAt(source, ["environments", i, "name"], `environment "${env.name}" is defined twice (first at environments[${first}])`, "give each environment its own name"));
    } else seen.set(env.name, i);
  });
  return problems;
}

function duplicateNameProblems(services: readonly LoadedService[]): ConfigProblem[] {
  const first = new Map<string, LoadedService>();
  const problems: ConfigProblem[] = [];
  for (const service of services) {
    const earlier = first.get(service.config.name);
    if (earlier === undefined) {
      first.set(service.config.name, service);
      continue;
    }
    const at = earlier.source.positionOf(["name"]);
    problems.push(
      problemAt(service.source, ["name"], `service name "${service.config.name}" is already used by ${at.file}:${at.line}:${at.col}`, "service names must be unique in a system"),
    );
  }
  return problems;
}

/** The two dependency lists: what a service calls at run time, and what its build needs first. */
const dependencyFields = [
  { path: ["dependsOn"], of: (s: LoadedService) => s.config.dependsOn },
  { path: ["build", "dependsOn"], of: (s: LoadedService) => s.config.build.dependsOn },
] as const;

function dependsOnProblems(services: readonly LoadedService[], broken: BrokenServices): ConfigProblem[] {
  return dependencyFields.flatMap((field) =>
    services.flatMap((service) =>
      field.of(service).flatMap((target, i) => {
        const path = [...field.path, i];
        if (target === service.config.name) return [problemAt(service.source, path, `"${target}" depends on itself`)];
        return unknownServiceProblems(service.source, path, target, services, broken);
      }),
    ),
  );
}

/** An integration test's http check names a service of the system. */
function integrationTestProblems(system: SystemConfig, source: YamlSource, services: readonly LoadedService[], broken: BrokenServices): ConfigProblem[] {
  return system.integrationTests.flatMap((test, i) => {
    const target = test.http?.service;
    return target === undefined ? [] : unknownServiceProblems(source, ["integrationTests", i, "http", "service"], target, services, broken);
  });
}

/** A load test targets a service of the system; scenario names are unique (`--scenario` picks one). */
function loadTestProblems(system: SystemConfig, source: YamlSource, services: readonly LoadedService[], broken: BrokenServices): ConfigProblem[] {
  const seen = new Set<string>();
  return system.loadTests.flatMap((test, i) => {
    const duplicate = seen.has(test.name) ? [problemAt(source, ["loadTests", i, "name"], `load test "${test.name}" is defined twice; give each scenario its own name`)] : [];
    seen.add(test.name);
    return [...duplicate, ...unknownServiceProblems(source, ["loadTests", i, "target", "service"], test.target.service, services, broken)];
  });
}

/** `target` names no service, with a did-you-mean; unless a broken file may be that service. */
function unknownServiceProblems(source: YamlSource, path: (string | number)[], target: string, services: readonly LoadedService[], broken: BrokenServices): ConfigProblem[] {
  const names = new Set([...services.map((s) => s.config.name), ...broken.names]);
  if (names.has(target) || broken.unnamed) return [];
  const suggestion = didYouMean(target, names);
  return [problemAt(source, path, `unknown service "${target}"`, suggestion !== undefined ? `did you mean "${suggestion}"?` : `known services: ${[...names].sort().join(", ")}`)];
}

function cycleProblems(services: readonly LoadedService[]): ConfigProblem[] {
  const byName = new Map(services.map((s) => [s.config.name, s]));
  return dependencyFields.flatMap((field) => {
    const graph = new ServiceGraph(new Map(services.map((s) => [s.config.name, field.of(s).filter((d) => d !== s.config.name)])));
    return graph.cycles().flatMap((cycle) => {
      const [start = "", next = ""] = cycle;
      const service = byName.get(start);
      if (service === undefined) return [];
      const index = field.of(service).indexOf(next);
      return [problemAt(service.source, [...field.path, index], `dependency cycle: ${cycle.join(" → ")}`, `remove one of these ${field.path.join(".")} entries`)];
    });
  });
}

function teamProblems(system: SystemConfig, source: YamlSource): ConfigProblem[] {
  return Object.entries(system.teams).flatMap(([team, members]) =>
    members.length > 0 ? [] : [problemAt(source, ["teams", team], `team "${team}" has no members`, "list its people (e-mail addresses or user names), or remove the team")],
  );
}

/**
 * An owner that is no team but is one slip away from one is a misspelled team
 * (its people could never approve); other names are people.
 */
function ownerProblems(system: SystemConfig, services: readonly LoadedService[]): ConfigProblem[] {
  return services.flatMap(({ config, source }) =>
    config.owners.flatMap((owner, i) => {
      const team = misspelledTeam(system, owner);
      if (team === undefined) return [];
      return [problemAt(source, ["owners", i], `"${owner}" is not a team of slipway.yaml`, `did you mean "${team}"? (a person who owns the service is written as an e-mail address)`)];
    }),
  );
}

function misspelledTeam(system: SystemConfig, owner: string): string | undefined {
  if (Object.hasOwn(system.teams, owner) || owner.includes("@")) return undefined;
  return didYouMean(owner, Object.keys(system.teams));
}

function hasMisspelledTeam(system: SystemConfig, service: LoadedService): boolean {
  return service.config.owners.some((owner) => misspelledTeam(system, owner) !== undefined);
}

function freezeProblems(system: SystemConfig, source: YamlSource): ConfigProblem[] {
  return (system.releasePolicy?.freeze ?? []).flatMap((window, i) =>
    Date.parse(window.to) > Date.parse(window.from)
      ? []
      : [problemAt(source, ["releasePolicy", "freeze", i, "to"], `the freeze ends (${window.to}) before it starts (${window.from})`, "set `to` after `from`")],
  );
}

/**
 * On the host network an instance listens only on the port slipway gives it
 * (ADR 10): a readiness probe on another fixed port would collide between
 * instances, so it is refused here rather than at the first deploy.
 */
function hostNetworkProbeProblems(system: SystemConfig, services: readonly LoadedService[]): ConfigProblem[] {
  const onHost = system.environments.filter((e) => e.runtime === "docker" && e.network === "host").map((e) => e.name);
  if (onHost.length === 0) return [];
  return services.flatMap((service) => {
    const { readiness, port } = service.config;
    const kind = readiness.http !== undefined ? "http" : readiness.tcp !== undefined ? "tcp" : undefined;
    const probed = kind === undefined ? undefined : readiness[kind]?.port;
    if (kind === undefined || probed === undefined || probed === port) return [];
    return [
      problemAt(
        service.source,
        ["readiness", kind, "port"],
        `probes port ${probed}, but in ${onHost.join(", ")} (network: host) an instance listens only on the port slipway gives it in PORT`,
        `drop readiness.${kind}.port to probe the service port, or set network: bridge on ${onHost.length === 1 ? "that environment" : "those environments"} in slipway.yaml`,
      ),
    ];
  });
}

function tierProblems(system: SystemConfig, services: readonly LoadedService[]): ConfigProblem[] {
  const tiers = Object.keys(system.releasePolicy?.tiers ?? {});
  return services.flatMap(({ config, source }) => {
    if (config.tier === undefined || tiers.includes(config.tier)) return [];
    const suggestion = didYouMean(config.tier, tiers);
    const hint =
      suggestion !== undefined
        ? `did you mean "${suggestion}"?`
        : tiers.length > 0
          ? `tiers defined in slipway.yaml: ${[...tiers].sort().join(", ")}`
          : "define it under releasePolicy.tiers in slipway.yaml";
    return [problemAt(source, ["tier"], `unknown tier "${config.tier}"`, hint)];
  });
}

/**
 * A rule that needs more owner approvals than the owners are people could never
 * be met. Checked once a policy is written down (in slipway.yaml or the
 * service): before that, owners are labels and systems keep validating as they did.
 */
function approverCapacityProblems(system: SystemConfig, services: readonly LoadedService[]): ConfigProblem[] {
  return services.flatMap(({ config, source }) => {
    if (system.releasePolicy === undefined && config.releasePolicy === undefined) return [];
    const policy = effectivePolicy(system.releasePolicy, config.tier, config.releasePolicy);
    const people = expandOwners(config.owners, system.teams);
    return Object.entries(policy.rules).flatMap(([changeType, rule]) => {
      if (rule.approvers !== "owners" || rule.approvals <= people.length) return [];
      return [
        problemAt(
          source,
          ["owners"],
          `service "${config.name}": a ${changeType} release needs ${rule.approvals} approval${rule.approvals === 1 ? "" : "s"} from its owners, but its owners (${config.owners.join(", ")}) are ${people.length} ${people.length === 1 ? "person" : "people"}`,
          `add people to its owners or their teams in slipway.yaml, or lower ${rule.origin.approvals}; keep more owners than approvals, since no one approves their own release`,
        ),
      ];
    });
  });
}
