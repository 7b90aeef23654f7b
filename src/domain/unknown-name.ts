// The error for a command-line argument that names no service or
// environment: what was given, the closest known name, and the known ones.
import { didYouMean } from "./did-you-mean.js";
import { SlipwayError } from "./errors.js";

export type NamedKind = "service" | "environment";

export function unknownNameError(kind: NamedKind, name: string, known: readonly string[], where: string): SlipwayError {
  const suggestion = didYouMean(name, known);
  const list = `${kind}s: ${[...known].sort().join(", ") || "none"}`;
  return new SlipwayError("USAGE", `there is no ${kind} "${name}" in ${where}`, { hint: suggestion === undefined ? list : `did you mean "${suggestion}"? (${list})` });
}

/** The item called `name`, or the unknown-name error. */
export function findNamed<T>(kind: NamedKind, name: string, items: readonly T[], nameOf: (item: T) => string, where: string): T {
  const found = items.find((item) => nameOf(item) === name);
  if (found === undefined) throw unknownNameError(kind, name, items.map(nameOf), where);
  return found;
}
