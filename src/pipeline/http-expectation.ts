// An HTTP expectation, checked: one request, then its status, JSON paths and
// body text against what the test expects. Shared by container tests (against
// a freshly built image) and integration tests (against a deployed system).
import type { ContainerTest } from "../domain/config-schema.js";
import { evaluateJsonPath, formatJsonValue, jsonEqual } from "./json-path.js";

export type HttpExpectation = Pick<NonNullable<ContainerTest["http"]>, "method" | "path" | "headers" | "body" | "expect">;

export interface Check {
  passed: boolean;
  detail: string;
}

export async function checkHttp(http: HttpExpectation, baseUrl: string, timeoutMs: number, signal: AbortSignal): Promise<Check> {
  const what = `${http.method} ${http.path}`;
  let status: number;
  let body: string;
  try {
    const res = await fetch(baseUrl + http.path, {
      method: http.method,
      headers: http.headers,
      body: http.body,
      redirect: "manual",
      signal: AbortSignal.any([signal, AbortSignal.timeout(Math.ceil(timeoutMs))]),
    });
    status = res.status;
    body = await res.text();
  } catch (err) {
    signal.throwIfAborted();
    return { passed: false, detail: `${what}: ${describeFetchError(err, timeoutMs)}` };
  }
  const problems = expectationProblems(http.expect, status, body);
  return problems.length === 0 ? { passed: true, detail: `${what} → ${status}` } : { passed: false, detail: `${what}: ${problems.join("; ")}` };
}

function expectationProblems(expect: HttpExpectation["expect"], status: number, body: string): string[] {
  const problems: string[] = [];
  if (status !== expect.status) problems.push(`status: expected ${expect.status}, got ${status} (body: ${excerpt(body)})`);
  if (expect.json !== undefined) {
    const document = parseJson(body);
    if (!document.parsed) problems.push(`body: expected JSON, got ${excerpt(body)}`);
    else for (const [path, expected] of Object.entries(expect.json)) problems.push(...jsonPathProblems(document.value, path, expected));
  }
  if (expect.bodyContains !== undefined && !body.includes(expect.bodyContains)) {
    problems.push(`body: expected it to contain ${JSON.stringify(expect.bodyContains)}, got ${excerpt(body)}`);
  }
  return problems;
}

function parseJson(text: string): { parsed: true; value: unknown } | { parsed: false } {
  try {
    return { parsed: true, value: JSON.parse(text) as unknown };
  } catch {
    return { parsed: false };
  }
}

function jsonPathProblems(document: unknown, path: string, expected: unknown): string[] {
  try {
    const lookup = evaluateJsonPath(document, path);
    if (!lookup.found) return [`${path}: expected ${formatJsonValue(expected)}, got nothing (${lookup.reason})`];
    return jsonEqual(lookup.value, expected) ? [] : [`${path}: expected ${formatJsonValue(expected)}, got ${formatJsonValue(lookup.value)}`];
  } catch (err) {
    return [err instanceof Error ? err.message : String(err)];
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return `no response within ${formatSeconds(timeoutMs)}`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code === "ECONNREFUSED") return "connection refused";
  if (cause?.code === "ECONNRESET" || cause?.code === "UND_ERR_SOCKET") return "connection closed without a response";
  return cause?.message ?? (err instanceof Error ? err.message : String(err));
}

function excerpt(body: string): string {
  return body === "" ? "an empty body" : JSON.stringify(shorten(body.trim(), 200));
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))}s`;
}
