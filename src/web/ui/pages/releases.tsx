// Placeholder: the Releases page (each service's versions with digest, commit, CI run, signature status and where each runs; waiting releases with Approve / Reject) is built by the dash-pages helper on this shell.
import type { ReactNode } from "react";

export function ReleasesPage(): ReactNode {
  return (
    <section>
      <h1>Releases</h1>
      <p className="muted">Not built yet: each service's versions with digest, commit, CI run, signature status and where each runs; waiting releases with Approve / Reject.</p>
    </section>
  );
}
