// The OpenAPI 3.1 document of the API, generated from the route table and
// its zod schemas (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
import { z } from "zod";
import { ROLES, roleFor } from "../domain/roles.js";
import { ErrorResponse, LoginBody, SessionResponse } from "./api-schemas.js";
import type { Route } from "./route.js";
import { slipwayVersion } from "../app/version.js";

type JsonSchema = Record<string, unknown>;

const schemaOf = (schema: z.ZodType, io: "input" | "output"): JsonSchema => {
  // The document names the dialect once (jsonSchemaDialect).
  const json = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "any" }) as JsonSchema;
  delete json["$schema"];
  return json;
};

const errorContent = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
const errors = (...statuses: number[]): Record<string, unknown> => {
  const words: Record<number, string> = { 400: "invalid input; issues name each field's path", 401: "no or unknown credentials", 403: "the caller's role may not, or a session's CSRF token is missing", 409: "refused by the state (a policy, a rollout in progress)", 429: "too many failed logins: Retry-After says when to try again" };
  return Object.fromEntries(statuses.map((s) => [String(s), { description: words[s] ?? "error", content: errorContent }]));
};

/** /api/environments/:env → /api/environments/{env} */
const openApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, "{$1}");

function parametersOf(r: Route): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [["path", r.params], ["query", r.query]] as const) {
    if (schema === undefined) continue;
    const json = schemaOf(schema, "input") as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, s] of Object.entries(json.properties ?? {})) {
      out.push({ name, in: where, required: where === "path" || (json.required ?? []).includes(name), schema: s, ...(typeof s["description"] === "string" ? { description: s["description"] } : {}) });
    }
  }
  return out;
}

export function openApiDocument(routes: readonly Route[]): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {
    "/api/health": { get: { summary: "liveness", tags: ["server"], security: [], responses: { "200": { description: "the server answers" } } } },
    "/api/login": {
      post: {
        summary: "log in with a user's password: sets the HttpOnly, SameSite=Strict session cookie and returns the CSRF token",
        tags: ["auth"],
        security: [],
        requestBody: { required: true, content: { "application/json": { schema: schemaOf(LoginBody, "input") } } },
        responses: { "200": { description: "logged in", content: { "application/json": { schema: schemaOf(SessionResponse, "output") } } }, ...errors(400, 401, 429) },
      },
    },
    "/api/logout": { post: { summary: "end the session", tags: ["auth"], responses: { "200": { description: "logged out" }, ...errors(401, 403) } } },
    "/api/events": {
      get: {
        summary: "server-sent events: rollout progress (state, weights, analyses), rollouts started, releases and approvals, CI runs' stages, audit entries",
        tags: ["events"],
        "x-required-role": "viewer",
        responses: { "200": { description: "an event stream; each event's name is its type, its data the JSON event", content: { "text/event-stream": { schema: { type: "string" } } } }, ...errors(401, 403) },
      },
    },
    "/api/openapi.json": { get: { summary: "this document", tags: ["server"], security: [], responses: { "200": { description: "OpenAPI 3.1" } } } },
  };
  for (const r of routes) {
    const path = openApiPath(r.path);
    const parameters = parametersOf(r);
    const success = String(r.status ?? 200);
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      "x-required-role": roleFor(r.permission),
      ...(parameters.length === 0 ? {} : { parameters }),
      ...(r.body === undefined ? {} : { requestBody: { required: false, content: { "application/json": { schema: schemaOf(r.body, "input") } } } }),
      responses: {
        [success]: r.produces === "text" ? { description: "text, streamed as it grows", content: { "text/plain": { schema: { type: "string" } } } } : { description: "done", content: { "application/json": { schema: r.response === undefined ? { type: "object" } : schemaOf(r.response, "output") } } },
        ...errors(400, 401, 403, ...(r.method === "post" ? [409] : [])),
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Slipway API", version: slipwayVersion() ?? "0.0.0", description: `Roles, each allowing what the one before does: ${ROLES.join(" < ")}. Browser sessions send the CSRF token (from login or GET /api/session) in X-CSRF-Token on every POST.` },
    jsonSchemaDialect: "https://json-schema.org/draft/2020-12/schema",
    components: {
      schemas: { Error: schemaOf(ErrorResponse, "output") },
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "an API token from `slipway token create`" },
        session: { type: "apiKey", in: "cookie", name: "slipway_session" },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
    paths,
  };
}
