// Wording shared by the human renderers.

/** 0.4s, 12.3s, 1m 05s, 1h 02m: one decimal while seconds matter, coarser after. */
export function formatDuration(ms: number): string {
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  const twoDigits = (n: number): string => String(n).padStart(2, "0");
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${twoDigits(seconds % 60)}s`;
  return `${Math.floor(seconds / 3600)}h ${twoDigits(Math.floor((seconds % 3600) / 60))}m`;
}

/** Whole seconds for a clock that is still running: 7s, 1m 05s; a ticking tenth would only flicker. */
export function formatElapsed(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return seconds < 60 ? `${seconds}s` : `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
}

/** A full git SHA is noise in a progress line; 12 characters stay unique in practice. */
export function shortCommit(commit: string): string {
  return /^[0-9a-f]{40,64}$/i.test(commit) ? commit.slice(0, 12) : commit;
}

/** `127.0.0.1:5101/drone-delivery/workflow:h-3f9c` → `workflow:h-3f9c`; digests cut to 12 hex characters. */
export function shortReference(reference: string): string {
  const lastSegment = reference.slice(reference.lastIndexOf("/") + 1);
  return lastSegment.replace(/@(sha256:[0-9a-f]{12})[0-9a-f]+$/, "@$1");
}
