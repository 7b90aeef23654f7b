// A ConfigProblem at a field of a YAML file: where (file:line:col of `at`,
// default the field itself), which field, what is wrong, and how to fix it.
import type { ConfigProblem, SourcePosition } from "../domain/errors.js";
import type { PathSegment, YamlSource } from "./yaml-source.js";
import { formatPath } from "./zod-problems.js";

export function problemAt(source: YamlSource, path: readonly PathSegment[], message: string, hint?: string, at: readonly PathSegment[] | SourcePosition = path): ConfigProblem {
  const problem: ConfigProblem = { position: Array.isArray(at) ? source.positionOf(at) : (at as SourcePosition), path: formatPath(path), message };
  if (hint !== undefined) problem.hint = hint;
  return problem;
}
