// `slipway affected`: which services CI would build, and why. Without a git
// ref, a service is affected when the dev registry has no image for its
// content hash; the reasons compare with the inputs of its last pushed hash.
// With `--since <ref>`, the files git says changed are mapped to services
// (their folder, their build inputs) and to what depends on them to build.
import { join, relative, sep } from "node:path";
import type { LoadedSystem } from "../config/load-system.js";
import { SERVICE_FILE } from "../config/load-system.js";
import { repositoryPath, renderTag } from "../domain/image-names.js";
import { SlipwayError } from "../domain/errors.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import { GitRepo, findRepoRoot } from "../git/git-repo.js";
import type { RegistryClient } from "../registry/types.js";
import type { PipelineRunStore } from "../store/types.js";
import { buildOrder, ContentHasher, explainChange, readDockerIgnore, type ContentHash } from "./content-hash.js";

export interface AffectedService {
  service: string;
  affected: boolean;
  hash?: string;
  reasons: string[];
}

export async function affectedByRegistry(system: LoadedSystem, registry: RegistryClient, runs: PipelineRunStore, imageIdOf: (image: string) => Promise<string>): Promise<AffectedService[]> {
  const hashes = await new ContentHasher(system, imageIdOf).hashAll();
  const dev = parseRegistryUrl(system.config.registries.dev.url);
  const repo = findRepoRoot(system.root);
  const commit = repo === undefined ? undefined : await new GitRepo(repo).head();
  return Promise.all(
    system.services.map(async (service): Promise<AffectedService> => {
      const hash = hashes.get(service.config.name) as ContentHash;
      const tag = renderTag(system.config.conventions.tags.immutable, { service: service.config.name, version: service.config.version, hash: hash.hash, ...(commit ? { commit: commit.sha } : {}) });
      const present = await registry.headManifest(repositoryPath(system.config, service.config, dev), tag);
      if (present !== undefined) return { service: service.config.name, affected: false, hash: hash.hash, reasons: [] };
      const previous = runs.latestHashInputs(service.config.name);
      return { service: service.config.name, affected: true, hash: hash.hash, reasons: explainChange(previous === undefined ? undefined : (JSON.parse(previous) as ContentHash), hash) };
    }),
  );
}

export async function affectedSince(system: LoadedSystem, ref: string): Promise<AffectedService[]> {
  const root = findRepoRoot(system.root);
  if (root === undefined) throw new Error(`${system.root} is not in a git repository; --since needs one`);
  // Services may live in other repositories than slipway.yaml: ask each repository about its own history.
  const roots = [...new Set([root, ...system.services.map((s) => findRepoRoot(s.dir) ?? root)])];
  const changedIn = async (r: string): Promise<string[]> => {
    try {
      return (await new GitRepo(r).changedSince(ref)).map((f) => join(r, f));
    } catch (err) {
      throw new SlipwayError("USAGE", `--since ${ref}: git cannot compare ${r} with it`, { hint: "name a ref every repository holding services has, e.g. origin/main", cause: err });
    }
  };
  const changed = (await Promise.all(roots.map(changedIn))).flat();
  const reasons = new Map<string, string[]>(system.services.map((s) => [s.config.name, []]));
  for (const service of system.services) {
    const context = join(service.dir, service.config.image.context);
    const ignore = readDockerIgnore(context);
    for (const file of changed) {
      const inService = relativeInside(service.dir, file);
      if (inService !== undefined) {
        const inContext = relativeInside(context, file);
        if (inService === SERVICE_FILE) reasons.get(service.config.name)?.push(`${SERVICE_FILE} changed`);
        else if (inContext === undefined || !ignore.excludes(inContext)) reasons.get(service.config.name)?.push(`file changed: ${inService}`);
        continue;
      }
      for (const input of service.config.build.inputs) {
        if (relativeInside(join(system.root, input), file) !== undefined || join(system.root, input) === file) {
          reasons.get(service.config.name)?.push(`input changed: ${relative(system.root, file).split(sep).join("/")}`);
        }
      }
    }
  }
  // Build dependents, in build order so a chain propagates.
  const byName = new Map(system.services.map((s) => [s.config.name, s]));
  for (const name of buildOrder(system)) {
    for (const dep of byName.get(name)?.config.build.dependsOn ?? []) {
      if ((reasons.get(dep)?.length ?? 0) > 0) reasons.get(name)?.push(`build dependency ${dep} affected`);
    }
  }
  return system.services.map((s) => {
    const r = reasons.get(s.config.name) ?? [];
    return { service: s.config.name, affected: r.length > 0, reasons: r };
  });
}

function relativeInside(dir: string, file: string): string | undefined {
  const rel = relative(dir, file);
  return rel === "" || rel.startsWith("..") || rel.startsWith(sep) ? undefined : rel.split(sep).join("/");
}
