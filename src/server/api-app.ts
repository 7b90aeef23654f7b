// The HTTP API of `slipway serve` as a Hono app: authentication (bearer
// tokens, or a session cookie plus a CSRF token on every mutating request),
// authorization by role, input validation with field paths, the audit of
// every mutating call, the OpenAPI document and the event stream. Tests
// call it in-process (app.request); serve.ts puts it behind a socket.
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { streamSSE } from "hono/streaming";
import type { z } from "zod";
import type { Principal } from "../app/auth.js";
import type { ServerEvent } from "../app/event-hub.js";
import type { ServeHost } from "../app/serve-host.js";
import { roleAllows, roleFor, type Permission } from "../domain/roles.js";
import { ApiError, errorAnswer, validationError } from "./api-errors.js";
import { mountDashboard } from "./dashboard.js";
import { LoginBody } from "./api-schemas.js";
import { openApiDocument } from "./openapi.js";
import type { Route } from "./route.js";
import { routes } from "./routes.js";

export const SESSION_COOKIE = "slipway_session";
export const CSRF_HEADER = "x-csrf-token";
const HEARTBEAT_MS = 15_000;

export interface ApiOptions {
  /** Cookies only over TLS (Secure) when the server speaks TLS. */
  secureCookies: boolean;
  /** Where the built dashboard is (default dist/web); the API's tests leave it out. */
  dashboardDir?: string;
}

export interface ApiApp {
  app: Hono;
  /** Ends every open event stream (graceful shutdown). */
  closeStreams(): void;
}

interface Caller {
  principal: Principal;
  /** Set when authenticated by the session cookie: mutating requests must send it back. */
  csrf?: string;
  sessionId?: string;
}

