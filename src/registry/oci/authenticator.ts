// Registry authentication as Docker Hub, GHCR, Harbor and Distribution do it:
// anonymous until a 401; then Basic with the configured credentials, or the
// bearer-token flow (WWW-Authenticate: Bearer realm,service,scope → GET realm
// with those scopes, Basic credentials if any → a token for that scope set).
// Tokens are cached per scope set until shortly before they expire, and once
// a registry is known to want tokens they are fetched before each request.
import { createRequire } from "node:module";
import type { z } from "zod";
import { errorFromStatus, type Redaction, type RequestContext } from "./error-translation.js";
import { RegistryError } from "../registry-error.js";
import { readBody, type HttpRequest, type HttpResponse } from "./http-transport.js";
import { parseWwwAuthenticate } from "./www-authenticate.js";

export interface Credentials {
  username: string;
  password: string;
}

/** Sends without authentication but with retries; registry-http.ts provides it. */
export type PlainSender = (request: HttpRequest, context: RequestContext) => Promise<HttpResponse>;

/**
 * A scope set in one canonical form: one scope per resource, its actions
 * merged and sorted. Distribution names a challenge's actions in map order
 * ("push,pull" as often as "pull,push"), and asking for both spellings got
 * a token for a two-scope set no cache entry was keyed by. A resource name
 * may hold a registry's host:port, so the actions follow the last colon.
 */
export function normalizeScopes(scopes: readonly string[]): string[] {
  const actions = new Map<string, Set<string>>();
  for (const scope of scopes) {
    const last = scope.lastIndexOf(":");
    const resource = scope.indexOf(":") === last ? scope : scope.slice(0, last);
    const named = actions.get(resource) ?? new Set<string>();
    if (resource !== scope) for (const a of scope.slice(last + 1).split(",")) if (a !== "") named.add(a);
    actions.set(resource, named);
  }
  return [...actions].map(([resource, named]) => (named.size === 0 ? resource : `${resource}:${[...named].sort().join(",")}`)).sort();
}

/** Canonical key of a scope set: normalized, sorted, without duplicates. */
export function scopeKey(scopes: readonly string[]): string {
  return normalizeScopes(scopes).join(" ");
}

/** How long to use a token: its `expires_in` (60 s when absent, as the spec says) less a margin for clock and transit. */
export function tokenLifetimeMs(expiresInSeconds: number | undefined): number {
  const lifetime = (expiresInSeconds !== undefined && expiresInSeconds > 0 ? expiresInSeconds : 60) * 1000;
  return lifetime - Math.min(10_000, lifetime / 10);
}

export class TokenCache {
  readonly #entries = new Map<string, { token: string; expiresAt: number }>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  get(scopes: readonly string[]): string | undefined {
    const key = scopeKey(scopes);
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.#now()) return entry.token;
    this.#entries.delete(key);
    return undefined;
  }

  set(scopes: readonly string[], token: string, expiresInSeconds: number | undefined): void {
    this.#entries.set(scopeKey(scopes), { token, expiresAt: this.#now() + tokenLifetimeMs(expiresInSeconds) });
  }

  delete(scopes: readonly string[]): void {
    this.#entries.delete(scopeKey(scopes));
  }

  tokens(): string[] {
    return [...this.#entries.values()].map((e) => e.token);
  }
}

// zod is loaded only when a registry asks for a bearer token (see manifest-codec.ts for why).
const requireModule = createRequire(import.meta.url);
interface TokenResponse {
  token?: string | undefined;
  access_token?: string | undefined;
  expires_in?: number | undefined;
}
let tokenResponseSchema: z.ZodType<TokenResponse> | undefined;
function tokenResponse(): z.ZodType<TokenResponse> {
  if (tokenResponseSchema === undefined) {
    const { z: zod } = requireModule("zod") as typeof import("zod");
    tokenResponseSchema = zod.object({ token: zod.string().optional(), access_token: zod.string().optional(), expires_in: zod.number().optional() });
  }
  return tokenResponseSchema;
}

type Scheme = { kind: "anonymous" } | { kind: "basic" } | { kind: "bearer"; realm: URL; service: string | undefined };

export class Authenticator {
  readonly #credentials: Credentials | undefined;
  readonly #send: PlainSender;
  readonly #tokens: TokenCache;
  #scheme: Scheme = { kind: "anonymous" };

  constructor(credentials: Credentials | undefined, send: PlainSender, now: () => number = Date.now) {
    this.#credentials = credentials;
    this.#send = send;
    this.#tokens = new TokenCache(now);
  }

