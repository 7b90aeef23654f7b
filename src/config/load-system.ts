// Finds and loads a system's configuration. A validated configuration is
// cached (keyed by every file's path, size and mtime, the folders the
// `services:` patterns expand to, and slipway's own config code), so a
// command on an unchanged system loads neither the YAML parser nor zod —
// together about half of a no-op `slipway ci`. Any change, or any error,
// goes through the full parse with positioned messages (parse-system.ts).
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { ServiceConfig, SystemConfig } from "../domain/config-schema.js";
import { SlipwayError, type ConfigProblem } from "../domain/errors.js";
import { ServiceGraph } from "../graph/service-graph.js";
import { expandFolders } from "./folder-glob.js";
import { installPath } from "../install-paths.js";

export const SYSTEM_FILE = "slipway.yaml";
export const SERVICE_FILE = "slipway.service.yaml";

export interface LoadedService {
  config: ServiceConfig;
  /** Absolute path of the service's folder. */
  dir: string;
}

export interface LoadedSystem {
  /** Absolute path of the folder holding slipway.yaml. */
  root: string;
  /** Absolute path of slipway.yaml. */
  file: string;
  config: SystemConfig;
  services: LoadedService[];
  graph: ServiceGraph;
  /** Absolute path of the state directory. */
  stateDir: string;
  /** What works but is probably a mistake (a secret written as a literal): `validate` shows these. */
  warnings: ConfigProblem[];
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

export async function loadSystem(start: string): Promise<LoadedSystem> {
  const file = findSystemFile(start);
  const cached = readCache(file);
  if (cached !== undefined) return cached;
  const { parseSystem } = await import("./parse-system.js");
  const { system, files, checkedPaths } = parseSystem(file);
  writeCache(system, files, checkedPaths);
  return system;
}

// ------------------------------------------------------------------ cache

interface FileStamp {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

interface CacheEntry {
  key: string;
  files: FileStamp[];
  folders: Record<string, string[]>;
  /** Paths that existed when the configuration was checked (a deleted Dockerfile must not pass from the cache). */
  existing: string[];
  config: SystemConfig;
  services: LoadedService[];
  warnings: ConfigProblem[];
}

/** The compiled config code: a new slipway version must never trust an old cache. */
const codeFiles = [
  "../domain/config-schema.js",
  "./parse-system.js",
  "./cross-file-checks.js",
  "./port-checks.js",
  "./gateway-checks.js",
  "./analysis-checks.js",
  "./file-checks.js",
  "./secret-warnings.js",
  "./replica-traffic-checks.js",
  "../domain/replica-split.js",
  "./zod-problems.js",
].map((f) => installPath("dist", "src", "config", f));

function cacheKey(): string {
  return codeFiles.map((f) => stampOf(f)).map((s) => (s === undefined ? "missing" : `${s.size}:${s.mtimeMs}`)).join("|");
}

function cachePath(file: string): string {
  const dir = process.env["SLIPWAY_CONFIG_CACHE"] ?? join(tmpdir(), `slipway-config-cache-${process.getuid?.() ?? "user"}`);
  return join(dir, `${createHash("sha256").update(file).digest("hex").slice(0, 24)}.json`);
}

function stampOf(path: string): FileStamp | undefined {
  try {
    const s = statSync(path);
    return { path, size: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
  } catch {
    return undefined;
  }
}

function readCache(file: string): LoadedSystem | undefined {
  if (process.env["SLIPWAY_CONFIG_CACHE"] === "off") return undefined;
  let entry: CacheEntry;
  try {
    entry = JSON.parse(readFileSync(cachePath(file), "utf8")) as CacheEntry;
  } catch {
    return undefined;
  }
  if (entry.key !== cacheKey()) return undefined;
  for (const stamp of entry.files) {
    const now = stampOf(stamp.path);
    if (now === undefined || now.size !== stamp.size || now.mtimeMs !== stamp.mtimeMs || now.ino !== stamp.ino) return undefined;
  }
  if (!entry.existing.every((path) => existsSync(path))) return undefined;
  // A new service folder, or a removed one, changes what the patterns expand to.
  const root = dirname(file);
  for (const [pattern, folders] of Object.entries(entry.folders)) {
    const now = expandFolders(root, pattern).filter((f) => existsSync(join(root, f, SERVICE_FILE)));
    if (now.join("\n") !== folders.join("\n")) return undefined;
  }
  return assemble(file, entry.config, entry.services, entry.warnings);
}

function writeCache(system: LoadedSystem, files: readonly string[], existing: readonly string[]): void {
  if (process.env["SLIPWAY_CONFIG_CACHE"] === "off") return;
  const folders = Object.fromEntries(system.config.services.map((p) => [p, expandFolders(system.root, p).filter((f) => existsSync(join(system.root, f, SERVICE_FILE)))]));
  const entry: CacheEntry = {
    key: cacheKey(),
    files: files.map((f) => stampOf(f)).filter((s): s is FileStamp => s !== undefined),
    folders,
    existing: [...existing],
    config: system.config,
    services: system.services,
    warnings: system.warnings,
  };
  try {
    const path = cachePath(system.file);
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(entry), { mode: 0o600 });
    renameSync(tmp, path);
  } catch {
    // A cache that cannot be written only costs speed.
  }
}

function assemble(file: string, config: SystemConfig, services: LoadedService[], warnings: ConfigProblem[]): LoadedSystem {
  const root = dirname(file);
  return {
    root,
    file,
    config,
    services,
    graph: new ServiceGraph(new Map(services.map((s) => [s.config.name, s.config.dependsOn]))),
    stateDir: isAbsolute(config.stateDir) ? config.stateDir : join(root, config.stateDir),
    warnings,
  };
}
