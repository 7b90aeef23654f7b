// What a CI run reports while it works. The renderers (live terminal view,
// plain lines, --json NDJSON) and the run recorder consume these.

export const stages = ["build", "unit-test", "image", "container-test", "push"] as const;
export type StageName = (typeof stages)[number];

export type StageStatus = "passed" | "failed" | "skipped" | "cancelled";
export type ServiceOutcome = "built" | "up-to-date" | "failed" | "blocked" | "cancelled";

export type PipelineEvent =
  | { type: "run-started"; runId: string; at: string; commit: string | undefined; services: string[]; concurrency: number }
  | { type: "service-queued"; service: string; hash: string; reasons: string[] }
  /** The dev registry already has an image with this content hash. */
  | { type: "service-up-to-date"; service: string; hash: string; digest: string; reference: string }
  | { type: "stage-started"; service: string; stage: StageName; at: string }
  | { type: "stage-output"; service: string; stage: StageName; line: string }
  | { type: "stage-finished"; service: string; stage: StageName; status: StageStatus; durationMs: number; logFile: string; detail?: string; logTail?: string[] }
  /** Something a person should fix though the run goes on, e.g. build outputs git does not ignore. */
  | { type: "service-warning"; service: string; message: string }
  | { type: "service-finished"; service: string; outcome: ServiceOutcome; durationMs: number; digest?: string; references?: string[]; error?: string; blockedBy?: string }
  | { type: "run-finished"; runId: string; at: string; durationMs: number; outcome: "passed" | "failed" | "cancelled" };

export type PipelineListener = (event: PipelineEvent) => void;
