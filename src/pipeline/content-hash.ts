// A service's content hash: what its image is a function of. It covers the
// service's source files (git-aware: tracked plus new-and-not-ignored; minus
// what .dockerignore leaves out, and minus untracked files its own build
// wrote there — build-outputs.ts), its configuration, its build image's id,
// its `build.inputs` paths and the hashes of its `build.dependsOn` services.
// Same hash ⇒ same inputs ⇒ the image in the dev registry can be reused.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { SERVICE_FILE, type LoadedService, type LoadedSystem } from "../config/load-system.js";
import { findRepoRoot, GitRepo } from "../git/git-repo.js";
import { DockerIgnore } from "./dockerignore.js";
import { canonicalJson } from "../domain/canonical-json.js";

export const HASH_SCHEME = "slipway-content-hash/v1";

export interface HashedFile {
  /** Relative to the service folder (sources) or to the system root (inputs), with `/`. */
  path: string;
  sha256: string;
}

export interface ContentHash {
  service: string;
  /** sha256 hex of everything below. */
  hash: string;
  /** The first 12 hex characters, as tags use it. */
  short: string;
  configDigest: string;
  buildImageId: string;
  files: HashedFile[];
  inputs: HashedFile[];
  /** build.dependsOn service → its hash. */
  dependencies: Record<string, string>;
}

export interface HashInputs {
  service: string;
  config: unknown;
  buildImageId: string;
  files: readonly HashedFile[];
  inputs: readonly HashedFile[];
  dependencies: Readonly<Record<string, string>>;
}

/** Pure: the hash of already-collected inputs. Order-independent in files, inputs and dependencies. */
export function computeContentHash(inputs: HashInputs): ContentHash {
  const configDigest = sha256(canonicalJson(inputs.config));
  const files = [...inputs.files].sort(byPath);
  const extra = [...inputs.inputs].sort(byPath);
  const lines = [
    HASH_SCHEME,
    `service ${inputs.service}`,
    `config ${configDigest}`,
    `build-image ${inputs.buildImageId}`,
    ...files.map((f) => `file ${f.sha256} ${f.path}`),
    ...extra.map((f) => `input ${f.sha256} ${f.path}`),
    ...Object.keys(inputs.dependencies)
      .sort()
      .map((d) => `dependency ${d} ${inputs.dependencies[d] ?? ""}`),
  ];
  const hash = sha256(lines.join("\n"));
  return { service: inputs.service, hash, short: hash.slice(0, 12), configDigest, buildImageId: inputs.buildImageId, files, inputs: extra, dependencies: { ...inputs.dependencies } };
}

/** Collects sources and hashes every service, build dependencies first. */
export class ContentHasher {
  private readonly repos = new Map<string, GitRepo>();
  private readonly imageIds = new Map<string, Promise<string>>();

  private readonly untracked = new Map<string, Promise<Set<string>>>();

  constructor(
    private readonly system: LoadedSystem,
    /** The build image's content id (Docker image id), so a changed toolchain rebuilds. */
    private readonly lookUpImageId: (image: string) => Promise<string>,
    /** Files the service's own build wrote into its folder (build-outputs.ts): left out while git does not track them. */
    private readonly buildOutputs: (service: string) => ReadonlySet<string> = () => new Set(),
  ) {}

  /** Many services share a build image: ask the engine once per image. */
  private imageIdOf(image: string): Promise<string> {
    let id = this.imageIds.get(image);
    if (id === undefined) {
      id = this.lookUpImageId(image);
      this.imageIds.set(image, id);
    }
    return id;
  }

  async hashAll(): Promise<Map<string, ContentHash>> {
    const byName = new Map(this.system.services.map((s) => [s.config.name, s]));
    const hashes = new Map<string, ContentHash>();
    // Sources and image ids are independent: gather them in parallel, then fold in build order.
    const collected = new Map(
      await Promise.all(
        this.system.services.map(async (s) => [s.config.name, await this.collect(s)] as const),
      ),
    );
    for (const name of buildOrder(this.system)) {
      const service = byName.get(name);
      const sources = collected.get(name);
      if (service === undefined || sources === undefined) continue;
      const dependencies = Object.fromEntries(service.config.build.dependsOn.map((d) => [d, hashes.get(d)?.hash ?? "missing"]));
      hashes.set(name, computeContentHash({ service: name, config: buildRelevantConfig(service), ...sources, dependencies }));
    }
    return hashes;
  }

  private async collect(service: LoadedService): Promise<{ buildImageId: string; files: HashedFile[]; inputs: HashedFile[] }> {
    const [buildImageId, files, inputs] = await Promise.all([
      this.imageIdOf(service.config.build.image),
      this.serviceFiles(service),
      this.inputFiles(service),
    ]);
    return { buildImageId, files, inputs };
  }

