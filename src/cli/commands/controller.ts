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
import { loadSystem } from "../../config/load-system.js";
import { acquireControllerLock, environmentLockPath } from "../../delivery/controller/controller-lock.js";
import { SlipwayError } from "../../domain/errors.js";
import type { CommandContext } from "../main.js";
import type { Output } from "../output.js";
import { drive, openEnvironment, serviceOf, untilPausedByHand } from "./deploy.js";

const POLL_MS = 500;
const RETRY_AFTER_MS = 5000;

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
  const driving = new Map<string, Promise<unknown>>();
  // A rollout whose driving failed (engine away, say) waits this long before the next attempt.
  const failedAt = new Map<string, number>();
  ctx.output.out(`controller for ${opts.env} (process ${process.pid}): driving rollouts as they come; Ctrl-C stops it and leaves them where they are`);
  try {
    await session.engine.ping();
    while (!stop.signal.aborted) {
      for (const rollout of session.rollouts.unfinishedRollouts(session.system.config.system, session.environment.name)) {
        if (driving.has(rollout.id) || Date.now() - (failedAt.get(rollout.id) ?? 0) < RETRY_AFTER_MS) continue;
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
        driving.set(rollout.id, run);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    // drive() stops on the same signals; wait for each to save where it is.
    await Promise.all(driving.values());
    ctx.output.out("controller stopped; rollouts in flight stay where they are");
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    lock.release();
    await session.router.close();
    session.close();
  }
}

function prefixed(output: Output, service: string): Output {
  return { color: output.color, out: (line) => output.out(`[${service}] ${line}`), err: (line) => output.err(`[${service}] ${line}`) };
}
