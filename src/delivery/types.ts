// The rollout planners' vocabulary: what the controller observes, what it
// persists between steps, what a person may ask for, and the actions a plan
// asks the controller to carry out. Planners (strategies/) are pure functions
// of these; the controller (not here) does the I/O.
//
// How the controller applies a plan — the contract that makes a crash at any
// point safe to resume from the store:
//
//  1. Observe: every recorded revision of the service with its live
//     instances and their readiness (readySinceMs kept from when the instance
//     last turned ready), the router's weights and preview, and the status of
//     this rollout's analysis runs (a stopped run: its verdict if it reached
//     one, else absent). Take at most one queued Command. One controller
//     plans a given rollout at a time.
//  2. plan(spec, state, observed, command) → { state, actions }.
//  3. Persist `state` — and mark the command consumed — in one transaction,
//     BEFORE applying any action. A state records decisions only (the step
//     reached, pauses, abort, promotion, timers, analyses asked for), never a
//     claim that an action took effect: every plan re-derives the desired
//     world from those decisions and re-emits whatever the observation does
//     not show yet. So a crash after step 3 re-emits the same actions, and a
//     crash before it simply plans again.
//  4. Apply the actions in order, stopping at the first that fails (then
//     observe and plan again after a back-off). Every action is absolute and
//     idempotent; applying one twice, or after a crash half-way, is harmless:
//       scale            make the revision have exactly `replicas` live (not
//                        exited) instances: remove exited ones, create missing
//                        ones from the revision's recorded template, and remove
//                        surplus ones not-ready first, then newest first. Each
//                        instance removed is first taken out of the router and
//                        drained (in-flight requests finish), then stopped.
//       route            set the whole weight table and the preview at once;
//                        revisions not named get 0. Within a revision, traffic
//                        goes to its ready instances.
//       startAnalysis    start the run named `key` unless one by that name
//                        exists for this rollout (finished or not).
//       stopAnalysis     stop that run if it is running.
//       forgetRevisions  delete these revisions' records (revisionHistoryLimit).
//       wait             nothing more now: plan again at `untilMs` at the
//                        latest, or sooner when readiness, an analysis or the
//                        router changes, or a command arrives.
//       complete         record the outcome and stop planning this rollout
//                        until a command (retry) or a newer rollout arrives.
//     Within a plan, scale-ups come first, then route, then scale-downs, then
//     analysis and history actions, and every plan ends with exactly one wait
//     or complete. The ordering is what keeps requests from failing: weight
//     moves to a revision only once it has ready instances, and leaves a
//     revision before its instances are removed.
//
// Time: nowMs and every *Ms field are wall-clock epoch milliseconds, because
// they are persisted and compared across restarts.
import type { Strategy, StrategyKind } from "../domain/config-schema.js";
import type { InstancePhase } from "../runtime/types.js";

export type RollingSpec = NonNullable<Strategy["rolling"]>;
export type BlueGreenSpec = NonNullable<Strategy["blueGreen"]>;
export type CanarySpec = NonNullable<Strategy["canary"]>;
export type CanaryStepSpec = CanarySpec["steps"][number];
export type AnalysisRefSpec = NonNullable<CanarySpec["analysis"]>;

// ------------------------------------------------------------------ observed

export interface ObservedInstance {
  id: string;
  phase: InstancePhase;
  /** Passes its readiness probe now. */
  ready: boolean;
  /** When it last turned ready; availability (minReadySeconds) counts from here. */
  readySinceMs?: number;
}

export interface ObservedRevision {
  revision: string;
  /**
   * Orders the history like Kubernetes' deployment.kubernetes.io/revision:
   * when undo makes an old revision current again, it gets the next number.
   */
  number: number;
  image: string;
  /** Live and exited instances; none for a revision kept only in the history. */
  instances: ObservedInstance[];
}

export interface MeasurementSummary {
  successful: number;
  failed: number;
  inconclusive: number;
  error: number;
}

/** An analysis run as its runner reports it. A run whose metric errors beyond its limit reports failed. */
export interface AnalysisObservation {
  status: "running" | "successful" | "failed" | "inconclusive";
  message?: string;
  measurements?: MeasurementSummary;
}

export interface Observed {
  nowMs: number;
  /** Every recorded revision of the service (instances or not), oldest number first. */
  revisions: ObservedRevision[];
  /** The router's split, revision → percent; a revision not named gets 0. */
  weights: Record<string, number>;
  /** The revision behind the preview endpoint, if any. */
  previewRevision?: string;
  /**
   * The router cannot weigh requests: traffic follows the count of serving
   * instances behind one Service (Kubernetes without Gateway API). A canary
   * then sizes both revisions to its weight instead of routing it.
   */
  splitByReplicas?: boolean;
  /** This rollout's analysis runs by key. */
  analyses: Record<string, AnalysisObservation>;
}

