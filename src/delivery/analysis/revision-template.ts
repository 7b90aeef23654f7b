// `{{revision}}` and `{{stableRevision}}` in a query or URL, so one metric
// definition measures whichever revision is under analysis, and the same
// query with the stable revision gives the baseline to compare with.
import { SlipwayError } from "../../domain/errors.js";

const placeholder = /\{\{\s*([^}]*?)\s*\}\}/g;
const known = new Set(["revision", "stableRevision"]);

/** Throws CONFIG_INVALID for placeholders other than revision and stableRevision. */
export function checkRevisionTemplate(template: string, what: string): void {
  for (const match of template.matchAll(placeholder)) {
    if (!known.has(match[1] ?? "")) {
      throw new SlipwayError("CONFIG_INVALID", `${what} has the placeholder ${match[0]}, which slipway does not fill`, {
        hint: "the placeholders are {{revision}} (the revision under analysis) and {{stableRevision}}",
      });
    }
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
