// A service's environment as its container gets it. Literal values are
// written as strings; `{ fromEnv: NAME }` values are secrets read from the
// host's environment at run time, so they are never stored in config, state
// or logs: every resolved secret is returned for masking.
import type { ServiceConfig } from "./config-schema.js";
import { SlipwayError } from "./errors.js";

export interface ResolvedServiceEnv {
  /** Variable name → value, ready for a container. */
  env: Record<string, string>;
  /** Every value that came from the host environment; mask these in anything shown or written. */
  secretValues: string[];
}

/**
 * Resolves a service's `env`. All unset host variables are reported in one
 * CONFIG_INVALID error; `where` names the service (and its file) in it.
 */
export function resolveServiceEnv(
  env: ServiceConfig["env"],
  hostEnv: Readonly<Record<string, string | undefined>>,
  where: string,
): ResolvedServiceEnv {
  const resolved: Record<string, string> = {};
  const secretValues: string[] = [];
  const missing: { variable: string; hostVariable: string }[] = [];

  for (const [variable, value] of Object.entries(env)) {
    if (typeof value !== "object") {
      resolved[variable] = String(value);
      continue;
    }
    const secret = hostEnv[value.fromEnv];
    if (secret === undefined) {
      missing.push({ variable, hostVariable: value.fromEnv });
      continue;
    }
    resolved[variable] = secret;
    secretValues.push(...maskableParts(secret));
  }

  if (missing.length > 0) throw missingHostVariables(missing, where);
  return { env: resolved, secretValues: [...new Set(secretValues)] };
}

/** Replaces every occurrence of each secret value with `****`. */
export function maskSecrets(text: string, secretValues: readonly string[]): string {
  // Longest first, so a secret that contains another is masked whole.
  const secrets = [...secretValues].filter((s) => s !== "").sort((a, b) => b.length - a.length);
  let masked = text;
  for (const secret of secrets) masked = masked.split(secret).join("****");
  return masked;
}

/**
 * The value itself and, for a multi-line secret (a PEM key), each of its
 * lines: logs are written and masked line by line, so the whole value would
 * never match there.
 */
function maskableParts(secret: string): string[] {
  if (secret === "") return [];
  const lines = secret.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
  return lines.length > 1 ? [secret, ...lines] : [secret];
}

function missingHostVariables(missing: readonly { variable: string; hostVariable: string }[], where: string): SlipwayError {
  const list = missing.map((m) => `env.${m.variable} reads ${m.hostVariable}`).join(", ");
  const names = missing.map((m) => m.hostVariable);
  const plural = names.length === 1 ? "" : "s";
  return new SlipwayError("CONFIG_INVALID", `${where}: ${list} from the host environment, but ${names.join(", ")} ${names.length === 1 ? "is" : "are"} not set`, {
    hint: `set the host variable${plural} before running slipway (e.g. \`export ${names[0]}=…\`), or give env.${missing[0]?.variable} a literal value in slipway.service.yaml if it is not a secret`,
  });
}
