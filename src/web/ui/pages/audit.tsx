// Placeholder: the Audit page (the hash-chained audit log with the chain's verification result) is built by the dash-pages helper on this shell.
import type { ReactNode } from "react";

export function AuditPage(): ReactNode {
  return (
    <section>
      <h1>Audit</h1>
      <p className="muted">Not built yet: the hash-chained audit log with the chain's verification result.</p>
    </section>
  );
}
