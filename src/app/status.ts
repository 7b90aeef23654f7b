// Status of a system: per environment × service, the version and digest
// serving, ready instances, the traffic split and the rollout's state.
import type { LoadedService } from "../config/load-system.js";
import { loadSystem } from "../config/load-system.js";
import { servingRevision } from "../delivery/controller/begin-rollout.js";
import { endpointPort } from "../domain/placement.js";
import { openEnvironmentOf, scopeOf, type EnvironmentSession } from "./environment.js";

/** One row of `slipway status`; every cell is text (as the CLI prints it and `--json` gives it). */
export interface ServiceStatusRow {
  environment: string;
  service: string;
  endpoint: string;
  version: string;
  digest: string;
  rollout?: string;
  ready?: string;
  traffic?: string;
}

export const STATUS_COLUMNS = ["environment", "service", "version", "digest", "ready", "traffic", "rollout", "endpoint"] as const;

export async function systemStatus(config: string, opts: { env?: string }): Promise<ServiceStatusRow[]> {
  const system = await loadSystem(config);
  const envs = opts.env === undefined ? system.config.environments.map((e) => e.name) : [opts.env];
  const rows: ServiceStatusRow[] = [];
  for (const envName of envs) {
    const session = openEnvironmentOf(system, envName);
    try {
      for (const service of session.system.services) rows.push(await serviceStatus(session, service));
    } finally {
      session.close();
    }
  }
  return rows;
}

export async function serviceStatus(session: EnvironmentSession, service: LoadedService): Promise<ServiceStatusRow> {
  const name = service.config.name;
  const scope = scopeOf(session, name);
  const latest = session.rollouts.latestRollout(scope);
  const revisions = session.rollouts.listRevisions(scope);
  const serving = revisions.find((r) => r.name === servingRevision(latest));
  const row: ServiceStatusRow = { environment: session.environment.name, service: name, endpoint: `127.0.0.1:${endpointPort(service.config, session.portOffset)}`, version: serving?.version ?? (serving ? "-" : "not deployed"), digest: serving ? (serving.image.split("@")[1] ?? "").slice(0, 19) : "" };
  if (latest === undefined) return row;
  row.rollout = latest.finished ? (latest.outcome ?? "finished") : `${latest.state.phase}${latest.state.userPaused ? " (paused)" : ""}`;
  const instances = (await session.runtime.listInstances(scope)).filter((i) => i.phase !== "exited");
  const ready = await Promise.all(
    instances.map(async (i) => {
      const readiness = revisions.find((r) => r.name === i.revision)?.template.readiness;
      return readiness !== undefined && (await session.runtime.probeOnce(i, readiness).catch(() => false));
    }),
  );
  row.ready = `${ready.filter(Boolean).length}/${instances.length}`;
  try {
    const backends = (await session.router.listBackends(name)).filter((b) => b.state === "ready");
    const total = backends.reduce((n, b) => n + b.weight, 0);
    const byRevision = new Map<string, number>();
    for (const b of backends) byRevision.set(b.revision, (byRevision.get(b.revision) ?? 0) + b.weight);
    row.traffic = total === 0 ? "none" : [...byRevision].filter(([, w]) => w > 0).map(([r, w]) => `${revisions.find((x) => x.name === r)?.version ?? r} ${Math.round((w * 100) / total)}%`).join(", ");
  } catch {
    row.traffic = "router not running";
  }
  return row;
}
