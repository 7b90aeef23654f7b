// One uPlot line chart: time on x, a line per series. Rebuilt when the set
// of series changes, otherwise fed new data in place; as wide as its box.
import { useEffect, useRef, type ReactNode } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

export function Chart(props: { title: string; unit: string; times: number[]; series: ChartSeries[]; height?: number }): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const shape = props.series.map((s) => `${s.label}:${s.color}`).join("|");
  const data: uPlot.AlignedData = [props.times, ...props.series.map((s) => s.values)];

  useEffect(() => {
    const el = box.current;
    if (el === null) return;
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: props.height ?? 160,
      legend: { show: true, live: false },
      scales: { x: { time: true }, y: { range: (_u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } },
      axes: [{}, { label: props.unit, size: 60 }],
      series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: false }))],
    };
    const chart = new uPlot(opts, data, el);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height: props.height ?? 160 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = undefined;
    };
    // Rebuilt only when the series change; data flows in below.
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  const latest = props.series.map((s) => `${s.label} ${format(s.values[s.values.length - 1])}`).join(", ");
  return (
    <figure className="chart">
      <figcaption>
        {props.title} <span className="muted small">({props.unit})</span>
      </figcaption>
      <div ref={box} role="img" aria-label={`${props.title}, latest: ${latest || "no data yet"}`} />
    </figure>
  );
}

function format(value: number | null | undefined): string {
  if (value === null || value === undefined) return "no data";
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}
