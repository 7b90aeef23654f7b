// What the use cases report while they work. They return their results as
// data and emit progress here instead of printing, so the CLI can format it
// as lines and the server can stream it (server-sent events) — one source of
// truth for both faces.
import type { Observed, RolloutState } from "../delivery/types.js";
import type { IntegrationTestResult } from "../pipeline/integration-tests.js";

/** The addresses a service answers at in an environment, through its router. */
export interface Endpoints {
  endpoint: string;
  preview?: string;
}

export type AppEvent =
  /** A rollout was recorded: by a deploy, a restore, or a rollback (to `version`, when the revision has one). */
  | { type: "rollout.started"; cause: "deploy" | "restore" | "rollback"; service: string; environment: string; rolloutId: string; image: string; targetRevision: string; strategy: string; endpoints: Endpoints; version?: string }
  /** The controller planned a step: the rollout's state and what it observed. */
  | { type: "rollout.progress"; service: string; environment: string; rolloutId: string; state: RolloutState; observed: Observed; stepCount?: number }
  /** A planning round failed and is retried. */
  | { type: "rollout.retrying"; service: string; environment: string; rolloutId: string; message: string }
  /** Another process drives the rollout; this one follows the store. */
  | { type: "rollout.following"; service: string; environment: string; rolloutId: string; pid: number }
  | { type: "rollout.followed"; service: string; environment: string; rolloutId: string; state: RolloutState; stepCount?: number }
  | { type: "instances.orphansRemoved"; service: string; environment: string; names: string[] }
  | { type: "controller.driving"; service: string; environment: string; rolloutId: string; strategy: string; phase: string }
  | { type: "controller.driveFailed"; service: string; environment: string; rolloutId: string; message: string; retryInMs: number }
  | { type: "repair.log"; service: string; environment: string; line: string }
  | { type: "repair.failed"; service: string; environment: string; message: string; retryInMs: number }
  | { type: "image.pulled"; service: string; image: string }
  | { type: "restore.skipped"; service: string; environment: string; image: string }
  | { type: "integration.started"; id: string; environment: string; deployed: Record<string, string> }
  | { type: "integration.result"; id: string; result: IntegrationTestResult }
  | { type: "compatibility.started"; id: string; environment: string; scratch: string; service: string; digest: string; lock: Record<string, string> }
  | { type: "loadtest.started"; id: string; environment: string; scenario: string; url: string; durationSeconds: number; rampSeconds?: number }
  /** What a deploy chose and why, e.g. a release passed over because its rollout was aborted in this environment. */
  | { type: "deploy.note"; service: string; environment: string; message: string }
  /** A rollback to an earlier revision: `live` of its `desired` instances still run (kept warm: a weight flip), the rest are created again. */
  | { type: "rollback.path"; service: string; environment: string; revision: string; live: number; desired: number }
  /** The rollout ended with traffic settled; these revisions keep running for a rollback until `untilMs`, then go in the background. */
  | { type: "scaleDown.handedOver"; service: string; environment: string; revisions: string[]; untilMs: number; by: "controller" | "scale-down process" }
  /** `slipway undeploy` removed the service's instances (drained first) and recorded it. */
  | { type: "service.undeployed"; service: string; environment: string; instances: number; revision?: string }
  /** A group change (a promotion, a rollback to a lock) began: these services change, in this order. */
  | { type: "group.started"; groupId: string; environment: string; action: "promote" | "rollback-to-lock"; services: string[]; detail: string }
  /** One service of the group: starting, or how it came back. */
  | { type: "group.step"; groupId: string; environment: string; service: string; message: string }
  /** A service of the group failed: the services already changed go back, dependents first. */
  | { type: "group.rollingBack"; groupId: string; environment: string; failed: string; reason: string }
  | { type: "group.finished"; groupId: string; environment: string; result: string; detail: string; lockNumber: number }
  /** A warning a person should read (a partial lock, a dependency outside it, …). */
  | { type: "warning"; message: string };

export interface Reporter {
  emit(event: AppEvent): void;
}

export const silentReporter: Reporter = { emit: () => undefined };

/** Sends every event to each reporter (the CLI's lines and, say, an event stream). */
export function fanOut(...reporters: readonly Reporter[]): Reporter {
  return { emit: (event) => reporters.forEach((r) => r.emit(event)) };
}
