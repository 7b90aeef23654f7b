// Loads slipway.yaml and every slipway.service.yaml it points to, validates
// them all, and either returns the whole system or throws one ConfigError
// with every problem found, in file order.
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { z } from "zod";
import { ServiceConfigSchema, SystemConfigSchema, type ServiceConfig, type SystemConfig } from "../domain/config-schema.js";
import { ConfigError, SlipwayError, type ConfigProblem } from "../domain/errors.js";
import { ServiceGraph } from "../graph/service-graph.js";
import { expandFolders } from "./folder-glob.js";
import { crossFileProblems } from "./cross-file-checks.js";
import { YamlSource } from "./yaml-source.js";
import { problemsFromIssues } from "./zod-problems.js";

export const SYSTEM_FILE = "slipway.yaml";
export const SERVICE_FILE = "slipway.service.yaml";

export interface LoadedService {
  config: ServiceConfig;
  /** Absolute path of the service's folder. */
  dir: string;
  source: YamlSource;
}

export interface LoadedSystem {
  /** Absolute path of the folder holding slipway.yaml. */
  root: string;
  config: SystemConfig;
  source: YamlSource;
  services: LoadedService[];
  graph: ServiceGraph;
  /** Absolute path of the state directory. */
  stateDir: string;
}

/** Finds slipway.yaml at `start` (a file or folder) or in a folder above it. */
export function findSystemFile(start: string): string {
  const absolute = resolve(start);
  if (absolute.endsWith(".yaml") || absolute.endsWith(".yml")) {
    if (!existsSync(absolute)) throw notFound(`${absolute} does not exist`);
    return absolute;
  }
  for (let dir = absolute; ; dir = dirname(dir)) {
    const candidate = join(dir, SYSTEM_FILE);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw notFound(`no ${SYSTEM_FILE} in ${absolute} or any folder above it`);
  }
}

function notFound(message: string): SlipwayError {
  return new SlipwayError("CONFIG_NOT_FOUND", message, {
    hint: `run slipway in a system's folder, or pass --config <path to ${SYSTEM_FILE}>`,
  });
}

export function loadSystem(start: string): LoadedSystem {
  const file = findSystemFile(start);
  const root = dirname(file);
  const problems: ConfigProblem[] = [];

  const systemSource = readSource(file);
  const system = parseWith(SystemConfigSchema, systemSource, problems);

  const services: LoadedService[] = [];
  // Names of services whose file has errors: still valid dependsOn targets, so one error is not reported twice.
  const namesWithErrors = new Set<string>();
  const patterns = system?.services ?? servicePatternsFromRaw(systemSource.value);
  patterns.forEach((pattern, index) => {
    const folders = expandFolders(root, pattern).filter((f) => existsSync(join(root, f, SERVICE_FILE)));
    if (folders.length === 0) {
      problems.push({
        position: systemSource.positionOf(["services", index]),
        path: `services[${index}]`,
        message: `"${pattern}" matches no folder with a ${SERVICE_FILE}`,
        hint: "give a path or glob relative to slipway.yaml, e.g. services/*",
      });
    }
    for (const folder of folders) {
      const dir = join(root, folder);
      if (services.some((s) => s.dir === dir)) continue;
      const source = readSource(join(dir, SERVICE_FILE));
      const config = parseWith(ServiceConfigSchema, source, problems);
      if (config !== undefined) services.push({ config, dir, source });
      else {
        const rawName = (source.value as { name?: unknown } | undefined)?.name;
        if (typeof rawName === "string") namesWithErrors.add(rawName);
      }
    }
  });

  problems.push(...crossFileProblems(system, systemSource, services, namesWithErrors));
  if (problems.length > 0) throw new ConfigError(sortProblems(problems));

  // Both are defined here: any parse failure above added a problem.
  const config = system as SystemConfig;
  return {
    root,
    config,
    source: systemSource,
    services,
    graph: new ServiceGraph(new Map(services.map((s) => [s.config.name, s.config.dependsOn]))),
    stateDir: isAbsolute(config.stateDir) ? config.stateDir : join(root, config.stateDir),
  };
}

function readSource(file: string): YamlSource {
  return new YamlSource(displayPath(file), readFileSync(file, "utf8"));
}

function parseWith<S extends z.ZodType>(schema: S, source: YamlSource, problems: ConfigProblem[]): z.output<S> | undefined {
  if (source.parseProblems.length > 0) {
    problems.push(...source.parseProblems);
    return undefined;
  }
  const result = schema.safeParse(source.value ?? {});
  if (result.success) return result.data;
  problems.push(...problemsFromIssues(result.error.issues, source, schema));
  return undefined;
}

/** When slipway.yaml is invalid elsewhere, still find its services so their errors show in the same run. */
function servicePatternsFromRaw(raw: unknown): string[] {
  const value = (raw as { services?: unknown } | undefined)?.services;
  if (value === undefined) return ["services/*"];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Paths in messages are relative to where the user stands, so editors and terminals can open them. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith("..") || isAbsolute(rel) ? file : rel;
}

function sortProblems(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort(
    (a, b) =>
      a.position.file.localeCompare(b.position.file) || a.position.line - b.position.line || a.position.col - b.position.col,
  );
}