  private async serviceFiles(service: LoadedService): Promise<HashedFile[]> {
    const contextDir = join(service.dir, service.config.image.context);
    const ignore = readDockerIgnore(contextDir);
    const contextPrefix = toPosix(relative(service.dir, contextDir));
    const outputs = await this.untrackedBuildOutputs(service);
    const files = (await this.listFiles(service.dir)).filter((path) => {
      if (path === SERVICE_FILE || outputs.has(path)) return false;
      if (contextPrefix === "" || contextPrefix === ".") return !ignore.excludes(path);
      // Files outside the build context (e.g. slipway.service.yaml above it) still count.
      return !path.startsWith(contextPrefix + "/") || !ignore.excludes(path.slice(contextPrefix.length + 1));
    });
    return files.map((path) => ({ path, sha256: sha256File(join(service.dir, path)) }));
  }

  private async inputFiles(service: LoadedService): Promise<HashedFile[]> {
    const result: HashedFile[] = [];
    for (const input of service.config.build.inputs) {
      const absolute = join(this.system.root, input);
      if (!existsSync(absolute)) {
        result.push({ path: toPosix(input), sha256: "missing" });
        continue;
      }
      const files = statSync(absolute).isDirectory() ? (await this.listFiles(absolute)).map((f) => join(absolute, f)) : [absolute];
      for (const file of files) result.push({ path: toPosix(relative(this.system.root, file)), sha256: sha256File(file) });
    }
    return result;
  }

  /** The service's recorded build outputs that git does not track now (outside git: all of them). */
  private async untrackedBuildOutputs(service: LoadedService): Promise<Set<string>> {
    const outputs = this.buildOutputs(service.config.name);
    const root = findRepoRoot(service.dir);
    if (outputs.size === 0 || root === undefined) return new Set(outputs);
    let untracked = this.untracked.get(root);
    if (untracked === undefined) {
      untracked = new GitRepo(root).untrackedFiles();
      this.untracked.set(root, untracked);
    }
    const prefix = toPosix(relative(root, service.dir));
    const inRepo = await untracked;
    return new Set([...outputs].filter((path) => inRepo.has(prefix === "" ? path : `${prefix}/${path}`)));
  }

  /** Source files under `dir`, relative to it: from git when `dir` is in a repository, else every file. */
  private async listFiles(dir: string): Promise<string[]> {
    const root = findRepoRoot(dir);
    if (root === undefined) return walk(dir);
    let repo = this.repos.get(root);
    if (repo === undefined) {
      repo = new GitRepo(root);
      this.repos.set(root, repo);
    }
    return repo.sourceFilesUnder(dir);
  }
}

/**
 * The configuration that shapes the image or its CI verdict. Deployment-only
 * fields (replicas, strategy, analysis, owners) change no image, so editing
 * them rebuilds nothing; the YAML file itself is left out of the file list for
 * the same reason (a comment is not a change).
 */
function buildRelevantConfig(service: LoadedService): unknown {
  const { name, version, build, image, port, readiness, env, containerTests } = service.config;
  return { name, version, build, image, port, readiness, env, containerTests };
}

export function buildOrder(system: LoadedSystem): string[] {
  const deps = new Map(system.services.map((s) => [s.config.name, s.config.build.dependsOn]));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    if (seen.has(name)) return;
    seen.add(name);
    for (const d of deps.get(name) ?? []) visit(d);
    order.push(name);
  };
  for (const name of [...deps.keys()].sort()) visit(name);
  return order;
}

export function readDockerIgnore(contextDir: string): DockerIgnore {
  const file = join(contextDir, ".dockerignore");
  return new DockerIgnore(existsSync(file) ? readFileSync(file, "utf8") : "");
}

function walk(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    if (entry.name === ".git" || entry.name === "node_modules") continue;
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...walk(dir, path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function byPath(a: HashedFile, b: HashedFile): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

function toPosix(path: string): string {
  return path.split(sep).join("/");
}

/** Why `next` differs from `previous`: changed files, config, build image, dependencies. */
export function explainChange(previous: ContentHash | undefined, next: ContentHash): string[] {
  if (previous === undefined) return ["never built"];
  if (previous.hash === next.hash) return [];
  const reasons: string[] = [];
  const fileDiff = (kind: string, a: readonly HashedFile[], b: readonly HashedFile[]): void => {
    const before = new Map(a.map((f) => [f.path, f.sha256]));
    const after = new Map(b.map((f) => [f.path, f.sha256]));
    for (const [path, sha] of after) {
      if (!before.has(path)) reasons.push(`${kind} added: ${path}`);
      else if (before.get(path) !== sha) reasons.push(`${kind} changed: ${path}`);
    }
    for (const path of before.keys()) if (!after.has(path)) reasons.push(`${kind} removed: ${path}`);
  };
  fileDiff("file", previous.files, next.files);
  fileDiff("input", previous.inputs, next.inputs);
  if (previous.configDigest !== next.configDigest) reasons.push("slipway.service.yaml changed");
  if (previous.buildImageId !== next.buildImageId) reasons.push("build image changed");
  for (const [dep, hash] of Object.entries(next.dependencies)) {
    if (previous.dependencies[dep] !== hash) reasons.push(`build dependency ${dep} changed`);
  }
  return reasons.length > 0 ? reasons : ["hash scheme changed"];
}
