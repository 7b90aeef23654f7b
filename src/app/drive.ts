// Driving a rollout: runs the service's rollout controller in this process
// until the rollout completes or `stopWhen` holds, or — when another process
// (a `slipway controller`, `slipway serve`, or a command holding the
// service's lock) drives it — follows it through the store.
import type { LoadedService } from "../config/load-system.js";
import { acquireControllerLock, environmentLockPath, lockHolder, lockPath, type ControllerLock } from "../delivery/controller/controller-lock.js";
import { removeOrphanInstances } from "../delivery/controller/orphan-cleanup.js";
import type { LoopEnd } from "../delivery/controller/rollout-loop.js";
import { holdsForScaleDown } from "../delivery/controller/scale-down-finisher.js";
import type { RolloutOrigin, RolloutRecord } from "../delivery/controller/store-port.js";
import type { LockAction } from "../domain/lock-history.js";
import { currentIdentity } from "../release/identity.js";
import type { CompletionOutcome, RolloutState } from "../delivery/types.js";
import { controllerFor, otherEnvironmentController, routeService, type EnvironmentSession } from "./environment.js";
import type { Reporter } from "./events.js";
import { startScaleDownProcess } from "./scale-down.js";

export const untilPausedByHand = (s: RolloutState): boolean => s.userPaused || s.pause?.kind === "manual";

export interface DriveOptions {
  reporter: Reporter;
  /** The outcome the caller wants (healthy; aborted for an abort). */
  expected?: CompletionOutcome;
  /** Stops driving (the rollout stays where it is). Without one, SIGINT and SIGTERM stop it. */
  signal?: AbortSignal;
  /** Who acts, for the lock history: the server's authenticated user; default the local identity. */
  actor?: string;
  /** The promotion or rollback to a lock a rollout started here belongs to: the group records one history entry. */
  groupId?: string;
  /** Subscribes the rollout loop's nudge to changes recorded in this process (a command), so it acts now, not after its sleep; returns the unsubscribe. */
  wakeOn?: (nudge: () => void) => () => void;
  /**
   * This process runs the environment's controller (`slipway serve` doing a
   * promotion for the API): a rollout started here is left to it — woken at
   * once — and followed through the store, never driven a second time; the
   * controller stays the only router writer. `signal` stops the following.
   */
  ownController?: { wake(): void };
}

/** Who starts a rollout, by which action, in which group. */
export function originOf(options: Pick<DriveOptions, "actor" | "groupId">, action: LockAction): RolloutOrigin {
  return { actor: options.actor ?? currentIdentity().name, action, ...(options.groupId === undefined ? {} : { groupId: options.groupId }) };
}

export interface DriveResult {
  rolloutId: string;
  end: LoopEnd;
  expected: CompletionOutcome;
  /** The pid of the process that drove it while this one followed. */
  followedFrom?: number;
}

/** Whether a drive ended as the caller wanted: as expected, or stopped (paused) as asked. */
export function driveSucceeded(result: DriveResult): boolean {
  return result.end.kind === "complete" ? result.end.outcome === result.expected : result.end.kind === "stopped";
}

export async function drive(session: EnvironmentSession, service: LoadedService, rolloutId: string, stopWhen: (s: RolloutState) => boolean, options: DriveOptions): Promise<DriveResult> {
  const expected = options.expected ?? "healthy";
  if (options.ownController !== undefined) {
    options.ownController.wake();
    return followFromStore(session, service, rolloutId, process.pid, stopWhen, options.reporter, expected, options.signal);
  }
  const environmentController = otherEnvironmentController(session);
  if (environmentController !== undefined) return followFromStore(session, service, rolloutId, environmentController, stopWhen, options.reporter, expected);
  const lock = await serviceLock(session, service, options.reporter);
  if ("heldBy" in lock) return followFromStore(session, service, rolloutId, lock.heldBy, stopWhen, options.reporter, expected);
  const controller = controllerFor(session, service);
  const { signal, detach } = options.signal === undefined ? processSignals() : { signal: options.signal, detach: () => undefined };
  const where = { service: service.config.name, environment: session.environment.name, rolloutId };
  const unwake = options.wakeOn?.(() => controller.loop.nudge());
  try {
    await routeService(session, service.config);
    const orphans = await removeOrphanInstances({ runtime: session.runtime, router: session.router, store: session.rollouts }, session.system.config.system, session.environment.name);
    if (orphans.length > 0) options.reporter.emit({ type: "instances.orphansRemoved", service: where.service, environment: where.environment, names: orphans.map((o) => o.name) });
    const stepCount = service.config.strategy.canary?.steps.length;
    const end = await controller.loop.run(rolloutId, {
      signal,
      stopWhen,
      onWarning: (message) => options.reporter.emit({ type: "warning", message: `warning: ${message}` }),
      onPlan: (report) => {
        if (report.error !== undefined) options.reporter.emit({ type: "rollout.retrying", ...where, message: report.error.message });
        else options.reporter.emit({ type: "rollout.progress", ...where, state: report.state, observed: report.observed, ...(stepCount === undefined ? {} : { stepCount }) });
      },
    });
    if (end.kind === "complete") handOverScaleDown(session, service.config.name, end.state, options.reporter);
    return { rolloutId, end, expected };
  } finally {
    unwake?.();
    detach();
    controller.close();
    (lock as ControllerLock).release();
    await session.router.close();
  }
}

