// The small JSON-path subset container-test expectations use: `$`, `.key`,
// `['key']` / `["key"]`, `[0]`, nested. No wildcards, filters or slices: an
// expectation names one value and compares it with one expected value.
import { SlipwayError } from "../domain/errors.js";

export type JsonPathSegment = string | number;

export type JsonPathLookup = { found: true; value: unknown } | { found: false; reason: string };

/** Splits a path into keys and indexes; a malformed path is a CONFIG_INVALID error. */
export function parseJsonPath(path: string): JsonPathSegment[] {
  const fail = (message: string): never => {
    throw new SlipwayError("CONFIG_INVALID", `JSON path ${JSON.stringify(path)} is not valid: ${message}`, {
      hint: "write paths as $.key, $.items[0].name or $['key with spaces']",
    });
  };
  if (!path.startsWith("$")) fail("it must start with $");

  const segments: JsonPathSegment[] = [];
  let i = 1;
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      const key = /^[^.[]*/.exec(path.slice(i + 1))?.[0] ?? "";
      if (key === "") fail(`expected a key after "." at column ${i + 1}`);
      segments.push(key);
      i += 1 + key.length;
    } else if (c === "[") {
      const quote = path[i + 1];
      if (quote === "'" || quote === '"') {
        const { key, end } = readQuoted(path, i + 1, fail);
        if (path[end] !== "]") fail(`expected "]" at column ${end + 1}`);
        segments.push(key);
        i = end + 1;
      } else {
        const digits = /^\d+\]/.exec(path.slice(i + 1))?.[0];
        if (digits === undefined) fail(`expected an index such as [0] or a quoted key such as ['a'] at column ${i + 1}`);
        segments.push(Number(digits?.slice(0, -1)));
        i += 1 + (digits?.length ?? 0);
      }
    } else {
      fail(`unexpected ${JSON.stringify(c)} at column ${i + 1}; expected "." or "["`);
    }
  }
  return segments;
}

/** Looks the path up in a parsed JSON document; when it is absent, says where the trail ends. */
export function evaluateJsonPath(document: unknown, path: string): JsonPathLookup {
  let current = document;
  const walked: JsonPathSegment[] = [];
  for (const segment of parseJsonPath(path)) {
    const here = formatJsonPath(walked);
    if (typeof segment === "number") {
      if (!Array.isArray(current)) return { found: false, reason: `${here} is ${describeKind(current)}, not an array` };
      if (segment >= current.length) return { found: false, reason: `${here} has ${current.length} item${current.length === 1 ? "" : "s"}, so [${segment}] is out of range` };
      current = current[segment] as unknown;
    } else {
      if (!isPlainObject(current)) return { found: false, reason: `${here} is ${describeKind(current)}, not an object` };
      if (!Object.hasOwn(current, segment)) return { found: false, reason: `${here} has no key ${JSON.stringify(segment)}${listKeys(current)}` };
      current = current[segment];
    }
    walked.push(segment);
  }
  return { found: true, value: current };
}

/** Deep equality of JSON values: same types, same array order, same object keys (in any order). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

/** A value as it appears in a failure message: JSON, shortened. */
export function formatJsonValue(value: unknown, maxLength = 200): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value);
  return text.length <= maxLength ? text : `${text.slice(0, maxLength - 1)}…`;
}

export function formatJsonPath(segments: readonly JsonPathSegment[]): string {
  return (
    "$" +
    segments
      .map((s) => (typeof s === "number" ? `[${s}]` : /^[A-Za-z_][A-Za-z0-9_-]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`))
      .join("")
  );
}

function readQuoted(path: string, start: number, fail: (message: string) => never): { key: string; end: number } {
  const quote = path[start];
  let key = "";
  for (let i = start + 1; i < path.length; i++) {
    const c = path[i];
    if (c === "\\") {
      const next = path[i + 1];
      if (next === undefined) break;
      key += next;
      i++;
    } else if (c === quote) {
      return { key, end: i + 1 };
    } else {
      key += c;
    }
  }
  return fail(`the quoted key starting at column ${start + 1} is not closed`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `the ${typeof value} ${formatJsonValue(value, 40)}`;
}

function listKeys(object: Record<string, unknown>): string {
  const keys = Object.keys(object);
  if (keys.length === 0) return " (it is empty)";
  const shown = keys.slice(0, 10).join(", ");
  return ` (it has ${shown}${keys.length > 10 ? ", …" : ""})`;
}
