// Per-revision request rate, error rate and p95 latency (and the weights)
// over the last minutes, from the router, one chart each.
import type { ReactNode } from "react";
import type { TrafficSeries } from "../api/types.js";
import { Chart, type ChartSeries } from "./chart.js";

export const REVISION_COLORS = ["#2d6cc0", "#d9822b", "#7a4fb8", "#2f8f6a"];

type Field = "requestsPerSecond" | "errorRate" | "p95Ms";

export function TrafficCharts(props: { series: TrafficSeries | undefined; revisions: { name: string; label: string }[] }): ReactNode {
  const points = props.series?.points ?? [];
  const times = points.map((p) => p.atMs / 1000);
  const shown = props.revisions.filter((r) => points.some((p) => p.revisions[r.name] !== undefined || p.weights[r.name] !== undefined));
  const lines = (pick: (p: TrafficSeries["points"][number], revision: string) => number | null): ChartSeries[] =>
    shown.map((r, i) => ({ label: r.label, color: REVISION_COLORS[i % REVISION_COLORS.length] ?? "#333", values: points.map((p) => pick(p, r.name)) }));
  const field = (f: Field) => (p: TrafficSeries["points"][number], revision: string): number | null => p.revisions[revision]?.[f] ?? null;
  return (
    <div className="charts">
      {props.series?.error !== undefined && (
        <p className="error" role="status">
          The router's numbers are not available: {props.series.error}
        </p>
      )}
      <Chart title="Weight" unit="%" times={times} series={lines((p, r) => p.weights[r] ?? 0)} />
      <Chart title="Requests" unit="req/s" times={times} series={lines(field("requestsPerSecond"))} />
      <Chart title="Error rate" unit="fraction" times={times} series={lines(field("errorRate"))} />
      <Chart title="p95 latency" unit="ms" times={times} series={lines(field("p95Ms"))} />
    </div>
  );
}
