// The dashboard's only way to the server: typed calls over fetch. A browser
// session is a cookie the server sets at login; every mutating request sends
// the session's CSRF token back in X-CSRF-Token.
import type { ApiErrorBody, RolloutAction, RolloutAnswer, Session, StatusAnswer, SystemInfo, TrafficSeries } from "./types.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The server's words for a refusal, with its hint, as a page shows them. */
export function failureText(err: unknown): string {
  const hint = err instanceof ApiError && err.hint !== undefined ? ` ${err.hint}.` : "";
  return `${err instanceof Error ? err.message : String(err)}.${hint}`;
}

let csrfToken: string | undefined;
const unauthenticatedListeners = new Set<() => void>();

/** Called when the server answers 401: the session ended (logout, expiry, restart). */
export function onUnauthenticated(listener: () => void): () => void {
  unauthenticatedListeners.add(listener);
  return () => unauthenticatedListeners.delete(listener);
}

export async function request<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  // No Accept header: a request must look like the preload the server names for the overview (dashboard.ts), or the browser fetches again.
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && csrfToken !== undefined) headers["x-csrf-token"] = csrfToken;
  const res = await fetch(path, { method, headers, credentials: "same-origin", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  const json: unknown = text === "" ? {} : JSON.parse(text);
  if (!res.ok) {
    const error = (json as Partial<ApiErrorBody>).error;
    if (res.status === 401 && path !== "/api/login") for (const listener of [...unauthenticatedListeners]) listener();
    throw new ApiError(res.status, error?.code ?? "HTTP", error?.message ?? `${method} ${path} answered ${res.status}`, error?.hint);
  }
  return json as T;
}

function remember(session: Session): Session {
  csrfToken = session.csrfToken;
  return session;
}

const enc = encodeURIComponent;
const rolloutPath = (env: string, service: string): string => `/api/environments/${enc(env)}/services/${enc(service)}`;

export const api = {
  session: async (): Promise<Session> => remember(await request<Session>("GET", "/api/session")),
  login: async (user: string, password: string): Promise<Session> => remember(await request<Session>("POST", "/api/login", { user, password })),
  logout: async (): Promise<void> => {
    await request("POST", "/api/logout");
    csrfToken = undefined;
  },
  system: (): Promise<SystemInfo> => request("GET", "/api/system"),
  status: (env?: string): Promise<StatusAnswer> => request("GET", env === undefined ? "/api/status" : `/api/status?env=${enc(env)}`),
  rollout: (env: string, service: string): Promise<RolloutAnswer> => request("GET", `${rolloutPath(env, service)}/rollout`),
  rolloutAction: (env: string, service: string, action: RolloutAction, body: { full?: boolean; reason?: string } = {}): Promise<unknown> => request("POST", `${rolloutPath(env, service)}/rollout/${action}`, body),
  traffic: (env: string, service: string): Promise<TrafficSeries> => request("GET", `${rolloutPath(env, service)}/traffic`),
  rollback: (env: string, service: string): Promise<unknown> => request("POST", `${rolloutPath(env, service)}/rollback`, {}),
};