export function createApiApp(host: ServeHost, options: ApiOptions): ApiApp {
  const app = new Hono();
  const streams = new Set<() => void>();

  app.use(async (c, next) => {
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("X-Frame-Options", "DENY");
    c.header("Referrer-Policy", "no-referrer");
    if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
  });
  app.onError((err, c) => {
    const { status, body } = errorAnswer(err);
    if (err instanceof ApiError && err.extra.retryAfterSeconds !== undefined) c.header("Retry-After", String(err.extra.retryAfterSeconds));
    if (err instanceof ApiError && err.status === 401) c.header("WWW-Authenticate", 'Bearer realm="slipway"');
    return c.json(body, status as 400);
  });
  app.notFound((c) => c.json(new ApiError(404, "NOT_FOUND", `no route ${c.req.method} ${c.req.path}`, { hint: "GET /api/openapi.json lists the routes" }).body(), 404));

  app.get("/api/health", (c) => c.json({ ok: true }));
  app.get("/api/openapi.json", (c) => c.json(openApiDocument(routes)));

  app.post("/api/login", async (c) => {
    const body = parse(LoginBody, await readJson(c), "body");
    const result = await host.auth.login(body.user, body.password);
    if (result.kind === "refused") {
      if (result.retryAfterMs !== undefined) {
        const seconds = Math.ceil(result.retryAfterMs / 1000);
        throw new ApiError(429, "LOGIN_THROTTLED", `too many failed logins for ${body.user}; try again in ${seconds} s`, { retryAfterSeconds: seconds });
      }
      throw new ApiError(401, "LOGIN_FAILED", "wrong user name or password");
    }
    setCookie(c, SESSION_COOKIE, result.sessionId, { httpOnly: true, sameSite: "Strict", secure: options.secureCookies, path: "/", expires: new Date(result.expiresAt) });
    return c.json({ user: result.principal.name, role: result.principal.role, via: "session", csrfToken: result.csrf });
  });

  app.post("/api/logout", async (c) => {
    const caller = authenticate(c);
    checkCsrf(c, caller);
    if (caller.sessionId !== undefined) host.auth.logout(caller.sessionId, caller.principal);
    deleteCookie(c, SESSION_COOKIE, { path: "/" });
    return c.json({ ok: true });
  });

  app.get("/api/events", (c) => {
    const caller = authenticate(c);
    authorize(caller, "read", c);
    return streamSSE(c, async (stream) => {
      let id = 0;
      const queue: ServerEvent[] = [];
      let wake: (() => void) | undefined;
      let open = true;
      const close = (): void => {
        open = false;
        wake?.();
      };
      streams.add(close);
      const unsubscribe = host.hub.subscribe((event) => {
        queue.push(event);
        wake?.();
      });
      stream.onAbort(close);
      try {
        await stream.writeSSE({ event: "hello", data: JSON.stringify({ user: caller.principal.name, role: caller.principal.role }) });
        while (open) {
          // A revoked token, an ended session or a removed user gets nothing more: the stream ends.
          if (!host.auth.stillAuthenticated(caller.principal, caller.sessionId)) break;
          const event = queue.shift();
          if (event !== undefined) {
            await stream.writeSSE({ id: String(++id), event: event.type, data: JSON.stringify(event) });
            continue;
          }
          let timer: NodeJS.Timeout | undefined;
          await new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(resolve, HEARTBEAT_MS);
          });
          clearTimeout(timer);
          wake = undefined;
          if (open && queue.length === 0) await stream.write(": keep-alive\n\n");
        }
      } finally {
        unsubscribe();
        streams.delete(close);
      }
    });
  });

  for (const r of routes) app.on(r.method.toUpperCase(), r.path, (c) => handle(c, r));
  mountDashboard(app, {
    ...(options.dashboardDir === undefined ? {} : { dir: options.dashboardDir }),
    loggedIn: (c) => {
      const sessionId = getCookie(c, SESSION_COOKIE);
      return sessionId !== undefined && host.auth.authenticateSession(sessionId) !== undefined;
    },
  });

  async function handle(c: Context, r: Route): Promise<Response> {
    const caller = authenticate(c);
    const mutating = r.method !== "get";
    let status = 500;
    let subject = c.req.path;
    try {
      if (mutating) checkCsrf(c, caller);
      authorize(caller, r.permission, c);
      const params = r.params === undefined ? {} : parse(r.params, c.req.param(), "params");
      const query = r.query === undefined ? {} : parse(r.query, c.req.query(), "query");
      const body = r.body === undefined ? {} : parse(r.body, await readJson(c), "body");
      subject = r.subject?.({ params, body }) ?? subject;
      const result = await r.handle({ params, query, body, principal: caller.principal, ...(caller.csrf === undefined ? {} : { csrf: caller.csrf }), host, signal: c.req.raw.signal });
      status = r.status ?? 200;
      // What a write recorded for an environment is driven now by this process's controller, not at its next poll of the store.
      if (mutating && typeof (params as { env?: unknown }).env === "string") host.wakeups.wake((params as { env: string }).env);
      if (result instanceof Response) return result;
      return c.json(result as object, status as 200);
    } catch (err) {
      status = errorAnswer(err).status;
      throw err;
    } finally {
      if (mutating) {
        host.auth.recordCall(caller.principal, { method: r.method.toUpperCase(), path: c.req.path, status, subject });
        host.hub.emit({ type: "audit.appended", actor: caller.principal.name, action: `api ${r.method.toUpperCase()}`, subject });
      }
    }
  }

  /** A bearer token, else the session cookie; 401 without either. */
  function authenticate(c: Context): Caller {
    const authorization = c.req.header("authorization");
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      const principal = match?.[1] === undefined ? undefined : host.auth.authenticateToken(match[1]);
      if (principal === undefined) throw new ApiError(401, "UNAUTHENTICATED", "the bearer token is unknown or revoked", { hint: "create one with `slipway token create --user <user> --role <role>`" });
      return { principal };
    }
    const sessionId = getCookie(c, SESSION_COOKIE);
    const session = sessionId === undefined ? undefined : host.auth.authenticateSession(sessionId);
    if (sessionId === undefined || session === undefined) throw new ApiError(401, "UNAUTHENTICATED", "log in (POST /api/login) or send Authorization: Bearer <token>");
    return { principal: session.principal, csrf: session.csrf, sessionId };
  }

  function checkCsrf(c: Context, caller: Caller): void {
    if (caller.csrf === undefined) return;
    const sent = c.req.header(CSRF_HEADER);
    if (sent === undefined || !host.auth.sameSecret(sent, caller.csrf)) {
      throw new ApiError(403, "CSRF", `a mutating request of a browser session must send its CSRF token in ${CSRF_HEADER}`, { hint: "GET /api/session returns it as csrfToken" });
    }
  }

  function authorize(caller: Caller, permission: Permission, c: Context): void {
    if (roleAllows(caller.principal.role, permission)) return;
    throw new ApiError(403, "FORBIDDEN", `${caller.principal.name} is a ${caller.principal.role}; ${c.req.method} ${c.req.path} needs the ${roleFor(permission)} role or higher`);
  }

  return {
    app,
    closeStreams: () => {
      for (const close of [...streams]) close();
    },
  };
}

function parse<T>(schema: z.ZodType<T>, value: unknown, where: "params" | "query" | "body"): T {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(where, result.error);
  return result.data;
}

/** The request's JSON body ({} when empty); other content types are refused, which also keeps HTML forms from posting. */
async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  if (!/^application\/json\b/i.test(c.req.header("content-type") ?? "")) {
    throw new ApiError(400, "VALIDATION", "send the body as JSON (Content-Type: application/json)", { issues: [{ path: "body", message: "must be JSON" }] });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, "VALIDATION", `the body is not JSON: ${(err as Error).message}`, { issues: [{ path: "body", message: "must be JSON" }] });
  }
}
