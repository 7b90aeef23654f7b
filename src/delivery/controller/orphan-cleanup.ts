// After a crash, what nobody will ever plan for again: instances of the
// environment whose revision the store does not know (a revision forgotten,
// or a store reset) are taken out of the router and removed. Router backends
// without a live instance are removed by every observation (service-world.ts).
import type { TrafficRouter } from "../../router/types.js";
import type { Instance, Runtime } from "../../runtime/types.js";
import type { RolloutStore } from "./store-port.js";

export async function removeOrphanInstances(deps: { runtime: Runtime; router: TrafficRouter; store: RolloutStore }, system: string, environment: string): Promise<Instance[]> {
  const known = new Set(deps.store.listEnvironmentRevisions(system, environment).map((r) => `${r.service}/${r.name}`));
  const orphans = (await deps.runtime.listInstances({ system, environment })).filter((i) => !known.has(`${i.service}/${i.revision}`));
  for (const orphan of orphans) {
    await deps.router.removeBackend(orphan.service, orphan.name).catch(() => undefined);
    await deps.runtime.removeInstance(orphan, 0);
  }
  return orphans;
}
