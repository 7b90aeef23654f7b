// The reconcile loop of one rollout, following the contract in ../types.ts:
// observe → plan → persist state and consume the command (one transaction)
// → apply the actions in order → wait. It stops when the rollout completes,
// when `stopWhen` says so (e.g. a manual pause the caller reports), or when
// the caller's signal aborts (Ctrl-C), which leaves the world as it is: the
// next `slipway rollout resume` carries on from the store.
import { planRollout } from "../strategies/plan-rollout.js";
import type { Action, CompletionOutcome, Observed, RolloutState } from "../types.js";
import { ActionApplier } from "./action-applier.js";
import type { ServiceWorld } from "./service-world.js";
import type { RolloutStore } from "./store-port.js";
import { WakeSignal } from "./wake-signal.js";

/** The longest the loop sleeps: commands from other processes arrive through the store, which is polled. */
const MAX_SLEEP_MS = 500;
const BACKOFF_MS = 2_000;
/** How long the end of a rollout waits for the router's counters (the soak analysis' starting mark). */
const MARK_TIMEOUT_MS = 5_000;

export interface PlanReport {
  state: RolloutState;
  observed: Observed;
  actions: Action[];
  error?: Error;
}

export interface LoopOptions {
  signal: AbortSignal;
  /** Stop once this says so after a plan was applied (the rollout goes on when resumed). */
  stopWhen?: (state: RolloutState) => boolean;
  onPlan?: (report: PlanReport) => void;
  hostEnv?: Readonly<Record<string, string | undefined>>;
  /** An instance needed its whole grace period and was killed, and the like. */
  onWarning?: (line: string) => void;
}

export type LoopEnd = { kind: "complete"; outcome: CompletionOutcome; state: RolloutState } | { kind: "stopped"; state: RolloutState } | { kind: "interrupted"; state: RolloutState };

export class RolloutLoop {
  private readonly wake = new WakeSignal();

  constructor(
    private readonly world: ServiceWorld,
    private readonly store: RolloutStore,
  ) {}

  /** Wakes a sleeping loop: readiness or an analysis changed. */
  nudge(): void {
    this.wake.nudge();
  }

  async run(rolloutId: string, options: LoopOptions): Promise<LoopEnd> {
    const applier = new ActionApplier(this.world, options.hostEnv ?? process.env, options.onWarning);
    this.resumeAnalyses(rolloutId);
    for (;;) {
      const record = this.store.getRollout(rolloutId);
      if (record === undefined) throw new Error(`rollout ${rolloutId} is not in the store`);
      if (record.finished) return { kind: "complete", outcome: record.outcome ?? "healthy", state: record.state };
      if (options.signal.aborted) return { kind: "interrupted", state: record.state };

      let untilMs: number | undefined;
      let report: PlanReport | undefined;
      try {
        this.wake.clear();
        const { observed } = await this.world.observe(rolloutId);
        const queued = this.store.nextCommand(rolloutId);
        const plan = planRollout(record.strategy, record.state, observed, queued?.command);
        this.store.saveState(rolloutId, plan.state, queued?.id);
        report = { state: plan.state, observed, actions: plan.actions };
        const result = await applier.apply(rolloutId, plan.actions);
        options.onPlan?.(report);
        if (result.kind === "complete") {
          this.store.finishRollout(rolloutId, result.outcome);
          this.world.deps.analyses.stopAll();
          if (result.outcome === "healthy") await this.markCounters(rolloutId, plan.state.targetRevision, options.onWarning);
          return { kind: "complete", outcome: result.outcome, state: plan.state };
        }
        if (options.stopWhen?.(plan.state) === true) return { kind: "stopped", state: plan.state };
        untilMs = result.untilMs;
      } catch (err) {
        if (options.signal.aborted) return { kind: "interrupted", state: record.state };
        options.onPlan?.({ ...(report ?? { state: record.state, observed: emptyObservation(), actions: [] }), error: err as Error });
        untilMs = Date.now() + BACKOFF_MS;
        // Back off: the events the failed actions caused do not cut it short.
        this.wake.clear();
      }
      await this.wake.sleep(Math.max(0, Math.min((untilMs ?? Infinity) - Date.now(), MAX_SLEEP_MS)), options.signal);
    }
  }

  /**
   * Reads the router's counters of the revision the rollout left serving and
   * keeps them with the rollout: a soak's analysis judges the window from
   * here (ADR 25). Best effort, bounded: a router that cannot say leaves no
   * mark, and the soak analysis then says it cannot judge that window.
   */
  private async markCounters(rolloutId: string, revision: string, onWarning?: (line: string) => void): Promise<void> {
    try {
      const counters = await Promise.race([this.world.revisionCounters(revision), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), MARK_TIMEOUT_MS).unref())]);
      if (counters !== undefined) this.store.saveCountersMark(rolloutId, { revision, ...counters, at: new Date().toISOString() });
    } catch (err) {
      onWarning?.(`warning: the router's counters of ${revision} could not be read at the end of rollout ${rolloutId} (a soak analysis cannot judge its window): ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Runs this process lost (a restart) are started again under their keys; persisted measurements are replayed. */
  private resumeAnalyses(rolloutId: string): void {
    const record = this.store.getRollout(rolloutId);
    if (record === undefined || record.finished) return;
    for (const a of record.state.analyses) {
      if (a.status !== "running") continue;
      this.world.deps.analyses.start({ rolloutId, key: a.key, metrics: a.metrics, revision: a.revision, baseline: a.baseline });
    }
  }
}

function emptyObservation(): Observed {
  return { nowMs: Date.now(), revisions: [], weights: {}, analyses: {} };
}