  get hasCredentials(): boolean {
    return this.#credentials !== undefined;
  }

  /** Everything that must never appear in an error text. */
  redaction(): Redaction {
    const c = this.#credentials;
    return { secrets: [...(c === undefined ? [] : [this.#basicValue(c), c.password]), ...this.#tokens.tokens()], names: c === undefined ? [] : [c.username] };
  }

  /** The Authorization header for a request needing `scopes`, or undefined to go anonymous. */
  async authorization(scopes: readonly string[], context: RequestContext): Promise<string | undefined> {
    const scheme = this.#scheme;
    if (scheme.kind === "basic" && this.#credentials !== undefined) return `Basic ${this.#basicValue(this.#credentials)}`;
    if (scheme.kind !== "bearer") return undefined;
    const cached = this.#tokens.get(scopes);
    return `Bearer ${cached ?? (await this.#fetchToken(scheme, scopes, context))}`;
  }

  /**
   * Learns from a 401's WWW-Authenticate. True when sending the request again
   * with new authorization may succeed; the caller does that once.
   */
  async answerChallenge(header: string | undefined, scopes: readonly string[], context: RequestContext): Promise<boolean> {
    const challenges = parseWwwAuthenticate(header);
    const bearer = challenges.find((c) => c.scheme === "bearer" && c.params["realm"] !== undefined);
    if (bearer !== undefined) {
      const realm = parseRealm(bearer.params["realm"] ?? "", context);
      this.#scheme = { kind: "bearer", realm, service: bearer.params["service"] };
      // The challenge names what this request needs; keep what we asked for too, so the cache key stays ours.
      const wanted = [...scopes, ...(bearer.params["scope"] ?? "").split(" ").filter((s) => s !== "")];
      this.#tokens.delete(scopes);
      await this.#fetchToken(this.#scheme, scopes, context, wanted);
      return true;
    }
    if (challenges.some((c) => c.scheme === "basic") && this.#credentials !== undefined && this.#scheme.kind !== "basic") {
      this.#scheme = { kind: "basic" };
      return true;
    }
    return false;
  }

  async #fetchToken(scheme: Extract<Scheme, { kind: "bearer" }>, scopes: readonly string[], context: RequestContext, wanted: readonly string[] = scopes): Promise<string> {
    const url = new URL(scheme.realm);
    if (scheme.service !== undefined) url.searchParams.set("service", scheme.service);
    for (const scope of normalizeScopes(wanted)) url.searchParams.append("scope", scope);
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#credentials !== undefined) {
      url.searchParams.set("account", this.#credentials.username);
      headers["authorization"] = `Basic ${this.#basicValue(this.#credentials)}`;
    }
    const tokenContext: RequestContext = { ...context, operation: `get an access token from ${scheme.realm.origin}${scheme.realm.pathname} to ${context.operation}` };
    const response = await this.#send({ method: "GET", url, headers }, tokenContext);
    const text = (await readBody(response.body, 1 << 20)).toString("utf8");
    if (response.status !== 200) throw errorFromStatus(response.status, text, tokenContext, this.redaction());
    const parsed = tokenResponse().safeParse(safeJson(text));
    const token = parsed.success ? (parsed.data.token ?? parsed.data.access_token) : undefined;
    if (token === undefined || token === "") {
      throw new RegistryError("REGISTRY_AUTH", `${tokenContext.operation} failed: the token service answered without a token`, { registry: context.registry, repository: context.repository, reference: context.reference, status: 200, registryCodes: [] }, {
        hint: "the registry's token service is misconfigured or not a Docker/OCI token service",
      });
    }
    this.#tokens.set(scopes, token, parsed.success ? parsed.data.expires_in : undefined);
    return token;
  }

  #basicValue(c: Credentials): string {
    return Buffer.from(`${c.username}:${c.password}`).toString("base64");
  }
}

function parseRealm(realm: string, context: RequestContext): URL {
  try {
    const url = new URL(realm);
    if (url.protocol === "http:" || url.protocol === "https:") return url;
  } catch {
    // Reported below.
  }
  throw new RegistryError("REGISTRY_AUTH", `the registry ${context.registry} names "${realm}" as its token service, which is not an http(s) URL`, { registry: context.registry, repository: context.repository, reference: context.reference, status: 401, registryCodes: [] }, {
    hint: "the registry's auth configuration is broken; tell its administrator",
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
