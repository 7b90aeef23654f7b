import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SlipwayError } from "../../domain/errors.js";
import { analysisMetricsFor, createMetricProvider, type MetricConfig } from "./create-provider.js";
import { PrometheusMetricProvider } from "./prometheus-provider.js";
import { fillRevisions } from "../../domain/revision-placeholders.js";
import { RouterMetricProvider } from "./router-provider.js";
import { WebMetricProvider } from "./web-provider.js";

const deps = { system: "shop", readRouterCounters: async () => ({ requests: 0, responses5xx: 0, connectionErrors: 0 }) };
const base = { interval: 10, count: 5, failureLimit: 0, inconclusiveLimit: 0, consecutiveErrorLimit: 4 };
const metrics: MetricConfig[] = [
  { ...base, name: "error-rate", provider: { router: { metric: "errorRate", compareWithStable: false } }, successCondition: "result < 0.01" },
  { ...base, name: "p99", provider: { prometheus: { address: "http://127.0.0.1:9090", query: 'histogram_quantile(0.99, rate(x{revision="{{revision}}"}[1m]))' } } },
  { ...base, name: "health", provider: { web: { url: "http://127.0.0.1:8080/health/{{revision}}", jsonPath: "$.ok" } } },
];

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof SlipwayError ? `${err.code}: ${err.message}` : String(err);
  }
  return undefined;
}

describe("createMetricProvider and analysisMetricsFor", () => {
  it("builds the provider each metric names, keeping its limits", () => {
    const built = analysisMetricsFor(["error-rate", "p99", "health"], metrics, deps);
    assert.ok(built[0]?.provider instanceof RouterMetricProvider);
    assert.ok(built[1]?.provider instanceof PrometheusMetricProvider);
    assert.ok(built[2]?.provider instanceof WebMetricProvider);
    assert.deepEqual({ ...built[0], provider: undefined }, { ...metrics[0], provider: undefined });
  });

  const refusals: [string, () => unknown, RegExp][] = [
    ["a metric the service does not define", () => analysisMetricsFor(["eror-rate"], metrics, deps), /^CONFIG_INVALID: .*metric "eror-rate", which .* does not define \(did you mean error-rate\?\)$/],
    ["a router metric without the router's counters", () => createMetricProvider("e", { router: { metric: "errorRate" } }, { system: "shop" }), /^INTERNAL: .*without the router's counters$/],
    ["a job metric without Docker Engine", () => createMetricProvider("j", { job: { image: "x", command: ["true"] } }, { system: "shop" }), /^INTERNAL: .*without Docker Engine$/],
    ["a malformed JSON path", () => createMetricProvider("w", { web: { url: "http://127.0.0.1/", jsonPath: "$..a" } }, deps), /^CONFIG_INVALID: JSON path "\$\.\.a" is not valid/],
    ["a placeholder slipway does not fill", () => createMetricProvider("p", { prometheus: { address: "http://127.0.0.1:9090", query: "up{job='{{args.job}}'}" } }, deps), /^CONFIG_INVALID: the prometheus query has the placeholder \{\{args\.job\}\}/],
  ];
  for (const [name, fn, message] of refusals) it(`refuses ${name}`, () => assert.match(code(fn) ?? "no error", message));
});

describe("revision placeholders", () => {
  it("fills {{revision}} and {{stableRevision}}", () => assert.equal(fillRevisions("a{{revision}}b{{ stableRevision }}", "r2", "r1", "q"), "ar2br1"));
  it("needs a stable revision for {{stableRevision}}", () => assert.throws(() => fillRevisions("{{stableRevision}}", "r2", undefined, "the query"), /the query names \{\{stableRevision\}\}, but there is no stable revision/));
});
