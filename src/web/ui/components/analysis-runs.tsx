// Each analysis run of the rollout: what it measures, its verdict and every
// measurement with its value and why (the metric, value, condition).
import type { ReactNode } from "react";
import type { AnalysisRecord, Measurement } from "../api/types.js";
import { StatusBadge } from "./status-badge.js";

export function AnalysisRuns(props: { analyses: AnalysisRecord[]; measurements: Record<string, Measurement[]> }): ReactNode {
  if (props.analyses.length === 0) return <p className="muted">No analysis in this rollout.</p>;
  return (
    <>
      {props.analyses.map((a) => (
        <section key={a.key} className="analysis" aria-label={`analysis ${a.key}`}>
          <h3>
            {a.purpose === "step" ? `Step ${(a.stepIndex ?? 0) + 1} analysis` : a.purpose === "background" ? "Background analysis" : "Pre-promotion analysis"}: {a.metrics.join(", ")} <StatusBadge text={a.status} />
          </h3>
          {a.message !== undefined && <p className="small">{a.message}</p>}
          <MeasurementTable rows={props.measurements[a.key] ?? []} />
        </section>
      ))}
    </>
  );
}

function MeasurementTable({ rows }: { rows: Measurement[] }): ReactNode {
  if (rows.length === 0) return <p className="muted small">No measurement yet.</p>;
  return (
    <table className="measurements">
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col">#</th>
          <th scope="col">Result</th>
          <th scope="col">Value</th>
          <th scope="col">Why</th>
          <th scope="col">At</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((m) => (
          <tr key={`${m.metric}-${m.index}`}>
            <td>{m.metric}</td>
            <td>{m.index}</td>
            <td>
              <StatusBadge text={m.phase} />
            </td>
            <td>
              <code>{valueText(m.value)}</code>
              {m.baseline !== undefined && <span className="muted small"> (stable {valueText(m.baseline)})</span>}
            </td>
            <td className="small">{m.message}</td>
            <td className="small">{new Date(m.finishedAt).toLocaleTimeString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function valueText(value: unknown): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(3);
  return JSON.stringify(value);
}
