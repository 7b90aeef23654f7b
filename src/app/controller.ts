// The rollout controller of an environment as a long-running loop, as Argo
// Rollouts runs in a cluster (`slipway controller --env`, and `slipway serve`
// for every environment). It drives every rollout of the environment that is
// in flight — started by `slipway deploy`, `rollout promote`, `rollback`, …
// in other processes, which then only record what they want in the store and
// follow — so timed pauses and analysis go on when no command runs. It is the
// environment's only router writer while it runs (one router client, whose
// operations are serialised).
//
// A rollout paused by hand waits for a person: it is picked up again once a
// command (promote, resume, abort) is queued for it. Stopping the controller
// leaves rollouts where they are, and any slipway command (or the next
// controller) resumes them from the store.
//
// Between rollouts it keeps every settled service at its replica count, as a
// ReplicaSet controller would (replica-repair.ts): every 2 s per service whose
// latest rollout has finished, under the service's lock, an instance of the
// serving revision that is gone or stays down is replaced and routed once
// ready, and backends whose container is gone leave the router. The
// revisions a finished rollout keeps warm for a rollback go at their
// scale-down time in the same pass (scale-down-finisher.ts).
import { loadSystem } from "../config/load-system.js";
import { acquireControllerLock, environmentLockPath, lockPath } from "../delivery/controller/controller-lock.js";
import { dockerEngineStateOf, ReplicaRepairer } from "../delivery/controller/replica-repairer.js";
import { keepsRevisionsWarm, scaleDownPass, type ScaleDownDeps } from "../delivery/controller/scale-down-finisher.js";
import { SlipwayError } from "../domain/errors.js";
import { drive, untilPausedByHand } from "./drive.js";
import { openEnvironment, routeService, serviceOf, type EnvironmentSession } from "./environment.js";
import type { Reporter } from "./events.js";
import type { Wakeups } from "./wakeups.js";

const POLL_MS = 500;
const RETRY_AFTER_MS = 5000;
/** A settled service is looked at no more often than this. */
const REPAIR_EVERY_MS = 2000;

export interface EnvironmentController {
  environment: string;
  /** Resolves once the loop stopped (after `signal` aborted) and every rollout being driven saved where it is. */
  done: Promise<void>;
}

/**
 * Takes the environment's controller lock (refused while another process
 * holds it) and starts the loop; it runs until `signal` aborts.
 */
export interface ControllerOptions {
  reporter: Reporter;
  signal: AbortSignal;
  /** Changes this process records for the environment (`slipway serve`'s API) wake the loop and the rollouts it drives at once. */
  wakeups?: Wakeups;
  /** What runs it, as commands it refuses name it ("slipway serve"); default `slipway controller --env <env>`. */
  holder?: string;
}

export async function startEnvironmentController(config: string, envName: string, options: ControllerOptions): Promise<EnvironmentController> {
  const session = await openEnvironment(config, envName);
  const lock = acquireControllerLock(environmentLockPath(session.system.stateDir, session.environment.name), options.holder ?? `slipway controller --env ${envName}`);
  if ("heldBy" in lock) {
    session.close();
    throw new SlipwayError("ROLLOUT_IN_PROGRESS", `a controller for ${envName} already runs in process ${lock.heldBy}`, { hint: "one controller per environment; stop that one first, or let it work" });
  }
  // From the signal until the loop has saved its rollouts the lock stays held; it says so, so a command it refuses meanwhile can wait.
  if (options.signal.aborted) lock.markStopping();
  else options.signal.addEventListener("abort", () => lock.markStopping(), { once: true });
  const done = runLoop(config, session, options).finally(async () => {
    lock.release();
    await session.router.close();
    session.close();
  });
  return { environment: session.environment.name, done };
}

async function runLoop(config: string, session: EnvironmentSession, { reporter, signal, wakeups }: ControllerOptions): Promise<void> {
  const environment = session.environment.name;
  const wakeOn = wakeups === undefined ? undefined : (nudge: () => void) => wakeups.on(environment, nudge);
  // Each rollout being driven, by id; drive() takes the service's own lock and reports its end.
  const driving = new Map<string, { service: string; run: Promise<unknown> }>();
  // A rollout whose driving failed (engine away, say) waits this long before the next attempt.
  const failedAt = new Map<string, number>();
  const repairs = new ReplicaRepairs(config, session, reporter);
  try {
    if (session.kubernetes === undefined) await session.engine.ping();
    while (!signal.aborted) {
      const unfinished = session.rollouts.unfinishedRollouts(session.system.config.system, environment);
      for (const rollout of unfinished) {
        if (driving.has(rollout.id) || Date.now() - (failedAt.get(rollout.id) ?? 0) < RETRY_AFTER_MS) continue;
        // A repair pass of the service finishes first (it holds the service's lock).
        if (repairs.busy(rollout.state.service)) continue;
        if (untilPausedByHand(rollout.state) && session.rollouts.nextCommand(rollout.id) === undefined) continue;
        // Each rollout runs with the configuration as it is now (its strategy is frozen in the store).
        const system = await loadSystem(config);
        const service = serviceOf(system, rollout.state.service);
        reporter.emit({ type: "controller.driving", service: rollout.state.service, environment, rolloutId: rollout.id, strategy: rollout.state.strategy, phase: rollout.state.phase });
        const run = drive({ ...session, system }, service, rollout.id, untilPausedByHand, { reporter, signal, ...(wakeOn === undefined ? {} : { wakeOn }) })
          .catch((err: unknown) => {
            failedAt.set(rollout.id, Date.now());
            reporter.emit({ type: "controller.driveFailed", service: rollout.state.service, environment, rolloutId: rollout.id, message: err instanceof Error ? err.message : String(err), retryInMs: RETRY_AFTER_MS });
          })
          .finally(() => driving.delete(rollout.id));
        driving.set(rollout.id, { service: rollout.state.service, run });
      }
      // On Kubernetes each revision's ReplicaSet keeps its replicas: no repair passes.
      if (session.kubernetes === undefined) repairs.tick(new Set([...unfinished.map((r) => r.state.service), ...[...driving.values()].map((d) => d.service)]));
      await pollPause(POLL_MS, wakeOn, signal);
    }
    // drive() stops on the same signal; wait for each to save where it is.
    await Promise.all([...[...driving.values()].map((d) => d.run), repairs.settle()]);
  } finally {
    repairs.close();
  }
}

