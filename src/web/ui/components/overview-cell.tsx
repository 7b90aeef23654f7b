// One service in one environment: version, short digest, ready/desired,
// the traffic split, the rollout's state, and whether it lags the
// environment it is promoted from. Links to the rollout view.
import type { ReactNode } from "react";
import type { OverviewCell as Cell } from "../../model/overview.js";
import { Link, paths } from "../router.js";
import { StatusBadge } from "./status-badge.js";
import { TrafficBar } from "./traffic-bar.js";

export function OverviewCell({ env, service, cell }: { env: string; service: string; cell: Cell }): ReactNode {
  const status = cell.status;
  const deployed = status !== undefined && status.digest !== "";
  return (
    <td className={`cell${cell.lagsBehind === undefined ? "" : " lagging"}`} data-env={env} data-service={service}>
      {deployed ? (
        <Link to={paths.rollout(env, service)} className="cell-link" title={`${service} in ${env}: open the rollout`}>
          {status.version !== "-" && <span className="version">{status.version} </span>}
          <code className="digest">{status.digest.replace(/^sha256:/, "").slice(0, 12)}</code>
        </Link>
      ) : (
        <span className="muted">{status?.version ?? "unknown"}</span>
      )}
      {deployed && (
        <>
          <div className="cell-line">
            <span className="ready" title="ready instances / desired">
              {status.ready ?? "?"} ready
            </span>
            <StatusBadge text={status.rollout} />
          </div>
          <TrafficBar shares={cell.traffic} />
        </>
      )}
      {cell.lagsBehind !== undefined && (
        <div className="lag" title={`${cell.lagsBehind.environment} serves another digest`}>
          behind {cell.lagsBehind.environment} ({cell.lagsBehind.serves})
        </div>
      )}
    </td>
  );
}
