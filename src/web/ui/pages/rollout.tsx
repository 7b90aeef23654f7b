// The rollout view of one service in one environment (being built).
import type { ReactNode } from "react";

export function RolloutPage({ env, service }: { env: string; service: string }): ReactNode {
  return (
    <section>
      <h1>
        {service} in {env}
      </h1>
    </section>
  );
}
