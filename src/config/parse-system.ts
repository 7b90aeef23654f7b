// Parses slipway.yaml and every slipway.service.yaml it points to, validates
// them all, and either returns the whole system or throws one ConfigError
// with every problem found, in file order. Loaded on demand by loadSystem
// (load-system.ts) when its cache cannot answer: yaml and zod are the most
// expensive modules slipway loads.
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import type { z } from "zod";
import { dnsLabelPattern, ServiceConfigSchema, SystemConfigSchema, type ServiceConfig, type SystemConfig } from "../domain/config-schema.js";
import { ConfigError, type ConfigProblem } from "../domain/errors.js";
import { ServiceGraph } from "../graph/service-graph.js";
import { expandFolders } from "./folder-glob.js";
import { crossFileProblems } from "./cross-file-checks.js";
import { fileProblems } from "./file-checks.js";
import { SERVICE_FILE, type LoadedSystem } from "./load-system.js";
import { replicaTrafficWarnings } from "./replica-traffic-checks.js";
import { secretWarnings } from "./secret-warnings.js";
import { YamlSource } from "./yaml-source.js";
import { problemsFromIssues } from "./zod-problems.js";

/** A service as parsed, with its YAML source kept for positions in cross-file problems. */
export interface ParsedService {
  config: ServiceConfig;
  /** Absolute path of the service's folder. */
  dir: string;
  source: YamlSource;
}

/**
 * `file` is the absolute path of slipway.yaml. Returns the system, every file
 * it read, and the paths whose existence it checked (Dockerfiles, build inputs).
 */
export function parseSystem(file: string): { system: LoadedSystem; files: string[]; checkedPaths: string[] } {
  const root = dirname(file);
  const problems: ConfigProblem[] = [];

  const systemSource = readSource(file);
  const system = parseWith(SystemConfigSchema, systemSource, problems);

  const services: ParsedService[] = [];
  // Services whose file has errors: still valid dependsOn targets, so one error is not reported twice.
  const broken = { names: new Set<string>(), unnamed: false };
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
        // A YAML syntax error leaves no value: read the name from what did parse.
        const rawName = ((source.value ?? source.partialValue()) as { name?: unknown } | undefined)?.name;
        // Only a plausible name: an unclosed quote can swallow the lines below it.
        if (typeof rawName === "string" && dnsLabelPattern.test(rawName)) broken.names.add(rawName);
        else broken.unnamed = true;
      }
    }
  });

  problems.push(...crossFileProblems(system, systemSource, services, broken));
  const onDisk = fileProblems(root, services);
  problems.push(...onDisk.problems);
  const warnings = sortProblems([...secretWarnings(services), ...replicaTrafficWarnings(system, services)]);
  if (problems.length > 0) throw new ConfigError(sortProblems(problems), warnings);

  // Both are defined here: any parse failure above added a problem.
  const config = system as SystemConfig;
  return {
    system: {
      root,
      file,
      config,
      services: services.map(({ config: c, dir }) => ({ config: c, dir })),
      graph: new ServiceGraph(new Map(services.map((s) => [s.config.name, s.config.dependsOn]))),
      stateDir: isAbsolute(config.stateDir) ? config.stateDir : join(root, config.stateDir),
      warnings,
    },
    files: [file, ...services.map((s) => join(s.dir, SERVICE_FILE))],
    checkedPaths: onDisk.checked,
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
