import type { PipelineListener } from "../events.js";

/** Where a renderer writes: raw text, newlines included. Injected so the CLI picks stdout or stderr and tests capture it. */
export type ProgressSink = (text: string) => void;

export interface ProgressRenderer {
  readonly listener: PipelineListener;
  /** Stops timers and restores the terminal; safe to call more than once, e.g. from a SIGINT handler. */
  dispose(): void;
}