// --------------------------------------------------------------- persisted

export type RolloutPhase = "progressing" | "paused" | "healthy" | "degraded" | "aborted";

/** A wait the strategy itself imposes: a canary pause step, blue-green awaiting promotion, an inconclusive analysis. */
export type Pause = { kind: "timed"; untilMs: number; reason: string } | { kind: "manual"; reason: string };

/** pending: asked for, not yet seen running. stopped: ended by the rollout (promote, abort, completion) before it decided. */
export type AnalysisStatus = "pending" | "running" | "successful" | "failed" | "inconclusive" | "stopped";

export interface AnalysisRecord {
  /** Unique within the rollout — a<attempt>-background, a<attempt>-step-<index>, a<attempt>-pre-promotion — so a retry starts fresh runs. */
  key: string;
  purpose: "background" | "step" | "prePromotion";
  /** The canary step it belongs to. */
  stepIndex?: number;
  metrics: string[];
  /** Under analysis: the canary or preview revision. */
  revision: string;
  /** Compared with: the stable revision. */
  baseline?: string;
  status: AnalysisStatus;
  message?: string;
  measurements?: MeasurementSummary;
  /** An inconclusive result a person accepted with promote. */
  accepted?: boolean;
}

/** Argo's scale-down-deadline annotation: the revision keeps its instances until atMs (warm for a rollback). */
export interface ScaleDown {
  revision: string;
  atMs: number;
}

/** The target's counts at the last plan; an increase (or fewer old instances) is progress, as in Kubernetes' DeploymentProgressing. */
export interface ProgressCounts {
  /** Instances of the target the plan asked for. */
  updated: number;
  ready: number;
  available: number;
  /** Live instances of every other revision. */
  old: number;
}

export interface RolloutState {
  id: string;
  service: string;
  environment: string;
  strategy: StrategyKind;
  /** The revision serving before this rollout; none for a first deployment. After promotion: the target. */
  stableRevision?: string;
  targetRevision: string;
  desiredReplicas: number;
  /** 1, and one more per retry; part of analysis keys. */
  attempt: number;
  /** Canary: the step being carried out; steps.length once all are done. */
  stepIndex: number;
  pause?: Pause;
  /** `slipway rollout pause`: nothing moves until resume (an analysis failure still aborts). */
  userPaused: boolean;
  /** Blue-green: the switch may happen (promote, autoPromote, or autoPromotionSeconds elapsed). */
  promoted: boolean;
  /** Skip the remaining steps, pauses and analyses (promote --full; every rollback). */
  promoteFull: boolean;
  aborted: boolean;
  abortReason?: string;
  abortedAtMs?: number;
  phase: RolloutPhase;
  /** The latest thing a person should know, e.g. why a command had no effect. */
  message?: string;
  startedAtMs: number;
  /** The progress deadline counts from here. */
  lastProgressMs: number;
  counts: ProgressCounts;
  analyses: AnalysisRecord[];
  scaleDownAt: ScaleDown[];
  /**
   * Rolling with scaleDownDelaySeconds: how many instances of each older
   * revision still count and take traffic. The rest stay running, out of the
   * split, until the scale-down time after the update (a rollback within it
   * is a weight flip). Absent: all of its live instances.
   */
  serving?: Record<string, number>;
  /** Set on the record `slipway undeploy` leaves: nothing serves, desiredReplicas 0. */
  undeployedAtMs?: number;
}

// ----------------------------------------------------------------- commands

/** What a person asks of a rollout (`slipway rollout promote|pause|resume|abort|retry`). */
export type Command =
  | { type: "promote" }
  | { type: "promoteFull" }
  | { type: "pause" }
  | { type: "resume" }
  | { type: "abort"; reason?: string }
  | { type: "retry" };

// ------------------------------------------------------------------ actions

export type CompletionOutcome = "healthy" | "aborted" | "degraded";

export type Action =
  | { type: "scale"; revision: string; replicas: number }
  | { type: "route"; weights: Record<string, number>; preview: string | null }
  | { type: "startAnalysis"; key: string; metrics: string[]; revision: string; baseline?: string }
  | { type: "stopAnalysis"; key: string }
  | { type: "forgetRevisions"; revisions: string[] }
  | { type: "wait"; reason: string; untilMs?: number }
  | { type: "complete"; outcome: CompletionOutcome; reason?: string };

export interface Plan {
  state: RolloutState;
  actions: Action[];
}

export type Planner<Spec> = (spec: Spec, state: RolloutState, observed: Observed, command?: Command) => Plan;
