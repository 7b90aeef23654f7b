// What a group change (a promotion, a rollback to a lock) does to one service
// of the target environment: bring it back to an earlier lock entry, and judge
// whether the services it already changed are healthy now (the group's
// health gate). Shared by promote.ts and rollback-to-lock.ts.
import { beginRollout } from "../delivery/controller/begin-rollout.js";
import { ensureImagePresent } from "../delivery/controller/image-presence.js";
import { digestOf, type LockEntry } from "../domain/lock-history.js";
import type { Identity } from "../release/identity.js";
import { drive, originOf, type DriveOptions, type DriveResult } from "./drive.js";
import { endpointsOf, routeService, scopeOf, serviceOf, type EnvironmentSession } from "./environment.js";
import { undo } from "./rollout.js";
import { serviceStatus } from "./status.js";
import { undeploy } from "./undeploy.js";

export interface GroupOptions extends DriveOptions {
  identity: Identity;
  groupId: string;
}

/** Ended as wanted: healthy (a rollout to the entry) or nothing left to do. */
export type ReturnResult = { ok: true; how: string } | { ok: false; how: string };

/**
 * Brings `service` back to `entry`: a rollback to the entry's revision while
 * the store still has it (a weight flip inside the rollback window), else a
 * rollout of the entry's image and template; a service the entry does not
 * have (it was not deployed then) is undeployed.
 */
export async function returnToEntry(session: EnvironmentSession, service: string, entry: LockEntry | undefined, options: GroupOptions): Promise<ReturnResult> {
  const scope = scopeOf(session, service);
  if (entry === undefined) {
    // Undeploying writes the router itself, which it never does beside a running controller (undeploy.ts): through the server it is left to a person.
    if (options.ownController !== undefined) return { ok: false, how: `left running: it was not deployed then, and undeploying does not go through the server's controller (${undeployByHand(session, service)})` };
    await undeploy(session, { services: [service], force: true }, { reporter: options.reporter, identity: options.identity });
    return { ok: true, how: "undeployed (it was not deployed then)" };
  }
  const revision = session.rollouts.listRevisions(scope).find((r) => r.name === entry.revision);
  let result: DriveResult;
  if (revision !== undefined) {
    result = await undo(session, service, { toRevision: String(revision.number) }, options).catch(async () => freshRollout(session, service, entry, options));
  } else {
    result = await freshRollout(session, service, entry, options);
  }
  const ok = result.end.kind === "complete" && result.end.outcome === "healthy";
  return { ok, how: ok ? `back on ${entry.version ?? digestOf(entry.image).slice(0, 19)}` : `its rollback ${result.rolloutId} ended ${result.end.kind === "complete" ? result.end.outcome : result.end.kind}` };
}

/** How a person takes a service out of an environment the server's controller runs. */
export function undeployByHand(session: EnvironmentSession, service: string): string {
  return `stop \`slipway serve\`, then \`slipway undeploy ${service} --env ${session.environment.name}\` on its machine`;
}

/** A rollout of the entry's exact image and template with the service's strategy (the store no longer has the revision). */
async function freshRollout(session: EnvironmentSession, name: string, entry: LockEntry, options: GroupOptions): Promise<DriveResult> {
  const service = serviceOf(session.system, name);
  if (session.kubernetes === undefined) await ensureImagePresent(session.engine, entry.image);
  // The controller this process runs routes the service itself when it drives (the only router writer).
  if (options.ownController === undefined) await routeService(session, service.config);
  const rollout = beginRollout(session.rollouts, {
    ...scopeOf(session, name),
    image: entry.image,
    ...(entry.version === undefined ? {} : { version: entry.version }),
    template: entry.template,
    strategy: service.config.strategy,
    replicas: entry.replicas,
    nowMs: Date.now(),
    origin: originOf(options, "rollback-to-lock"),
  });
  options.reporter.emit({ type: "rollout.started", cause: "rollback", service: name, environment: session.environment.name, rolloutId: rollout.id, image: entry.image, targetRevision: rollout.state.targetRevision, strategy: rollout.state.strategy, endpoints: endpointsOf(session, service.config), ...(entry.version === undefined ? {} : { version: entry.version }) });
  return drive(session, service, rollout.id, () => false, options);
}

/** The group's health gate: each service already changed must be healthy now (every desired instance running, ready and given traffic). Empty when all are. */
export async function unhealthyServices(session: EnvironmentSession, services: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const name of services) {
    const row = await serviceStatus(session, serviceOf(session.system, name));
    if (row.health !== "healthy") problems.push(`${name} ${row.health ?? "unknown"}`);
  }
  await session.router.close();
  return problems;
}
