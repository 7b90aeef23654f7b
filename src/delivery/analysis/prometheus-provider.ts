// PromQL over Prometheus' HTTP API (GET /api/v1/query, an instant query).
// Results become what Argo Rollouts gives conditions: a scalar is a number, a
// vector an array of numbers (so conditions say `result[0]`), a string a
// string. A query that names {{revision}} is run a second time for the stable
// revision, and that is the baseline.
import { SlipwayError } from "../../domain/errors.js";
import { getJson, redact } from "./http-json.js";
import type { MeasureContext, MeasureResult, MetricProvider } from "./metric-provider.js";
import { checkRevisionTemplate, fillRevisions, mentionsRevision, mentionsStableRevision } from "../../domain/revision-placeholders.js";

export interface PrometheusSpec {
  /** e.g. http://127.0.0.1:9090 or https://host/prometheus */
  address: string;
  query: string;
  headers?: Readonly<Record<string, string>>;
  /** Per query; default 10 s. */
  timeoutMs?: number;
}

export type PrometheusValue = number | number[] | string;

interface QueryAnswer {
  value: PrometheusValue;
  /** Labels of a vector's series, in the order of its values. */
  series?: Record<string, string>[];
}

export class PrometheusMetricProvider implements MetricProvider {
  readonly description: string;
  readonly timeoutMs: number;
  private readonly queryTimeoutMs: number;

  constructor(private readonly spec: PrometheusSpec) {
    checkRevisionTemplate(spec.query, "the prometheus query");
    this.description = `prometheus ${redact(spec.address)}`;
    this.queryTimeoutMs = spec.timeoutMs ?? 10_000;
    this.timeoutMs = this.queryTimeoutMs * 2 + 5_000;
  }

  async measure(context: MeasureContext): Promise<MeasureResult> {
    const { revision, stableRevision, signal } = context;
    const query = fillRevisions(this.spec.query, revision, stableRevision, "the prometheus query");
    const comparable = stableRevision !== undefined && mentionsRevision(this.spec.query) && !mentionsStableRevision(this.spec.query);
    const [canary, stable] = await Promise.all([
      this.query(query, signal),
      comparable ? this.query(fillRevisions(this.spec.query, stableRevision, undefined, "the prometheus query"), signal).catch((err: unknown) => {
            signal.throwIfAborted();
            return err instanceof Error ? err : new Error(String(err));
          }) : undefined,
    ]);
    const detail: Record<string, unknown> = { query, ...(canary.series === undefined ? {} : { series: canary.series.slice(0, 10) }) };
    if (stable === undefined) return { value: canary.value, detail };
    if (stable instanceof Error) return { value: canary.value, baselineUnavailable: `the query for the stable revision failed: ${stable.message}`, detail };
    return { value: canary.value, baseline: stable.value, detail };
  }

  private async query(query: string, signal: AbortSignal): Promise<QueryAnswer> {
    const base = this.spec.address.endsWith("/") ? this.spec.address : `${this.spec.address}/`;
    const url = new URL(`api/v1/query?query=${encodeURIComponent(query)}`, base).toString();
    const answer = await getJson(url, { headers: this.spec.headers ?? {}, signal, timeoutMs: this.queryTimeoutMs });
    const body = answer.json as { status?: unknown; errorType?: unknown; error?: unknown; data?: { resultType?: unknown; result?: unknown } } | undefined;
    const where = `Prometheus at ${redact(this.spec.address)}`;
    if (body === undefined || typeof body !== "object" || body === null) {
      throw new SlipwayError("MEASUREMENT_FAILED", `${where} answered ${answer.status} with ${answer.excerpt}, not Prometheus' JSON`, {
        retryable: answer.status >= 500,
        hint: "check that the address is Prometheus' (its API answers under /api/v1/)",
      });
    }
    if (body.status !== "success") {
      const kind = typeof body.errorType === "string" ? `${body.errorType}: ` : "";
      throw new SlipwayError("MEASUREMENT_FAILED", `${where} refused the query ${JSON.stringify(query)} (HTTP ${answer.status}): ${kind}${String(body.error ?? "no reason given")}`, {
        retryable: answer.status >= 500 || body.errorType === "timeout" || body.errorType === "unavailable",
      });
    }
    return decodeResult(body.data?.resultType, body.data?.result, query);
  }
}

function decodeResult(resultType: unknown, result: unknown, query: string): QueryAnswer {
  const bad = (what: string): never => {
    throw new SlipwayError("MEASUREMENT_FAILED", `Prometheus answered the query ${JSON.stringify(query)} with ${what}`);
  };
  if (resultType === "scalar" || resultType === "string") {
    if (!Array.isArray(result) || result.length !== 2) return bad(`a malformed ${resultType}`);
    return { value: resultType === "scalar" ? sampleValue(result[1], bad) : String(result[1]) };
  }
  if (resultType === "vector") {
    if (!Array.isArray(result)) return bad("a malformed vector");
    const samples = result as { metric?: Record<string, string>; value?: unknown }[];
    return {
      value: samples.map((s) => (Array.isArray(s.value) ? sampleValue(s.value[1], bad) : bad("a vector sample without a value"))),
      series: samples.map((s) => s.metric ?? {}),
    };
  }
  if (resultType === "matrix") return bad("a range vector (matrix); an analysis needs one value per series: aggregate it, e.g. rate(x[5m]) rather than x[5m]");
  return bad(`a result of type ${JSON.stringify(resultType)}`);
}

/** Prometheus writes sample values as strings, with NaN, +Inf and -Inf spelled so. */
function sampleValue(raw: unknown, bad: (what: string) => never): number {
  if (raw === "NaN") return NaN;
  if (raw === "+Inf") return Infinity;
  if (raw === "-Inf") return -Infinity;
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : NaN;
  return Number.isNaN(value) ? bad(`the sample value ${JSON.stringify(raw)}, which is not a number`) : value;
}
