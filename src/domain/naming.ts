// Every name Slipway gives to something outside itself is built here: image
// repositories and tags from the organisation's templates, and runtime names
// (containers, router backends, Kubernetes objects) that must be DNS labels.
/** Placeholders the naming templates may use (kept here, not beside the schemas, so naming does not load zod). */
export const repositoryTokens = ["system", "service", "team"] as const;
export const tagTokens = ["version", "hash", "commit", "n", "service"] as const;

/** OCI distribution spec: a tag is [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}. */
export const ociTagPattern = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** OCI distribution spec: repository path components. */
export const ociRepositoryPattern = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;

export function templateTokens(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? "");
}

export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([^{}]*)\}/g, (whole, token: string) => values[token] ?? whole);
}

export type TemplateKind = "repository" | "immutable tag" | "dev tag" | "release tag";

/** What is wrong with a naming template, or undefined when it is fine. */
export function checkTemplate(template: string, kind: TemplateKind): string | undefined {
  const allowed: readonly string[] = kind === "repository" ? repositoryTokens : tagTokens;
  const unknown = templateTokens(template).filter((t) => !allowed.includes(t));
  if (unknown.length > 0) {
    return `uses {${unknown.join("}, {")}}; allowed placeholders are {${allowed.join("}, {")}}`;
  }
  const tokens = templateTokens(template);
  if (kind === "immutable tag" && !tokens.includes("hash") && !tokens.includes("commit")) {
    return "an immutable tag must contain {hash} or {commit}, or two builds would share it";
  }
  if (kind === "release tag" && !tokens.includes("version")) return "a release tag must contain {version}";
  const sample = renderTemplate(template, { system: "system", service: "service", team: "team", version: "1.2.3-rc.1", hash: "0123456789ab", commit: "abcdef0", n: "7" });
  const pattern = kind === "repository" ? ociRepositoryPattern : ociTagPattern;
  if (!pattern.test(sample)) {
    return `renders as "${sample}", which is not a valid OCI ${kind === "repository" ? "repository name" : "tag"}`;
  }
  return undefined;
}

/**
 * A DNS-label-safe name (RFC 1123, at most 63 characters) from parts. When
 * the parts do not fit, the end is cut and a short hash of the whole keeps
 * names distinct.
 */
export function dnsLabelName(...parts: readonly string[]): string {
  const joined = parts
    .map((p) => p.toLowerCase().replace(/[^a-z0-9-]+/g, "-"))
    .join("-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "");
  const safe = joined === "" ? "x" : joined;
  if (safe.length <= 63) return safe;
  const suffix = fnv1a(parts.join("\u0000")).slice(0, 8);
  return `${safe.slice(0, 63 - suffix.length - 1).replace(/-$/, "")}-${suffix}`;
}

/** FNV-1a 32-bit, hex; stable across runs and platforms, for name suffixes only. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