/** Sleeps `ms`, or less when woken or stopped (the lock is not held a poll longer than needed). */
function pollPause(ms: number, wakeOn: ((nudge: () => void) => () => void) | undefined, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      off?.();
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const off = wakeOn?.(done);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Replica repair of the environment's settled services: one ReplicaRepairer
 * (with its readiness tracker) per service, a pass at most every
 * REPAIR_EVERY_MS, none while the service has a rollout in flight.
 */
class ReplicaRepairs {
  private readonly repairers = new Map<string, ReplicaRepairer>();
  private readonly passes = new Map<string, Promise<void>>();
  private readonly nextPassMs = new Map<string, number>();

  constructor(
    private readonly config: string,
    private readonly session: EnvironmentSession,
    private readonly reporter: Reporter,
  ) {}

  /** A pass of the service runs now. */
  busy(service: string): boolean {
    return this.passes.has(service);
  }

  /** Starts the passes that are due; `inFlight`: services whose rollouts the rollout loop owns. */
  tick(inFlight: ReadonlySet<string>): void {
    const { system, environment } = this.session;
    const services = new Set(this.session.rollouts.listEnvironmentRevisions(system.config.system, environment.name).map((r) => r.service));
    for (const service of services) {
      if (this.passes.has(service)) continue;
      if (inFlight.has(service)) {
        this.drop(service);
        continue;
      }
      if (Date.now() < (this.nextPassMs.get(service) ?? 0)) continue;
      this.nextPassMs.set(service, Date.now() + REPAIR_EVERY_MS);
      const pass = this.repairerFor(service)
        .then(async (repairer) => {
          if (repairer === undefined) return;
          await repairer.repairOnce();
          // The revisions the service's finished rollout keeps warm for a rollback go at their scale-down time.
          if (keepsRevisionsWarm(this.session.rollouts, repairer.scope)) await scaleDownPass({ ...this.scaleDownDeps(service), log: (line) => this.reporter.emit({ type: "repair.log", service, environment: environment.name, line }) });
        })
        .catch((err: unknown) => {
          // The next attempt starts afresh (the router started again, the readiness tracker new).
          this.drop(service);
          this.nextPassMs.set(service, Date.now() + RETRY_AFTER_MS);
          this.reporter.emit({ type: "repair.failed", service, environment: environment.name, message: err instanceof Error ? err.message : String(err), retryInMs: RETRY_AFTER_MS });
        })
        .finally(() => this.passes.delete(service));
      this.passes.set(service, pass);
    }
  }

  private scaleDownDeps(service: string): Omit<ScaleDownDeps, "log"> {
    const { system, environment, runtime, router, rollouts } = this.session;
    return { scope: { system: system.config.system, environment: environment.name, service }, runtime, router, store: rollouts, lockPath: lockPath(system.stateDir, environment.name, service) };
  }

  /** Waits for the passes running now. */
  async settle(): Promise<void> {
    await Promise.all(this.passes.values());
  }

  close(): void {
    for (const service of [...this.repairers.keys()]) this.drop(service);
  }

  private drop(service: string): void {
    this.repairers.get(service)?.close();
    this.repairers.delete(service);
  }

  /** The service's repairer; a new one first declares the service to the router (started if need be). Undefined for a service no longer configured. */
  private async repairerFor(service: string): Promise<ReplicaRepairer | undefined> {
    const existing = this.repairers.get(service);
    if (existing !== undefined) return existing;
    const system = await loadSystem(this.config);
    const configured = system.services.find((s) => s.config.name === service);
    if (configured === undefined) {
      this.nextPassMs.set(service, Date.now() + RETRY_AFTER_MS);
      return undefined;
    }
    const session = this.session;
    await routeService({ ...session, system }, configured.config);
    const environment = session.environment.name;
    const repairer = new ReplicaRepairer({
      scope: { system: system.config.system, environment, service },
      runtime: session.runtime,
      router: session.router,
      store: session.rollouts,
      engineStateOf: dockerEngineStateOf(session.engine),
      lockPath: lockPath(system.stateDir, environment, service),
      log: (line) => this.reporter.emit({ type: "repair.log", service, environment, line }),
    });
    this.repairers.set(service, repairer);
    return repairer;
  }
}
