// A revision's latency histogram from the gateway's Prometheus buckets:
// `sum by (service, le)` of a duration histogram in seconds, the samples of
// each revision (one backend Service a revision) added up by bucket, as the
// cumulative histogram the analysis reads in milliseconds. Pure.
import type { Sample } from "./prometheus-query.js";

export interface CumulativeHistogram {
  upperBoundsMs: number[];
  counts: number[];
}

/** Revision → its histogram; samples of no known revision (revisionOf undefined) or without a numeric `le` are left out. */
export function latencyHistograms(buckets: readonly Sample[], revisionOf: (sample: Sample) => string | undefined): Map<string, CumulativeHistogram> {
  const byRevision = new Map<string, Map<number, number>>();
  for (const sample of buckets) {
    const revision = revisionOf(sample);
    const le = sample.labels["le"];
    if (revision === undefined || le === undefined) continue;
    const bound = le === "+Inf" ? Infinity : Number(le) * 1000;
    if (Number.isNaN(bound)) continue;
    const counts = byRevision.get(revision) ?? new Map<number, number>();
    counts.set(bound, (counts.get(bound) ?? 0) + sample.value);
    byRevision.set(revision, counts);
  }
  const histograms = new Map<string, CumulativeHistogram>();
  for (const [revision, counts] of byRevision) {
    const bounds = [...counts.keys()].sort((a, b) => a - b);
    histograms.set(revision, { upperBoundsMs: bounds.map((b) => (b === Infinity ? b : Number(b.toFixed(6)))), counts: bounds.map((b) => counts.get(b) ?? 0) });
  }
  return histograms;
}
