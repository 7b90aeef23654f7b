// One GET that expects JSON, for the prometheus and web providers: every way
// it can go wrong becomes a MEASUREMENT_FAILED error that says which, since a
// person reads it in a measurement's message.
import { SlipwayError } from "../../domain/errors.js";

export interface JsonAnswer {
  status: number;
  /** The parsed body; undefined when it was not JSON. */
  json: unknown;
  /** The body, shortened, for messages. */
  excerpt: string;
}

export async function getJson(url: string, options: { headers?: Readonly<Record<string, string>>; signal: AbortSignal; timeoutMs: number }): Promise<JsonAnswer> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      headers: { accept: "application/json", ...options.headers },
      redirect: "follow",
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
    });
    text = await response.text();
  } catch (err) {
    options.signal.throwIfAborted();
    throw new SlipwayError("MEASUREMENT_FAILED", `GET ${redact(url)}: ${describeFetchError(err, options.timeoutMs)}`, { cause: err, retryable: true });
  }
  return { status: response.status, json: parseJson(text), excerpt: excerpt(text) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function excerpt(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "an empty body";
  return JSON.stringify(trimmed.length <= 200 ? trimmed : `${trimmed.slice(0, 199)}…`);
}

/** Drops user:password from a URL before it goes into a message. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === "" && parsed.password === "") return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return `no answer within ${timeoutMs / 1000} s`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code === "ECONNREFUSED") return "connection refused";
  if (cause?.code === "ENOTFOUND") return "the host name does not resolve";
  if (cause?.code === "ECONNRESET" || cause?.code === "UND_ERR_SOCKET") return "the connection closed without an answer";
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}
