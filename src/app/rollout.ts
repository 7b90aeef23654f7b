// Steering a service's rollout in an environment: watch, pause, resume,
// promote, abort, retry; its status; and undo / rollback (abort what is in
// flight, or a fast rollout back to an earlier revision).
import { lastGoodRevision, newRolloutId } from "../delivery/controller/begin-rollout.js";
import type { RevisionRecord, RolloutRecord } from "../delivery/controller/store-port.js";
import { planRollback } from "../delivery/strategies/rollback.js";
import type { Measurement } from "../delivery/analysis/metric-provider.js";
import type { Command, RolloutState } from "../delivery/types.js";
import { SlipwayError } from "../domain/errors.js";
import { drive, originOf, untilPausedByHand, type DriveOptions, type DriveResult, type RecordOnly } from "./drive.js";
import { controllerFor, endpointsOf, otherEnvironmentController, routeService, scopeOf, serviceOf, type EnvironmentSession } from "./environment.js";
import type { Endpoints } from "./events.js";

export const ROLLOUT_ACTIONS = ["watch", "resume", "pause", "promote", "abort", "retry"] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

export function currentRollout(session: EnvironmentSession, service: string, unfinished: boolean): RolloutRecord {
  const latest = session.rollouts.latestRollout(scopeOf(session, service));
  if (latest === undefined) throw new SlipwayError("USAGE", `${service} has never been rolled out to ${session.environment.name}`, { hint: `\`slipway deploy ${service} --env ${session.environment.name}\`` });
  if (unfinished && latest.finished) throw new SlipwayError("USAGE", `${service} in ${session.environment.name} has no rollout in progress (the last, ${latest.id}, ended ${latest.outcome ?? "finished"})`);
  return latest;
}

export type RolloutActionResult = { kind: "already-finished"; rollout: RolloutRecord } | ({ kind: "driven" } & DriveResult);

export async function rolloutAction(session: EnvironmentSession, action: RolloutAction, serviceName: string, opts: { full?: boolean; reason?: string }, options: DriveOptions & RecordOnly): Promise<RolloutActionResult> {
  const service = serviceOf(session.system, serviceName);
  const rollout = currentRollout(session, serviceName, action !== "watch" && action !== "retry");
  if (action === "retry") {
    if (rollout.finished && rollout.outcome === "healthy") throw new SlipwayError("USAGE", `rollout ${rollout.id} ended healthy: there is nothing to retry`);
    // The planner starts a new attempt (fresh analysis keys) from the retry command.
    if (rollout.finished) session.rollouts.reopenRollout(rollout.id);
    session.rollouts.enqueueCommand(rollout.id, { type: "retry" });
    if (options.recordOnly === true) return recorded(session, rollout.id, "healthy");
    return { kind: "driven", ...(await drive(session, service, rollout.id, untilPausedByHand, options)) };
  }
  if (rollout.finished) return { kind: "already-finished", rollout };
  const command: Command | undefined =
    action === "pause"
      ? { type: "pause" }
      : action === "abort"
        ? { type: "abort", ...(opts.reason === undefined ? {} : { reason: opts.reason }) }
        : action === "promote"
          ? { type: opts.full === true ? "promoteFull" : "promote" }
          : action === "resume" && rollout.state.userPaused
            ? { type: "resume" }
            : undefined;
  if (command !== undefined) session.rollouts.enqueueCommand(rollout.id, command);
  const expected = action === "abort" ? "aborted" : "healthy";
  if (options.recordOnly === true) return recorded(session, rollout.id, expected);
  // pause returns once the pause took effect; everything else runs to completion or the next pause by hand.
  const consumed = (): boolean => session.rollouts.nextCommand(rollout.id) === undefined;
  const stopWhen = action === "pause" ? (s: RolloutState) => consumed() && s.userPaused : (s: RolloutState) => consumed() && untilPausedByHand(s);
  return { kind: "driven", ...(await drive(session, service, rollout.id, stopWhen, { ...options, expected })) };
}

function recorded(session: EnvironmentSession, rolloutId: string, expected: "healthy" | "aborted"): { kind: "driven" } & DriveResult {
  const record = session.rollouts.getRollout(rolloutId) as RolloutRecord;
  return { kind: "driven", rolloutId, end: { kind: "stopped", state: record.state }, expected };
}

