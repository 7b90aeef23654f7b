// The digest CI pushed for the checkout as it is: the service's content hash
// names its immutable tag in the dev registry, on any machine. This is how a
// machine that never ran CI (an empty store) finds what to release.
import type { LoadedService, LoadedSystem } from "../config/load-system.js";
import { renderTag, repositoryPath } from "../domain/image-names.js";
import { SlipwayError } from "../domain/errors.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import type { DockerEngine } from "../docker/engine.js";
import { GitRepo, findRepoRoot } from "../git/git-repo.js";
import type { RegistryClient } from "../registry/types.js";
import { ContentHasher } from "./content-hash.js";

export async function findPushedDigest(system: LoadedSystem, engine: DockerEngine, dev: RegistryClient, service: LoadedService): Promise<{ digest: string; contentHash: string } | undefined> {
  const hasher = new ContentHasher(system, async (image) => {
    const id = await engine.imageId(image);
    if (id === undefined) throw new SlipwayError("COMPONENT_MISSING", `the build image ${image} is not present on the Docker Engine`, { hint: "the content hash includes the build image: pull or build it here too" });
    return id;
  });
  const hash = (await hasher.hashAll()).get(service.config.name);
  if (hash === undefined) return undefined;
  const root = findRepoRoot(service.dir) ?? findRepoRoot(system.root);
  const commit = root === undefined ? undefined : await new GitRepo(root).head();
  const tag = renderTag(system.config.conventions.tags.immutable, { service: service.config.name, version: service.config.version, hash: hash.hash, ...(commit ? { commit: commit.sha } : {}) });
  const found = await dev.headManifest(repositoryPath(system.config, service.config, parseRegistryUrl(system.config.registries.dev.url)), tag);
  return found === undefined ? undefined : { digest: found.digest, contentHash: hash.hash };
}
