// Progress for `slipway ci`: picks and builds the renderer for where the
// output goes. See progress-overview.md for what each one prints.
import { jsonLinesRenderer } from "./json-lines.js";
import { liveViewRenderer } from "./live-view.js";
import { plainLinesRenderer } from "./plain-lines.js";
import type { ProgressRenderer, ProgressSink } from "./types.js";

export type { ProgressRenderer, ProgressSink } from "./types.js";

export type ProgressMode = "live" | "plain" | "json";

export interface ProgressRendererOptions {
  mode: ProgressMode;
  write: ProgressSink;
  /** Colours in the live view only: plain lines never carry escape codes. */
  color: boolean;
  /** Terminal width for the live view; 80 when unknown. */
  columns?: number;
}

export function createProgressRenderer({ mode, write, color, columns }: ProgressRendererOptions): ProgressRenderer {
  switch (mode) {
    case "json":
      return jsonLinesRenderer(write);
    case "plain":
      return plainLinesRenderer(write);
    case "live":
      return liveViewRenderer({ write, color, columns: columns ?? 80 });
  }
}

/** --json wins; a CI system or a non-terminal gets plain lines, since cursor movement would litter a log. */
export function chooseMode({ isTTY, json, ci }: { isTTY: boolean; json: boolean; ci: boolean }): ProgressMode {
  if (json) return "json";
  return ci || !isTTY ? "plain" : "live";
}
