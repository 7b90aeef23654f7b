// The traffic split as one bar: a segment per version with its percent.
import type { ReactNode } from "react";
import type { TrafficShare } from "../../model/overview.js";

export function TrafficBar({ shares }: { shares: TrafficShare[] }): ReactNode {
  if (shares.length === 0) return <div className="traffic-bar empty" aria-label="no traffic" />;
  const label = shares.map((s) => `${s.label} ${s.percent}%`).join(", ");
  return (
    <div className="traffic-bar" role="img" aria-label={`traffic: ${label}`} title={label}>
      {shares.map((s, i) => (
        <span key={s.label} className={`segment s${i % 4}`} style={{ width: `${s.percent}%` }}>
          {s.percent >= 20 ? `${s.percent}%` : ""}
        </span>
      ))}
    </div>
  );
}
