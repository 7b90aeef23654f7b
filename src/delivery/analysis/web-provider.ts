// A URL that answers JSON, and a JSON path into it (the subset container tests
// use: $.a.b[0], $['key']). The value found is the result, as JSON typed it.
import { SlipwayError } from "../../domain/errors.js";
import { evaluateJsonPath, parseJsonPath } from "../../pipeline/json-path.js";
import { getJson, redact } from "./http-json.js";
import type { MeasureContext, MeasureResult, MetricProvider } from "./metric-provider.js";
import { checkRevisionTemplate, fillRevisions } from "../../domain/revision-placeholders.js";

export interface WebSpec {
  /** May name {{revision}} and {{stableRevision}}. */
  url: string;
  jsonPath: string;
  headers?: Readonly<Record<string, string>>;
  /** Default 10 s. */
  timeoutMs?: number;
}

export class WebMetricProvider implements MetricProvider {
  readonly description: string;
  readonly timeoutMs: number;

  constructor(private readonly spec: WebSpec) {
    parseJsonPath(spec.jsonPath);
    checkRevisionTemplate(spec.url, "the web metric's url");
    this.description = `web ${redact(spec.url)}`;
    this.timeoutMs = (spec.timeoutMs ?? 10_000) + 1_000;
  }

  async measure(context: MeasureContext): Promise<MeasureResult> {
    const url = fillRevisions(this.spec.url, context.revision, context.stableRevision, "the web metric's url");
    const answer = await getJson(url, { headers: this.spec.headers ?? {}, signal: context.signal, timeoutMs: this.spec.timeoutMs ?? 10_000 });
    const where = `GET ${redact(url)}`;
    if (answer.status < 200 || answer.status >= 300) {
      throw new SlipwayError("MEASUREMENT_FAILED", `${where} answered ${answer.status} with ${answer.excerpt}`, { retryable: answer.status >= 500 || answer.status === 429 });
    }
    if (answer.json === undefined) throw new SlipwayError("MEASUREMENT_FAILED", `${where} answered with ${answer.excerpt}, which is not JSON`);
    const lookup = evaluateJsonPath(answer.json, this.spec.jsonPath);
    if (!lookup.found) throw new SlipwayError("MEASUREMENT_FAILED", `${where}: ${this.spec.jsonPath} is not in the answer: ${lookup.reason}`);
    return { value: lookup.value, detail: { url: redact(url), jsonPath: this.spec.jsonPath } };
  }
}
