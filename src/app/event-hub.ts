// Events of the application layer for many listeners at once: the server's
// controllers report into one hub, and every open event stream (SSE)
// subscribes to it. A listener that throws is dropped, not the reporter.
import type { AppEvent, Reporter } from "./events.js";

export type ServerEvent = AppEvent | { type: "audit.appended"; actor: string; action: string; subject: string } | { type: "release.changed"; release: string; action: string; actor: string };

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
