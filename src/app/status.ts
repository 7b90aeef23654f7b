// Status of a system: per environment × service, the version and digest
// serving, its health from the runtime and router now (desired vs running vs
// ready — not how the last rollout ended), the traffic split and the
// rollout's state.
import type { LoadedService } from "../config/load-system.js";
import { loadSystem } from "../config/load-system.js";
import { servingRevision } from "../delivery/controller/begin-rollout.js";
import { readyCell, serviceHealth } from "../delivery/controller/service-health.js";
import { endpointPort } from "../domain/placement.js";
import { lockDifference, PromotionPath, shortDigest } from "../domain/promotion-path.js";
import { findNamed } from "../domain/unknown-name.js";
import { SqliteRolloutStore } from "../store/sqlite/rollout-store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { storePath } from "../store/store-path.js";
import type { Instance } from "../runtime/types.js";
import { untilPausedByHand } from "./drive.js";
import { openEnvironmentOf, scopeOf, type EnvironmentSession } from "./environment.js";
import { environmentLock, promotionVerdict } from "./promotion.js";
import { countReady } from "./ready-instances.js";
import { soakAnalysisOrWhyNot } from "./soak-analysis.js";

/** One row of `slipway status`; every cell is text (as the CLI prints it and `--json` gives it). */
export interface ServiceStatusRow {
  environment: string;
  service: string;
  endpoint: string;
  version: string;
  digest: string;
  /** healthy, or degraded/progressing/paused with the reason; see delivery/controller/service-health.ts. */
  health?: string;
  rollout?: string;
  /** "<ready>/<desired>": the serving revision's instances answering readiness now, of the replica count the last rollout recorded; "(+N kept for rollback)" for the previous revision's. */
  ready?: string;
  /** Instances the runtime reports running (any revision). */
  running?: string;
  traffic?: string;
}

export const STATUS_COLUMNS = ["environment", "service", "version", "digest", "health", "ready", "running", "traffic", "rollout", "endpoint"] as const;

/** Where an environment lags the one it is promoted from, and why that one's lock may not enter yet. */
export interface EnvironmentLag {
  environment: string;
  from: string;
  /** Services whose digest in `from` differs from here (short digests; "none" where not deployed). */
  behind: { service: string; here: string; from: string }[];
  /** The promotion rules `from`'s lock does not meet yet, in words; empty when it may enter (or nothing lags). */
  blocked: string[];
}

export interface StatusReport {
  services: ServiceStatusRow[];
  /** One entry per environment with a predecessor, in promotion order. */
  promotion: EnvironmentLag[];
}

export async function systemStatus(config: string, opts: { env?: string }): Promise<ServiceStatusRow[]> {
  return (await statusReport(config, opts)).services;
}

export async function statusReport(config: string, opts: { env?: string }): Promise<StatusReport> {
  const system = await loadSystem(config);
  const path = PromotionPath.of(system.config.environments);
  const envs = opts.env === undefined ? path.order : [findNamed("environment", opts.env, path.order, (e) => e, system.config.system)];
  const rowsByEnv = new Map<string, ServiceStatusRow[]>();
  const rowsOf = async (envName: string): Promise<ServiceStatusRow[]> => {
    const known = rowsByEnv.get(envName);
    if (known !== undefined) return known;
    const session = openEnvironmentOf(system, envName);
    try {
      const rows = await environmentStatus(session);
      rowsByEnv.set(envName, rows);
      return rows;
    } finally {
      session.close();
    }
  };
  // Environments in parallel: each asks its own runtime and router.
  const services = (await Promise.all(envs.map(rowsOf))).flat();
  const promotion: EnvironmentLag[] = [];
  const store = SqliteStore.open(storePath(system));
  try {
    const rollouts = new SqliteRolloutStore(store.db);
    for (const envName of envs) {
      const from = path.predecessor(envName);
      if (from === undefined) continue;
      // The gate judges the source's health as status does: anything but healthy holds a soak back.
      const unhealthy = Object.fromEntries((await rowsOf(from)).filter((r) => r.health !== undefined && r.health !== "healthy").map((r) => [r.service, r.health ?? ""]));
      const sourceLock = environmentLock(rollouts, system, from);
      const here = environmentLock(rollouts, system, envName);
      const verdict = promotionVerdict(system, store, envName, sourceLock, unhealthy, Date.now(), await soakAnalysisOrWhyNot(system, store, envName, sourceLock));
      const behind = lockDifference(sourceLock, here).map((service) => ({ service, here: here[service] === undefined ? "none" : shortDigest(here[service] ?? ""), from: shortDigest(sourceLock[service] ?? "") }));
      promotion.push({ environment: envName, from, behind, blocked: verdict.unmet.map((u) => u.message) });
    }
  } finally {
    store.close();
  }
  return { services, promotion };
}

