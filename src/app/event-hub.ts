// Events of the application layer for many listeners at once: the server's
// controllers report into one hub, and every open event stream (SSE)
// subscribes to it. A listener that throws is dropped, not the reporter.
import type { AppEvent, Reporter } from "./events.js";

/** A CI run as `slipway serve` sees it in the run's journal (the run itself is `slipway ci`'s, in its own process). */
export type CiEvent =
  | { type: "ci.run"; runId: string; state: "started" | "passed" | "failed" | "cancelled"; services?: string[] }
  | { type: "ci.stage"; runId: string; service: string; stage: string; state: "started" | "passed" | "failed" | "skipped" | "cancelled"; durationMs?: number; detail?: string }
  | { type: "ci.service"; runId: string; service: string; outcome: string; digest?: string };

/** A group change the server runs in the background failed after it started (group.started), without its group.finished. */
export type GroupErrorEvent = { type: "group.error"; groupId: string; environment: string; code: string; message: string; hint?: string };

export type ServerEvent = AppEvent | CiEvent | GroupErrorEvent | { type: "audit.appended"; actor: string; action: string; subject: string } | { type: "release.changed"; release: string; action: string; actor: string };

export class EventHub implements Reporter {
  private readonly listeners = new Set<(event: ServerEvent) => void>();

  emit(event: ServerEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        this.listeners.delete(listener);
      }
    }
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: (event: ServerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}
