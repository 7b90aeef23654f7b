// Turns zod issues into ConfigProblems a person can act on: where (file:line:col
// and field path), what was expected, what was found, and a did-you-mean for
// misspelled keys and enum values.
import type { z } from "zod";
import { didYouMean } from "../domain/did-you-mean.js";
import type { ConfigProblem } from "../domain/errors.js";
import type { PathSegment, YamlSource } from "./yaml-source.js";

type Issue = z.core.$ZodIssue;

export function problemsFromIssues(issues: readonly Issue[], source: YamlSource, schema: z.ZodType): ConfigProblem[] {
  return issues.flatMap((issue) => problemsFromIssue(issue, source, schema));
}

function problemsFromIssue(issue: Issue, source: YamlSource, schema: z.ZodType): ConfigProblem[] {
  const path = issue.path.filter((p): p is PathSegment => typeof p !== "symbol");
  const found = valueAt(source.value, path);

  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(schema, path);
    return issue.keys.map((key) => {
      const suggestion = didYouMean(key, known);
      return {
        position: source.positionOf([...path, key], { key: true }),
        path: formatPath([...path, key]),
        message: `unknown field "${key}"`,
        hint: suggestion !== undefined ? `did you mean "${suggestion}"?` : `allowed here: ${known.join(", ")}`,
      };
    });
  }

  // What the user wrote, for scalars YAML turned into something else ("1.0" became 1).
  const written = source.scalarSource(path);
  const problem: ConfigProblem = {
    position: source.positionOf(path, { key: found === undefined }),
    path: formatPath(path),
    message: describeIssue(issue, found, written),
  };
  if (issue.code === "invalid_value" && typeof found === "string") {
    const suggestion = didYouMean(found, issue.values.map(String));
    if (suggestion !== undefined) problem.hint = `did you mean "${suggestion}"?`;
  }
  if (issue.code === "invalid_type" && issue.expected === "string" && (typeof found === "number" || typeof found === "boolean")) {
    problem.hint = quoteHint(path, found, written ?? String(found));
  }
  if (issue.code === "invalid_key") {
    problem.position = source.positionOf(path, { key: true });
  }
  return [problem];
}

function describeIssue(issue: Issue, found: unknown, written: string | undefined): string {
  const foundText = typeof found === "number" && written !== undefined ? `number ${written}` : describeValue(found);
  switch (issue.code) {
    case "invalid_type":
      return found === undefined ? `is required (expected ${article(issue.expected)})` : `expected ${article(issue.expected)}, found ${foundText}`;
    case "invalid_value":
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, found ${foundText}`;
    case "too_small":
      return issue.origin === "array"
        ? `needs at least ${String(issue.minimum)} item${issue.minimum === 1 ? "" : "s"}, found ${Array.isArray(found) ? found.length : 0}`
        : issue.origin === "string"
          ? `must not be empty`
          : `must be ${issue.inclusive === false ? "more than" : "at least"} ${String(issue.minimum)}, found ${foundText}`;
    case "too_big":
      return `must be at most ${String(issue.maximum)}, found ${foundText}`;
    case "invalid_format":
      return `${customOrDefault(issue.message, `must be a valid ${issue.format}`)}, found ${foundText}`;
    case "not_multiple_of":
      return `must be a multiple of ${String(issue.divisor)}, found ${foundText}`;
    case "invalid_key":
      return `key ${foundKey(issue.path)} ${issue.issues[0]?.message ?? "is not allowed"}`;
    case "invalid_union":
      // A schema that knows what its forms mean says so (env values, durations).
      return /^[a-z]/.test(issue.message) ? issue.message : `does not match any allowed form, found ${foundText}`;
    default:
      return issue.message;
  }
}

/**
 * YAML reads unquoted 1.0 as a number and yes/no-like words as booleans; a
 * field that wants a string says how to keep what was written.
 */
function quoteHint(path: readonly PathSegment[], found: number | boolean, written: string): string {
  if (path[path.length - 1] === "version" && typeof found === "number") {
    const parts = written.split(".");
    const semver = [...parts, "0", "0"].slice(0, 3).join(".");
    return `YAML reads ${written} as a number; write a semantic version in quotes, e.g. version: "${semver}"`;
  }
  return `YAML reads ${written} as a ${typeof found}; quote it: "${written}"`;
}

/** zod's stock messages start with a capital ("Invalid ..."); ours are lower-case clauses. */
function customOrDefault(message: string, fallback: string): string {
  return /^[A-Z]/.test(message) ? fallback : message;
}

function foundKey(path: readonly PropertyKey[]): string {
  return JSON.stringify(String(path[path.length - 1]));
}

function article(typeName: string): string {
  return /^[aeiou]/.test(typeName) ? `an ${typeName}` : `a ${typeName}`;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `string ${JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value)}`;
  return `${typeof value} ${String(value)}`;
}

export function formatPath(path: readonly PathSegment[]): string {
  return path.reduce<string>((acc, seg) => (typeof seg === "number" ? `${acc}[${seg}]` : acc === "" ? seg : `${acc}.${seg}`), "");
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node: unknown = root;
  for (const seg of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PathSegment, unknown>)[seg];
  }
  return node;
}

/** The keys a strict object at `path` allows, found by walking the schema. */
export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let node: z.core.$ZodType | undefined = schema;
  for (const seg of path) {
    node = node === undefined ? undefined : childOf(unwrap(node), seg);
  }
  return node === undefined ? [] : objectKeys(unwrap(node));
}

/** An object's keys; a union's are those of its object forms (`{ fromEnv }` beside plain values). */
function objectKeys(schema: z.core.$ZodType): string[] {
  const def = schema._zod.def as { type: string; options?: z.core.$ZodType[] };
  if (def.type === "object") return Object.keys((def as z.core.$ZodObjectDef).shape);
  if (def.type === "union") return [...new Set((def.options ?? []).flatMap((o) => objectKeys(unwrap(o))))];
  return [];
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let node = schema;
  for (;;) {
    const def = node._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.innerType !== undefined) node = def.innerType;
    else if (def.type === "pipe" && def.in !== undefined) node = def.in;
    else return node;
  }
}

function childOf(schema: z.core.$ZodType, segment: PathSegment): z.core.$ZodType | undefined {
  const def = schema._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType; valueType?: z.core.$ZodType; options?: z.core.$ZodType[] };
  switch (def.type) {
    case "object":
      return typeof segment === "string" ? def.shape?.[segment] : undefined;
    case "array":
      return def.element;
    case "record":
      return def.valueType;
    case "union":
      return def.options?.map((o) => childOf(unwrap(o), segment)).find((c) => c !== undefined);
    default:
      return undefined;
  }
}
