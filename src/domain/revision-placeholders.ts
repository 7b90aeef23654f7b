// `{{revision}}` and `{{stableRevision}}` in a query or URL, so one metric
// definition measures whichever revision is under analysis, and the same
// query with the stable revision gives the baseline to compare with.
import { didYouMean } from "./did-you-mean.js";
import { SlipwayError } from "./errors.js";

const placeholder = /\{\{\s*([^}]*?)\s*\}\}/g;
const known = ["revision", "stableRevision"];

export interface UnknownPlaceholder {
  /** As written, e.g. "{{revison}}". */
  text: string;
  /** 0-based offset in the template. */
  at: number;
  suggestion?: string;
}

/** Placeholders slipway does not fill, with a did-you-mean. */
export function unknownPlaceholders(template: string): UnknownPlaceholder[] {
  return [...template.matchAll(placeholder)]
    .filter((m) => !known.includes(m[1] ?? ""))
    .map((m) => {
      const suggestion = didYouMean(m[1] ?? "", known);
      return { text: m[0], at: m.index, ...(suggestion === undefined ? {} : { suggestion: `{{${suggestion}}}` }) };
    });
}

export const placeholderHint = "the placeholders are {{revision}} (the revision under analysis) and {{stableRevision}}";

/** Throws CONFIG_INVALID for placeholders other than revision and stableRevision. */
export function checkRevisionTemplate(template: string, what: string): void {
  const [unknown] = unknownPlaceholders(template);
  if (unknown !== undefined) {
    throw new SlipwayError("CONFIG_INVALID", `${what} has the placeholder ${unknown.text}, which slipway does not fill`, { hint: placeholderHint });
  }
}

export function mentionsRevision(template: string): boolean {
  return [...template.matchAll(placeholder)].some((m) => m[1] === "revision");
}

export function mentionsStableRevision(template: string): boolean {
  return [...template.matchAll(placeholder)].some((m) => m[1] === "stableRevision");
}

export function fillRevisions(template: string, revision: string, stableRevision: string | undefined, what: string): string {
  return template.replace(placeholder, (whole, name: string) => {
    if (name === "revision") return revision;
    if (stableRevision === undefined) {
      throw new SlipwayError("MEASUREMENT_FAILED", `${what} names {{stableRevision}}, but there is no stable revision (is this the first rollout?)`);
    }
    return stableRevision;
  });
}