/**
 * The service's lock, or the pid that holds it. A scale-down pass holds it
 * briefly (a drain and a stop) and never drives a rollout: wait for it rather
 * than follow a rollout nobody would drive.
 */
async function serviceLock(session: EnvironmentSession, service: LoadedService, reporter: Reporter): Promise<ControllerLock | { heldBy: number }> {
  const path = lockPath(session.system.stateDir, session.environment.name, service.config.name);
  let lock = acquireControllerLock(path);
  if ("heldBy" in lock && holdsForScaleDown(path, lock.heldBy)) reporter.emit({ type: "warning", message: `waiting for the scale-down pass in process ${lock.heldBy} to finish` });
  while ("heldBy" in lock && holdsForScaleDown(path, lock.heldBy)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    lock = acquireControllerLock(path);
  }
  return lock;
}

/**
 * The rollout ended once traffic was settled; the revisions it keeps warm for
 * a rollback go at their scale-down time, in the background: the
 * environment's controller does it when one runs (this process, maybe), else
 * a detached `slipway scale-down`.
 */
function handOverScaleDown(session: EnvironmentSession, service: string, state: RolloutState, reporter: Reporter): void {
  const warm = state.scaleDownAt.filter((d) => d.atMs > Date.now());
  if (warm.length === 0) return;
  const controller = lockHolder(environmentLockPath(session.system.stateDir, session.environment.name)) !== undefined;
  if (!controller) startScaleDownProcess(session.system, session.environment.name);
  reporter.emit({ type: "scaleDown.handedOver", service, environment: session.environment.name, revisions: warm.map((d) => d.revision), untilMs: Math.max(...warm.map((d) => d.atMs)), by: controller ? "controller" : "scale-down process" });
}

/** A signal aborted by SIGINT or SIGTERM, as a command run by hand is stopped. */
function processSignals(): { signal: AbortSignal; detach: () => void } {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return {
    signal: stop.signal,
    detach: () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

/** Another process (or this one's own controller) drives: report what the store says until it ends, stopWhen holds or `signal` aborts. */
async function followFromStore(session: EnvironmentSession, service: LoadedService, rolloutId: string, pid: number, stopWhen: (s: RolloutState) => boolean, reporter: Reporter, expected: CompletionOutcome, signal?: AbortSignal): Promise<DriveResult> {
  const where = { service: service.config.name, environment: session.environment.name, rolloutId };
  reporter.emit({ type: "rollout.following", ...where, pid });
  const stepCount = service.config.strategy.canary?.steps.length;
  for (;;) {
    const record = session.rollouts.getRollout(rolloutId) as RolloutRecord;
    reporter.emit({ type: "rollout.followed", ...where, state: record.state, ...(stepCount === undefined ? {} : { stepCount }) });
    if (record.finished) return { rolloutId, end: { kind: "complete", outcome: record.outcome ?? "healthy", state: record.state }, expected, followedFrom: pid };
    if ((stopWhen(record.state) && session.rollouts.nextCommand(rolloutId) === undefined) || signal?.aborted === true) return { rolloutId, end: { kind: "stopped", state: record.state }, expected, followedFrom: pid };
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** For callers whose process runs the environment's controller: record what is wanted in the store and return. */
export interface RecordOnly {
  recordOnly?: boolean;
}
