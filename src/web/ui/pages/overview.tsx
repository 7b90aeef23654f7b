// The system at a glance: environments as columns in promotion order,
// services as rows, live from the event stream.
import type { ReactNode } from "react";
import { OverviewCell } from "../components/overview-cell.js";
import { useOverview } from "../hooks/use-overview.js";

export function OverviewPage(): ReactNode {
  const { system, model, error } = useOverview();
  if (error !== undefined)
    return (
      <p className="error" role="alert">
        Could not load the system: {error}
      </p>
    );
  if (system === undefined || model === undefined) return <p className="loading">Loading the system…</p>;
  return (
    <section>
      <h1>{system.system}</h1>
      <p className="muted">
        {model.services.length} services × {model.environments.length} environments, in promotion order. Live.
      </p>
      <div className="table-scroll">
        <table className="overview">
          <thead>
            <tr>
              <th scope="col">Service</th>
              {model.environments.map((env, i) => (
                <th scope="col" key={env}>
                  {i > 0 && <span aria-hidden="true">→ </span>}
                  {env}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {model.services.map((service) => (
              <tr key={service}>
                <th scope="row">{service}</th>
                {model.environments.map((env) => {
                  const cell = model.cells[service]?.[env];
                  return cell === undefined ? <td key={env} /> : <OverviewCell key={env} env={env} service={service} cell={cell} />;
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
