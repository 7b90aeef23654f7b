// What the human renderers know about a run, folded from the event stream.
import type { PipelineEvent, ServiceOutcome, StageName, StageStatus } from "../events.js";

export type StageState = "pending" | "running" | StageStatus;

export interface StageProgress {
  state: StageState;
  /** Local clock when the stage-started event arrived; the events' own `at` may come from another clock. */
  startedAt?: number;
  durationMs?: number;
}

export interface ServiceProgress {
  readonly name: string;
  readonly stages: Record<StageName, StageProgress>;
  queued: boolean;
  outcome?: ServiceOutcome;
  /** The image reference that is up to date, or the first one pushed. */
  reference?: string;
  durationMs?: number;
  blockedBy?: string;
  error?: string;
}

export interface StageFailure {
  service: string;
  stage: StageName;
  durationMs: number;
  logFile: string;
  detail?: string;
  logTail: string[];
}

export const outcomeOrder: readonly ServiceOutcome[] = ["built", "up-to-date", "failed", "blocked", "cancelled"];

export class RunProgress {
  runId?: string;
  commit?: string;
  concurrency?: number;
  startedAt?: number;
  finished?: { durationMs: number; outcome: "passed" | "failed" | "cancelled" };
  /** In the order run-started listed them, then any the run did not announce. */
  readonly services = new Map<string, ServiceProgress>();
  readonly failures: StageFailure[] = [];
  readonly warnings: { service: string; message: string }[] = [];

  apply(event: PipelineEvent, receivedAt: number): void {
    switch (event.type) {
      case "run-started":
        this.runId = event.runId;
        this.commit = event.commit;
        this.concurrency = event.concurrency;
        this.startedAt = receivedAt;
        for (const name of event.services) this.service(name);
        return;
      case "service-queued":
        this.service(event.service).queued = true;
        return;
      case "service-up-to-date": {
        const service = this.service(event.service);
        service.outcome = "up-to-date";
        service.reference = event.reference;
        return;
      }
      case "stage-started":
        this.service(event.service).stages[event.stage] = { state: "running", startedAt: receivedAt };
        return;
      case "stage-output":
        return;
      case "service-warning":
        this.warnings.push({ service: event.service, message: event.message });
        return;
      case "stage-finished":
        this.service(event.service).stages[event.stage] = { state: event.status, durationMs: event.durationMs };
        if (event.status === "failed") {
          const { service, stage, durationMs, logFile, detail } = event;
          this.failures.push({ service, stage, durationMs, logFile, detail, logTail: event.logTail ?? [] });
        }
        return;
      case "service-finished": {
        const service = this.service(event.service);
        service.outcome = event.outcome;
        service.durationMs = event.durationMs;
        service.blockedBy = event.blockedBy;
        service.error = event.error;
        service.reference ??= event.references?.[0];
        return;
      }
      case "run-finished":
        this.finished = { durationMs: event.durationMs, outcome: event.outcome };
        return;
    }
  }

  service(name: string): ServiceProgress {
    let service = this.services.get(name);
    if (service === undefined) {
      service = { name, stages: pendingStages(), queued: false };
      this.services.set(name, service);
    }
    return service;
  }

  countByOutcome(): Map<ServiceOutcome, number> {
    const counts = new Map<ServiceOutcome, number>(outcomeOrder.map((outcome) => [outcome, 0]));
    for (const { outcome } of this.services.values()) {
      if (outcome !== undefined) counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
    }
    return counts;
  }

  hasStageFailure(service: string): boolean {
    return this.failures.some((failure) => failure.service === service);
  }
}

/** Spelled out rather than built from `stages`, so the compiler checks that every stage is here. */
function pendingStages(): Record<StageName, StageProgress> {
  const pending = (): StageProgress => ({ state: "pending" });
  return { build: pending(), "unit-test": pending(), image: pending(), "container-test": pending(), push: pending() };
}