/**
 * Every service of the environment: one instance list from the runtime for
 * all of them (a Docker call per service made a 50-service overview wait on
 * 50 calls in a row), then the services' probes and router reads in parallel.
 */
export async function environmentStatus(session: EnvironmentSession): Promise<ServiceStatusRow[]> {
  const listed = await session.runtime.listInstances({ system: session.system.config.system, environment: session.environment.name });
  const byService = new Map<string, Instance[]>();
  for (const i of listed) byService.set(i.service, [...(byService.get(i.service) ?? []), i]);
  return Promise.all(session.system.services.map((service) => serviceStatus(session, service, byService.get(service.config.name) ?? [])));
}

/** `listed`: the service's instances when the caller listed the environment's already; else they are asked for. */
export async function serviceStatus(session: EnvironmentSession, service: LoadedService, listed?: readonly Instance[]): Promise<ServiceStatusRow> {
  const name = service.config.name;
  const scope = scopeOf(session, name);
  const latest = session.rollouts.latestRollout(scope);
  const revisions = session.rollouts.listRevisions(scope);
  const serving = revisions.find((r) => r.name === servingRevision(latest));
  const row: ServiceStatusRow = { environment: session.environment.name, service: name, endpoint: `127.0.0.1:${endpointPort(service.config, session.portOffset, session.environment.endpointPorts)}`, version: serving?.version ?? (serving ? "-" : "not deployed"), digest: serving ? (serving.image.split("@")[1] ?? "").slice(0, 19) : "" };
  if (latest === undefined) {
    row.health = "not deployed";
    return row;
  }
  if (latest.state.undeployedAtMs !== undefined) {
    row.version = "undeployed";
    row.health = `undeployed at ${new Date(latest.state.undeployedAtMs).toISOString()}`;
    row.rollout = "undeployed";
    return row;
  }
  row.rollout = latest.finished ? (latest.outcome ?? "finished") : `${latest.state.phase}${latest.state.userPaused ? " (paused)" : ""}`;
  // From the runtime itself, not from how the last rollout ended.
  const instances = (listed ?? (await session.runtime.listInstances(scope))).filter((i) => i.phase !== "exited");
  const ready = await Promise.all(
    instances.map(async (i) => {
      const readiness = revisions.find((r) => r.name === i.revision)?.template.readiness;
      return readiness !== undefined && (await countReady(session.runtime, [i], readiness)) === 1;
    }),
  );
  const ofServing = (i: { revision: string }): boolean => i.revision === serving?.name;
  const desired = latest.state.desiredReplicas;
  const readyServing = instances.filter((i, k) => ofServing(i) && ready[k] === true).length;
  row.ready = readyCell({ desired, readyServing, readyOther: ready.filter(Boolean).length - readyServing, rollout: latest });
  row.running = String(instances.length);
  let servingPercent: number | undefined;
  try {
    const backends = (await session.router.listBackends(name)).filter((b) => b.state === "ready");
    const total = backends.reduce((n, b) => n + b.weight, 0);
    const byRevision = new Map<string, number>();
    for (const b of backends) byRevision.set(b.revision, (byRevision.get(b.revision) ?? 0) + b.weight);
    row.traffic = total === 0 ? "none" : [...byRevision].filter(([, w]) => w > 0).map(([r, w]) => `${revisions.find((x) => x.name === r)?.version ?? r} ${Math.round((w * 100) / total)}%`).join(", ");
    servingPercent = total === 0 ? 0 : Math.round(((byRevision.get(serving?.name ?? "") ?? 0) * 100) / total);
    // Split by replicas (ADR 26) the shares are pods behind one Service: no request can ask for the canary.
    if (session.router.splitsBy === "replicas" && total > 0) row.traffic += " (by replicas; no X-Slipway-Canary route)";
  } catch {
    row.traffic = "router not running";
  }
  const verdict = serviceHealth({
    rollout: { finished: latest.finished, ...(latest.outcome === undefined ? {} : { outcome: latest.outcome }), userPaused: latest.state.userPaused, pausedForPerson: untilPausedByHand(latest.state) },
    desired,
    running: instances.filter(ofServing).length,
    ready: readyServing,
    trafficPercent: servingPercent,
  });
  row.health = verdict.reason === undefined ? verdict.health : `${verdict.health}: ${verdict.reason}`;
  return row;
}
