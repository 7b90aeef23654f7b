// Placeholder: the CI runs page (the service DAG of each run with its stages' states and live stage logs) is built by the dash-pages helper on this shell.
import type { ReactNode } from "react";

export function CiRunsPage(): ReactNode {
  return (
    <section>
      <h1>CI runs</h1>
      <p className="muted">Not built yet: the service DAG of each run with its stages' states and live stage logs.</p>
    </section>
  );
}
