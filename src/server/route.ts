// One API route: method, path, who may call it, the zod schemas of its
// inputs, and the use case it calls. The table of these is both the router
// and the OpenAPI document.
import type { z } from "zod";
import type { Principal } from "../app/auth.js";
import type { ServeHost } from "../app/serve-host.js";
import type { Permission } from "../domain/roles.js";

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  principal: Principal;
  /** The session's CSRF token, for a caller authenticated by its session cookie. */
  csrf?: string;
  host: ServeHost;
  /** Aborts when the client disconnects. */
  signal: AbortSignal;
}

export interface Route<P = unknown, Q = unknown, B = unknown> {
  method: "get" | "post";
  /** Hono style: /api/environments/:env/… */
  path: string;
  summary: string;
  tag: string;
  permission: Permission;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** The success answer's schema, for the OpenAPI document; described loosely when absent. */
  response?: z.ZodType;
  status?: 200 | 202;
  /** "text": the handler answers a text/plain stream (a Response), written as it grows. */
  produces?: "text";
  /** What a mutating call acts on, for the audit log. */
  subject?: (input: { params: P; body: B }) => string;
  handle(input: RouteInput<P, Q, B>): Promise<unknown> | unknown;
}

/** Keeps each route's input types tied to its schemas. */
export function route<P = Record<string, never>, Q = Record<string, never>, B = Record<string, never>>(r: Route<P, Q, B>): Route {
  return r as unknown as Route;
}