export interface RolloutStatus {
  rollout: RolloutRecord;
  revisions: RevisionRecord[];
  endpoints: Endpoints;
  /** A command (pause, promote, …) waits for the controller. */
  commandPending: boolean;
  /** Each analysis's measurements so far (value, phase, time), by its key: what a chart of the canary's metrics draws. */
  measurements: Record<string, Measurement[]>;
}

export function rolloutStatus(session: EnvironmentSession, serviceName: string): RolloutStatus {
  const service = serviceOf(session.system, serviceName);
  const rollout = currentRollout(session, serviceName, false);
  return {
    rollout,
    revisions: session.rollouts.listRevisions(scopeOf(session, serviceName)),
    endpoints: endpointsOf(session, service.config),
    commandPending: session.rollouts.nextCommand(rollout.id) !== undefined,
    measurements: Object.fromEntries(rollout.state.analyses.map((a) => [a.key, session.rollouts.loadMeasurements(rollout.id, a.key)])),
  };
}

/**
 * `rollout undo [--to-revision N]` and `rollback`: abort what is in flight, or
 * a fast rollout to an earlier revision — for undo the newest other one (as
 * Kubernetes), for rollback the last that served healthily.
 */
export async function undo(session: EnvironmentSession, serviceName: string, opts: { toRevision?: string; lastGood?: boolean }, options: DriveOptions & RecordOnly): Promise<DriveResult> {
  const service = serviceOf(session.system, serviceName);
  const current = currentRollout(session, serviceName, false);
  const controller = controllerFor(session, service);
  if (options.recordOnly !== true && options.ownController === undefined && otherEnvironmentController(session) === undefined) await routeService(session, service.config);
  const { observed } = await controller.world.observe(current.id);
  controller.close();
  const lastGood = opts.lastGood === true && opts.toRevision === undefined && current.finished ? lastGoodRevision(session.rollouts, scopeOf(session, serviceName)) : undefined;
  if (opts.lastGood === true && current.finished && lastGood === undefined) throw new SlipwayError("USAGE", `${serviceName} in ${session.environment.name} has no earlier revision that served healthily`);
  const toRevision = lastGood !== undefined ? lastGood.number : opts.toRevision === undefined ? undefined : Number(opts.toRevision);
  if (toRevision !== undefined && !Number.isInteger(toRevision)) throw new SlipwayError("USAGE", `--to-revision ${opts.toRevision} is not a revision number`);
  const plan = planRollback(current.state, observed, { ...(toRevision === undefined ? {} : { toRevision }), rolloutId: newRolloutId(serviceName, Date.now()), nowMs: Date.now() });
  if (plan.kind === "refused") throw new SlipwayError("USAGE", `cannot undo: ${plan.reason}`);
  if (plan.kind === "command") {
    if (current.finished) throw new SlipwayError("INTERNAL", `undo asked to ${plan.command.type} rollout ${current.id}, which is finished`);
    session.rollouts.enqueueCommand(current.id, plan.command);
    if (options.recordOnly === true) return recorded(session, current.id, "aborted");
    return drive(session, service, current.id, () => false, { ...options, expected: "aborted" });
  }
  const revisions = session.rollouts.listRevisions(scopeOf(session, serviceName));
  const target = revisions.find((r) => r.name === plan.state.targetRevision);
  if (target !== undefined) session.rollouts.saveRevision({ ...target, number: Math.max(...revisions.map((r) => r.number)) + 1 });
  session.rollouts.createRollout({ id: plan.state.id, system: session.system.config.system, state: plan.state, strategy: current.strategy, origin: originOf(options, opts.lastGood === true ? "rollback" : "undo") }, current.finished ? undefined : current.id);
  options.reporter.emit({
    type: "rollout.started",
    cause: "rollback",
    service: serviceName,
    environment: session.environment.name,
    rolloutId: plan.state.id,
    image: target?.image ?? "",
    targetRevision: plan.state.targetRevision,
    strategy: plan.state.strategy,
    endpoints: endpointsOf(session, service.config),
    ...(target?.version === undefined ? {} : { version: target.version }),
  });
  const live = observed.revisions.find((r) => r.revision === plan.state.targetRevision)?.instances.filter((i) => i.phase !== "exited").length ?? 0;
  options.reporter.emit({ type: "rollback.path", service: serviceName, environment: session.environment.name, revision: plan.state.targetRevision, live, desired: plan.state.desiredReplicas });
  if (options.recordOnly === true) return recorded(session, plan.state.id, "healthy");
  return drive(session, service, plan.state.id, () => false, options);
}
