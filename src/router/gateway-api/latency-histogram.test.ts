import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { quantile } from "../../delivery/analysis/router-provider.js";
import { latencyHistograms } from "./latency-histogram.js";

const sample = (service: string, le: string, value: number): { labels: Record<string, string>; value: number } => ({ labels: { service, le }, value });

describe("latency histograms from the gateway's Prometheus buckets", () => {
  it("adds up each revision's backend Services by bucket, in ms, bounds ascending with +Inf last", () => {
    const buckets = [
      sample("ns-api-r-1-http-8080@kubernetesgateway", "+Inf", 10),
      sample("ns-api-r-1-http-8080@kubernetesgateway", "0.1", 9),
      sample("ns-api-r-1-http-8080@kubernetesgateway", "0.3", 10),
      sample("ns-api-r-2-http-8080@kubernetesgateway", "0.1", 1),
      sample("ns-api-r-2-http-8080@kubernetesgateway", "0.3", 4),
      sample("ns-api-r-2-http-8080@kubernetesgateway", "+Inf", 5),
      sample("ns-other-http-8080@kubernetesgateway", "0.1", 100),
    ];
    const revisionOf = (s: { labels: Record<string, string> }): string | undefined => /api-(r-\d)-/.exec(s.labels["service"] ?? "")?.[1];
    const histograms = latencyHistograms(buckets, revisionOf);
    assert.deepEqual([...histograms.keys()].sort(), ["r-1", "r-2"]);
    assert.deepEqual(histograms.get("r-1"), { upperBoundsMs: [100, 300, Infinity], counts: [9, 10, 10] });
    // p95 of r-2: rank 4.75 of 5 falls in the open bucket above 300 ms: its lower bound, as Prometheus' histogram_quantile says.
    assert.equal(quantile(histograms.get("r-2") as { upperBoundsMs: number[]; counts: number[] }, 0.95), 300);
    assert.equal(quantile(histograms.get("r-1") as { upperBoundsMs: number[]; counts: number[] }, 0.5), (100 * 5) / 9);
  });
});
