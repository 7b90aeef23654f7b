// A CI run's journal: its pipeline events (stage output left out — that is
// in each stage's log file) appended as NDJSON beside the run's stage logs,
// so another process (`slipway serve`) can show the run's stages live and
// know when a stage's log is complete. Writes are synchronous appends of one
// line each: a reader never sees half an event except at the very end,
// which it leaves for the next read.
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from "node:fs";
import { join } from "node:path";
import type { PipelineEvent, PipelineListener } from "./events.js";

export const RUN_ID_PATTERN = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{4}$/;

export function runLogDir(stateDir: string, runId: string): string {
  return join(stateDir, "logs", "runs", runId);
}

export function journalPath(stateDir: string, runId: string): string {
  return join(runLogDir(stateDir, runId), "events.ndjson");
}

/** A listener that writes the run's events to its journal; a write that fails is dropped (the run itself goes on, its store record is kept). */
export function runJournal(stateDir: string): PipelineListener {
  let path: string | undefined;
  return (event) => {
    if (event.type === "run-started") {
      path = journalPath(stateDir, event.runId);
      try {
        mkdirSync(runLogDir(stateDir, event.runId), { recursive: true });
      } catch {
        path = undefined;
      }
    }
    if (path === undefined || event.type === "stage-output") return;
    try {
      appendFileSync(path, JSON.stringify(event) + "\n");
    } catch {
      // The journal is for watching; the run's record in the store is what counts.
    }
  };
}

/** The complete events after byte `offset`, and the offset to read from next (a partly written last line is left for then). */
export function readJournal(path: string, offset = 0): { events: PipelineEvent[]; offset: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return { events: [], offset };
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return { events: [], offset };
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) return { events: [], offset };
    const events = buffer
      .subarray(0, end)
      .toString("utf8")
      .split("\n")
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as PipelineEvent];
        } catch {
          return [];
        }
      });
    return { events, offset: offset + end + 1 };
  } finally {
    closeSync(fd);
  }
}
