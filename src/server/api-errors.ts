// How the API answers when something goes wrong: one JSON shape,
// { error: { code, message, hint?, issues? } }, and an HTTP status per
// slipway error code. Validation issues name the field's path
// (body.version, params.env, query.limit).
import type { z } from "zod";
import { asSlipwayError, type ErrorCode } from "../domain/errors.js";

export interface ApiErrorBody {
  error: { code: string; message: string; hint?: string; issues?: { path: string; message: string }[] };
}

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 429,
    readonly code: string,
    message: string,
    readonly extra: { hint?: string; issues?: { path: string; message: string }[]; retryAfterSeconds?: number } = {},
  ) {
    super(message);
  }

  body(): ApiErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.extra.hint === undefined ? {} : { hint: this.extra.hint }), ...(this.extra.issues === undefined ? {} : { issues: this.extra.issues }) } };
  }
}

export function validationError(where: "params" | "query" | "body", error: z.ZodError): ApiError {
  const issues = error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join("."), message: i.message }));
  return new ApiError(400, "VALIDATION", `invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, { issues });
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  USAGE: 400,
  USER_NOT_FOUND: 404,
  LAST_ADMIN: 409,
  CONFIG_INVALID: 500,
  REFERENCE_INVALID: 400,
  APPROVAL_REFUSED: 403,
  RELEASE_BLOCKED: 409,
  RELEASE_REFUSED: 409,
  ROLLOUT_IN_PROGRESS: 409,
  ENGINE_UNAVAILABLE: 503,
  REGISTRY_UNAVAILABLE: 502,
  REGISTRY_NOT_FOUND: 404,
  ROUTER_UNAVAILABLE: 503,
};

/** The status and body of any error a use case threw. */
export function errorAnswer(thrown: unknown): { status: number; body: ApiErrorBody } {
  if (thrown instanceof ApiError) return { status: thrown.status, body: thrown.body() };
  const err = asSlipwayError(thrown);
  return { status: STATUS[err.code] ?? 500, body: { error: { code: err.code, message: err.message, ...(err.hint === undefined ? {} : { hint: err.hint }) } } };
}
