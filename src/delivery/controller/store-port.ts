// What the controller keeps in the state store: revisions (pod templates),
// rollouts with the planner's state and the strategy frozen at their start,
// the command queue, and analysis measurements for resuming runs.
import type { Strategy } from "../../domain/config-schema.js";
import type { InstanceTemplate, LockAction } from "../../domain/lock-history.js";
import type { Measurement } from "../analysis/metric-provider.js";
import type { Command, CompletionOutcome, RolloutState } from "../types.js";

export type { InstanceTemplate };

export interface ServiceScope {
  system: string;
  environment: string;
  service: string;
}

export interface RevisionRecord extends ServiceScope {
  name: string;
  number: number;
  /** registry/repo@sha256:… */
  image: string;
  version?: string;
  template: InstanceTemplate;
  createdAt: string;
}

export interface RolloutRecord {
  id: string;
  system: string;
  state: RolloutState;
  strategy: Strategy;
  finished: boolean;
  outcome?: CompletionOutcome;
  createdAt: string;
  updatedAt: string;
}

/** A digest whose rollout was aborted in an environment (and not rolled out healthily there since). */
export interface AbortedImage extends ServiceScope {
  /** sha256:… */
  digest: string;
  version?: string;
  rolloutId: string;
  reason?: string;
  abortedAt: string;
}

/** Who started a rollout, by which action; a rollout of a group (a promotion, a rollback to a lock) is recorded in the history with its group. */
export interface RolloutOrigin {
  actor: string;
  action: LockAction;
  groupId?: string;
}

/**
 * The router's cumulative counters of the revision a rollout left serving,
 * read when it finished healthy: where a soak window's analysis starts
 * counting (the counters are cumulative, so the window is now minus this).
 */
export interface CountersMark {
  revision: string;
  requests: number;
  responses5xx: number;
  connectionErrors: number;
  /** When the router's counters started; a different value now means they started again. */
  countersSince: string;
  /** ISO time of the reading. */
  at: string;
}

export interface QueuedCommand {
  id: number;
  rolloutId: string;
  command: Command;
}

export interface RolloutStore {
  listRevisions(scope: ServiceScope): RevisionRecord[];
  /** Every revision of an environment, for orphan cleanup. */
  listEnvironmentRevisions(system: string, environment: string): RevisionRecord[];
  saveRevision(revision: RevisionRecord): void;
  deleteRevisions(scope: ServiceScope, names: readonly string[]): void;
  /** STATE_STORE error naming the rollout in flight when the service already has one. */
  createRollout(rollout: { id: string; system: string; state: RolloutState; strategy: Strategy; origin?: RolloutOrigin }, finishPrevious?: string): void;
  getRollout(id: string): RolloutRecord | undefined;
  /** The newest rollout of the service, finished or not. */
  latestRollout(scope: ServiceScope): RolloutRecord | undefined;
  unfinishedRollouts(system: string, environment?: string): RolloutRecord[];
  /** The service's rollouts, newest first. */
  listRollouts(scope: ServiceScope, limit: number): RolloutRecord[];
  /** Saves the plan's state and marks the command consumed, in one transaction. */
  saveState(id: string, state: RolloutState, consumedCommand?: number): void;
  /**
   * Records the outcome; an aborted one marks the target's digest aborted in
   * the environment, a healthy one clears that mark. A rollout of no group
   * appends the environment's lock to its history.
   */
  finishRollout(id: string, outcome: CompletionOutcome): void;
  /** Keeps the counters read when the rollout finished healthy (a soak's analysis window starts there). */
  saveCountersMark(id: string, mark: CountersMark): void;
  countersMark(id: string): CountersMark | undefined;
  /** Digests aborted in the service's environments (one environment when given), newest first. */
  abortedImages(filter: { system: string; service: string; environment?: string }): AbortedImage[];
  /** Re-opens a finished rollout for a retry; refused when another rollout of the service is in flight. */
  reopenRollout(id: string): void;
  enqueueCommand(rolloutId: string, command: Command): number;
  nextCommand(rolloutId: string): QueuedCommand | undefined;
  /** Marks a command consumed without a plan (its rollout finished). */
  dropCommand(id: number): void;
  loadMeasurements(rolloutId: string, key: string): Measurement[];
  saveMeasurements(rolloutId: string, key: string, measurements: readonly Measurement[]): void;
}
