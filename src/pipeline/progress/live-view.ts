// For a terminal: the table of live-table.ts, redrawn in place. Events only
// change state; a 100 ms timer draws, so a burst of events costs at most ten
// frames a second and the spinner moves even when no event arrives. Failure
// reports and the final summary are printed as ordinary text above and below
// the table, so they stay in the scrollback.
import { cursor, painter } from "./ansi.js";
import { renderLiveTable } from "./live-table.js";
import { failureReport, runSummary } from "./run-report.js";
import { RunProgress } from "./run-progress.js";
import type { ProgressRenderer, ProgressSink } from "./types.js";

export const redrawIntervalMs = 100;

export interface LiveViewOptions {
  write: ProgressSink;
  color: boolean;
  /** The terminal's width; every line of the table is cut to it. */
  columns: number;
}

export function liveViewRenderer({ write, color, columns }: LiveViewOptions): ProgressRenderer {
  const progress = new RunProgress();
  const paint = painter(color);
  let timer: ReturnType<typeof setInterval> | undefined;
  let tableRows = 0;
  let lastTable = "";
  let cursorHidden = false;
  let closed = false;

  /** Replaces the table drawn last with `above` (printed once, kept) and a fresh table. */
  function draw(above: string[] = []): void {
    const table = renderLiveTable(progress, Date.now(), columns, paint);
    const tableText = table.map((line) => line + "\n").join("");
    if (above.length === 0 && tableText === lastTable) return;
    let text = cursorHidden ? "" : cursor.hide;
    if (tableRows > 0) text += cursor.up(tableRows);
    text += cursor.clearToEnd + above.map((line) => line + "\n").join("") + tableText;
    write(text);
    cursorHidden = true;
    tableRows = table.length;
    lastTable = tableText;
  }

  function startTimer(): void {
    if (timer !== undefined) return;
    timer = setInterval(() => draw(), redrawIntervalMs);
    // The pipeline keeps the process alive while it runs; the view alone must not.
    timer.unref();
  }

  function stopTimer(): void {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  }

  function restoreCursor(): void {
    if (cursorHidden) write(cursor.show);
    cursorHidden = false;
  }

  return {
    listener: (event) => {
      if (closed) return;
      progress.apply(event, Date.now());
      if (event.type === "stage-finished" && event.status === "failed") {
        const failure = progress.failures.at(-1); // this event's, as apply() ran first
        if (failure !== undefined) draw(failureReport(failure, paint, columns));
      }
      if (event.type === "run-finished") {
        closed = true;
        stopTimer();
        draw();
        write(["", ...runSummary(progress, paint, columns)].map((line) => line + "\n").join(""));
        restoreCursor();
        return;
      }
      startTimer();
    },
    dispose: () => {
      closed = true;
      stopTimer();
      restoreCursor();
    },
  };
}
