// A rollout's state or a service's health as a word with a colour, so the
// overview reads at a glance (colour is never the only signal: the word is).
import type { ReactNode } from "react";

export function tone(text: string | undefined): "good" | "busy" | "bad" | "idle" {
  if (text === undefined) return "idle";
  if (/^(healthy|successful)/.test(text)) return "good";
  if (/^(aborted|degraded|failed|error)/.test(text)) return "bad";
  if (/^(progressing|paused|running|pending)/.test(text)) return "busy";
  return "idle";
}

export function StatusBadge({ text }: { text: string | undefined }): ReactNode {
  return <span className={`badge ${tone(text)}`}>{text ?? "—"}</span>;
}
