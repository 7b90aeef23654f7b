// `slipway controller --env <env>`: the rollout controller as a long-running
// process, as Argo Rollouts runs in a cluster. It drives every rollout of the
// environment that is in flight — started by `slipway deploy`, `rollout
// promote`, `rollback`, … in other processes, which then only record what they
// want in the store and follow — so timed pauses and analysis go on when no
// command runs. It is the environment's only router writer while it runs
// (one router client, whose operations are serialised).
//
// A rollout paused by hand waits for a person: it is picked up again once a
// command (promote, resume, abort) is queued for it. Ctrl-C stops the
// controller; rollouts stay where they are, and any slipway command (or the
// next controller) resumes them from the store.
//
// Between rollouts it keeps every settled service at its replica count, as a
// ReplicaSet controller would (replica-repair.ts): every 2 s per service whose
// latest rollout has finished, under the service's lock, an instance of the
// serving revision that is gone or stays down is replaced and routed once
// ready, and backends whose container is gone leave the router.
import { loadSystem } from "../../config/load-system.js";
import { acquireControllerLock, environmentLockPath, lockPath } from "../../delivery/controller/controller-lock.js";
import { dockerEngineStateOf, ReplicaRepairer } from "../../delivery/controller/replica-repairer.js";
import { SlipwayError } from "../../domain/errors.js";
import type { CommandContext } from "../main.js";
import type { Output } from "../output.js";
import { drive, openEnvironment, routeService, serviceOf, untilPausedByHand } from "./deploy.js";

const POLL_MS = 500;
const RETRY_AFTER_MS = 5000;
/** A settled service is looked at no more often than this. */
const REPAIR_EVERY_MS = 2000;

type Session = Awaited<ReturnType<typeof openEnvironment>>;

export async function controllerCommand(ctx: CommandContext, opts: { env: string }): Promise<number> {
  const session = await openEnvironment(ctx.globals.config, opts.env);
  const lock = acquireControllerLock(environmentLockPath(session.system.stateDir, session.environment.name));
  if ("heldBy" in lock) {
    session.close();
    throw new SlipwayError("ROLLOUT_IN_PROGRESS", `a controller for ${opts.env} already runs in process ${lock.heldBy}`, { hint: "one controller per environment; stop that one first, or let it work" });
  }
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Each rollout being driven, by id; drive() takes the service's own lock and reports its end.
  const driving = new Map<string, { service: string; run: Promise<unknown> }>();
  // A rollout whose driving failed (engine away, say) waits this long before the next attempt.
  const failedAt = new Map<string, number>();
  const repairs = new ReplicaRepairs(ctx, session);
  ctx.output.out(`controller for ${opts.env} (process ${process.pid}): driving rollouts as they come and keeping settled services at their replica counts; Ctrl-C stops it and leaves them where they are`);
  try {
    await session.engine.ping();
    while (!stop.signal.aborted) {
      const unfinished = session.rollouts.unfinishedRollouts(session.system.config.system, session.environment.name);
      for (const rollout of unfinished) {
        if (driving.has(rollout.id) || Date.now() - (failedAt.get(rollout.id) ?? 0) < RETRY_AFTER_MS) continue;
        // A repair pass of the service finishes first (it holds the service's lock).
        if (repairs.busy(rollout.state.service)) continue;
        if (untilPausedByHand(rollout.state) && session.rollouts.nextCommand(rollout.id) === undefined) continue;
        // Each rollout runs with the configuration as it is now (its strategy is frozen in the store).
        const system = await loadSystem(ctx.globals.config);
        const service = serviceOf(system, rollout.state.service);
        const sub = { ...ctx, output: prefixed(ctx.output, rollout.state.service) };
        sub.output.out(`driving rollout ${rollout.id} (${rollout.state.strategy}) from ${rollout.state.phase}`);
        const run = drive(sub, { ...session, system }, service, rollout.id, untilPausedByHand)
          .catch((err: unknown) => {
            failedAt.set(rollout.id, Date.now());
            sub.output.err(`stopped driving ${rollout.id}: ${err instanceof Error ? err.message : String(err)}; trying again in ${RETRY_AFTER_MS / 1000} s`);
          })
          .finally(() => driving.delete(rollout.id));
        driving.set(rollout.id, { service: rollout.state.service, run });
      }
      repairs.tick(new Set([...unfinished.map((r) => r.state.service), ...[...driving.values()].map((d) => d.service)]));
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    // drive() stops on the same signals; wait for each to save where it is.
    await Promise.all([...[...driving.values()].map((d) => d.run), repairs.settle()]);
    ctx.output.out("controller stopped; rollouts in flight stay where they are");
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    repairs.close();
    lock.release();
    await session.router.close();
    session.close();
  }
}

function prefixed(output: Output, service: string): Output {
  return { color: output.color, out: (line) => output.out(`[${service}] ${line}`), err: (line) => output.err(`[${service}] ${line}`) };
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
    private readonly ctx: CommandContext,
    private readonly session: Session,
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
      const output = prefixed(this.ctx.output, service);
      const pass = this.repairerFor(service, output)
        .then(async (repairer) => void (await repairer?.repairOnce()))
        .catch((err: unknown) => {
          // The next attempt starts afresh (the router started again, the readiness tracker new).
          this.drop(service);
          this.nextPassMs.set(service, Date.now() + RETRY_AFTER_MS);
          output.err(`replica repair failed: ${err instanceof Error ? err.message : String(err)}; trying again in ${RETRY_AFTER_MS / 1000} s`);
        })
        .finally(() => this.passes.delete(service));
      this.passes.set(service, pass);
    }
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
  private async repairerFor(service: string, output: Output): Promise<ReplicaRepairer | undefined> {
    const existing = this.repairers.get(service);
    if (existing !== undefined) return existing;
    const system = await loadSystem(this.ctx.globals.config);
    const configured = system.services.find((s) => s.config.name === service);
    if (configured === undefined) {
      this.nextPassMs.set(service, Date.now() + RETRY_AFTER_MS);
      return undefined;
    }
    const session = this.session;
    await routeService({ ...session, system }, configured.config);
    const repairer = new ReplicaRepairer({
      scope: { system: system.config.system, environment: session.environment.name, service },
      runtime: session.runtime,
      router: session.router,
      store: session.rollouts,
      engineStateOf: dockerEngineStateOf(session.engine),
      lockPath: lockPath(system.stateDir, session.environment.name, service),
      log: (line) => output.out(line),
    });
    this.repairers.set(service, repairer);
    return repairer;
  }
}
