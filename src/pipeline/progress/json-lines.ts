// --json: the event stream itself, one JSON object per line (NDJSON), for
// scripts and other tools. Nothing is added, dropped or reworded.
import type { ProgressRenderer, ProgressSink } from "./types.js";

export function jsonLinesRenderer(write: ProgressSink): ProgressRenderer {
  return {
    listener: (event) => write(JSON.stringify(event) + "\n"),
    dispose: () => {},
  };
}
