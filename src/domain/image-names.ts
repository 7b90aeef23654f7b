// Image references from the organisation's conventions: the repository from
// its template, the CI tags (immutable and human) and the release tag.
import type { ServiceConfig, SystemConfig } from "./config-schema.js";
import { renderTemplate } from "./naming.js";
import type { RegistryAddress } from "./registry-address.js";

/** Repository path inside a registry (prefix included), e.g. "team/drone-delivery/ingestion". */
export function repositoryPath(system: SystemConfig, service: Pick<ServiceConfig, "name" | "owners">, registry: RegistryAddress): string {
  const path = renderTemplate(system.conventions.repository, { system: system.system, service: service.name, team: service.owners[0] ?? "" });
  return registry.prefix === "" ? path : `${registry.prefix}/${path}`;
}

/** host:port/repository, as Docker names an image. */
export function imageRepository(system: SystemConfig, service: Pick<ServiceConfig, "name" | "owners">, registry: RegistryAddress): string {
  return `${registry.authority}/${repositoryPath(system, service, registry)}`;
}

export interface TagValues {
  service: string;
  version: string;
  /** Content hash, full; tags use its first 12 characters. */
  hash: string;
  /** Commit sha, full; tags use its first 7 characters. */
  commit?: string;
  n?: number;
}

export function renderTag(template: string, values: TagValues): string {
  return renderTemplate(template, {
    service: values.service,
    version: values.version,
    hash: values.hash.slice(0, 12),
    commit: (values.commit ?? "uncommitted").slice(0, 7),
    n: String(values.n ?? 0),
  });
}

/** The `n` of the next `{version}-dev.{n}`-style tag: one more than the highest already in `tags`. */
export function nextBuildNumber(template: string, values: Omit<TagValues, "n">, tags: readonly string[]): number {
  const marker = "\u0000N\u0000";
  const pattern = renderTemplate(template, {
    service: values.service,
    version: values.version,
    hash: values.hash.slice(0, 12),
    commit: (values.commit ?? "uncommitted").slice(0, 7),
    n: marker,
  });
  if (!pattern.includes(marker)) return 1;
  const [before = "", after = ""] = pattern.split(marker);
  const regex = new RegExp(`^${escape(before)}(\\d+)${escape(after)}$`);
  const numbers = tags.map((t) => regex.exec(t)?.[1]).filter((n): n is string => n !== undefined).map(Number);
  return numbers.length === 0 ? 1 : Math.max(...numbers) + 1;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
