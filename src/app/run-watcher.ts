// `slipway serve` watches the CI runs of its system: `slipway ci` runs in
// its own process and appends each run's events to a journal beside the
// stage logs (pipeline/run-journal.ts); this polls those journals and turns
// new events into ci.* events for the event stream. Runs that were over
// when the server started are not replayed.
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { PipelineEvent } from "../pipeline/events.js";
import { journalPath, readJournal, RUN_ID_PATTERN } from "../pipeline/run-journal.js";
import type { CiEvent } from "./event-hub.js";

const POLL_MS = 200;

export function ciEventOf(runId: string, event: PipelineEvent): CiEvent | undefined {
  switch (event.type) {
    case "run-started":
      return { type: "ci.run", runId, state: "started", services: event.services };
    case "run-finished":
      return { type: "ci.run", runId, state: event.outcome };
    case "stage-started":
      return { type: "ci.stage", runId, service: event.service, stage: event.stage, state: "started" };
    case "stage-finished":
      return { type: "ci.stage", runId, service: event.service, stage: event.stage, state: event.status, durationMs: event.durationMs, ...(event.detail === undefined ? {} : { detail: event.detail }) };
    case "service-finished":
      return { type: "ci.service", runId, service: event.service, outcome: event.outcome, ...(event.digest === undefined ? {} : { digest: event.digest }) };
    case "service-up-to-date":
      return { type: "ci.service", runId, service: event.service, outcome: "up-to-date", digest: event.digest };
    default:
      return undefined;
  }
}

/** Polls the journals under `<stateDir>/logs/runs` until `signal` aborts; resolves then. */
export async function watchRunJournals(stateDir: string, emit: (event: CiEvent) => void, signal: AbortSignal, pollMs = POLL_MS): Promise<void> {
  const runsDir = join(stateDir, "logs", "runs");
  const offsets = new Map<string, number>();
  const finished = new Set<string>();
  const runIds = (): string[] => (existsSync(runsDir) ? readdirSync(runsDir).filter((d) => RUN_ID_PATTERN.test(d) && !finished.has(d)) : []);

  // What is there now is known: only later events are news.
  for (const id of runIds()) {
    const { events, offset } = readJournal(journalPath(stateDir, id));
    if (offset === 0 || events.some((e) => e.type === "run-finished")) finished.add(id);
    else offsets.set(id, offset);
  }
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pollMs);
      signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
    if (signal.aborted) break;
    try {
      for (const id of runIds()) {
        const { events, offset } = readJournal(journalPath(stateDir, id), offsets.get(id) ?? 0);
        offsets.set(id, offset);
        for (const event of events) {
          const ci = ciEventOf(id, event);
          if (ci !== undefined) emit(ci);
          if (event.type === "run-finished") {
            finished.add(id);
            offsets.delete(id);
          }
        }
      }
    } catch {
      // A run folder removed while read; the next round sees what is there.
    }
  }
}
