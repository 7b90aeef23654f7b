// Turns what a registry answered (or a connection that failed) into a
// RegistryError with a stable code, the retryable flag, a message naming the
// registry, repository and reference, and a hint. Credentials never reach the
// text: anything that may echo them is masked first.
import type { ErrorCode } from "../../domain/errors.js";
import { formatReference } from "../reference.js";
import { RegistryError } from "../registry-error.js";

export interface RequestContext {
  registry: string;
  /** What was being done, in words: "get manifest", "upload blob". */
  operation: string;
  /** As the registry names it. */
  repository?: string;
  reference?: string;
  /** Whether credentials were configured, for the hint on a 401. */
  hasCredentials: boolean;
}

export interface RegistryErrorEntry {
  code: string;
  message: string;
}

/** The `{"errors":[{code,message}]}` body of the distribution spec; tolerant of anything else. */
export function parseErrorBody(text: string): RegistryErrorEntry[] {
  try {
    const body = JSON.parse(text) as { errors?: unknown };
    if (!Array.isArray(body.errors)) return [];
    return body.errors
      .filter((e): e is Record<string, unknown> => typeof e === "object" && e !== null)
      .map((e) => ({ code: typeof e["code"] === "string" ? e["code"] : "UNKNOWN", message: typeof e["message"] === "string" ? e["message"] : "" }));
  } catch {
    return [];
  }
}

/** "get manifest team/app:1 at registry 127.0.0.1:5001" */
export function describeRequest(context: RequestContext): string {
  const subject = context.repository === undefined ? "" : ` ${context.reference === undefined ? context.repository : formatReference(context.repository, context.reference)}`;
  return `${context.operation}${subject} at registry ${context.registry}`;
}

export function errorFromStatus(status: number, bodyText: string, context: RequestContext, redaction: Redaction, retryAfter?: string): RegistryError {
  const entries = parseErrorBody(bodyText);
  const codes = entries.map((e) => e.code);
  const said = entries.length > 0 ? entries.map((e) => `${e.code}${e.message === "" ? "" : ` (${e.message})`}`).join(", ") : firstLine(bodyText);
  const { code, hint, retryable } = classify(status, codes, context);
  const wait = retryAfter === undefined ? "" : `; the registry asks to retry after ${retryAfter}`;
  const message = maskSecrets(`${describeRequest(context)} failed: ${status}${said === "" ? "" : ` ${said}`}${wait}`, redaction);
  return new RegistryError(code, message, details(context, status, codes), { hint, retryable });
}

export function errorFromNetwork(err: unknown, attempts: number, context: RequestContext, redaction: Redaction, retryable = true): RegistryError {
  const reason = maskSecrets(err instanceof Error ? err.message : String(err), redaction);
  const tries = attempts === 1 ? "" : ` (${attempts} attempts)`;
  return new RegistryError("REGISTRY_UNAVAILABLE", `${describeRequest(context)} failed: cannot reach the registry: ${reason}${tries}`, details(context, 0, []), {
    hint: `check that the registry at ${context.registry} is running and reachable (\`slipway up\` starts the local ones)${retryable ? "; trying again later may succeed" : ""}`,
    retryable,
    cause: err instanceof Error ? Object.assign(new Error(reason), { code: (err as NodeJS.ErrnoException).code }) : undefined,
  });
}

function classify(status: number, codes: readonly string[], context: RequestContext): { code: ErrorCode; hint: string; retryable: boolean } {
  if (codes.includes("DIGEST_INVALID") || codes.includes("SIZE_INVALID")) {
    return { code: "DIGEST_MISMATCH", hint: "the bytes sent do not hash to the digest given; nothing was stored", retryable: false };
  }
  if (status === 401) {
    const hint = context.hasCredentials ? `the registry refused the username and password given for ${context.registry}; check them` : `the registry at ${context.registry} needs credentials; configure a username and password for it`;
    return { code: "REGISTRY_AUTH", hint, retryable: false };
  }
  if (status === 403 || codes.includes("DENIED")) {
    return { code: "REGISTRY_AUTH", hint: `the credentials may not ${context.operation} in this repository; ask the registry's administrator for access`, retryable: false };
  }
  if (status === 404) return { code: "REGISTRY_NOT_FOUND", hint: "check the repository name and the tag or digest; listing the repository's tags shows what exists", retryable: false };
  if (status === 429 || status === 502 || status === 503 || status === 504) {
    return { code: "REGISTRY_UNAVAILABLE", hint: "the registry is overloaded or restarting; trying again later may succeed", retryable: true };
  }
  if (status >= 500) return { code: "REGISTRY_UNAVAILABLE", hint: `the registry at ${context.registry} failed on its side; its logs say why`, retryable: false };
  if (codes.includes("MANIFEST_BLOB_UNKNOWN")) return { code: "REGISTRY_REFUSED", hint: "push every blob and child manifest a manifest names before the manifest itself", retryable: false };
  if (status === 405 || codes.includes("UNSUPPORTED")) return { code: "REGISTRY_REFUSED", hint: "this registry does not allow that operation (deletes are often disabled)", retryable: false };
  return { code: "REGISTRY_REFUSED", hint: "the registry found the request invalid; its answer above says why", retryable: false };
}

function details(context: RequestContext, status: number, registryCodes: readonly string[]): RegistryError["details"] {
  return { registry: context.registry, repository: context.repository, reference: context.reference, status, registryCodes };
}

function firstLine(text: string): string {
  const line = text.trim().split("\n")[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** What must not appear in error text. */
export interface Redaction {
  /** Masked wherever they occur: passwords, tokens, Basic auth values. */
  secrets: readonly string[];
  /** Masked where they stand as a whole word, so a short username does not garble the text: usernames. */
  names: readonly string[];
}

export const NOTHING_TO_REDACT: Redaction = { secrets: [], names: [] };

export function maskSecrets(text: string, redaction: Redaction): string {
  let masked = text;
  for (const secret of redaction.secrets) if (secret !== "") masked = masked.split(secret).join("***");
  for (const name of redaction.names) {
    if (name !== "") masked = masked.replace(new RegExp(`(?<![A-Za-z0-9._-])${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9._-])`, "g"), "***");
  }
  return masked;
}
