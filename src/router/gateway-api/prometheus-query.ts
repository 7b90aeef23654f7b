// An instant PromQL query for the router's stats: the gateway's counters per
// backend Service, as Prometheus scraped them (the analysis has its own,
// richer provider in delivery/analysis/prometheus-provider.ts).
import { SlipwayError } from "../../domain/errors.js";

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export async function queryPrometheus(address: string, query: string, timeoutMs = 5_000): Promise<Sample[]> {
  const url = new URL(`api/v1/query?query=${encodeURIComponent(query)}`, address.endsWith("/") ? address : `${address}/`);
  let body: { status?: string; error?: string; data?: { resultType?: string; result?: { metric?: Record<string, string>; value?: [number, string] }[] } };
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    body = (await answer.json()) as typeof body;
  } catch (err) {
    throw new SlipwayError("MEASUREMENT_FAILED", `Prometheus at ${address} did not answer ${JSON.stringify(query)}: ${(err as Error).message}`, { retryable: true, cause: err });
  }
  if (body.status !== "success" || body.data?.resultType !== "vector") {
    throw new SlipwayError("MEASUREMENT_FAILED", `Prometheus at ${address} refused ${JSON.stringify(query)}: ${body.error ?? `a ${body.data?.resultType ?? "missing"} result`}`);
  }
  return (body.data.result ?? []).map((s) => ({ labels: s.metric ?? {}, value: Number(s.value?.[1] ?? "0") }));
}
