// Analysis runs as a rollout sees them: records in its state, refreshed from
// what the runner reports, and the start/stop actions that bring the runner
// in line with the records. Like Argo Rollouts' AnalysisRuns, a run is asked
// for by name and observed; the planner never waits on it in-line.
import type { Action, AnalysisRecord, Observed, RolloutState } from "../types.js";

/** A retry gets new keys, so it never reads the previous attempt's verdict. */
export function analysisKey(attempt: number, name: string): string {
  return `a${attempt}-${name}`;
}

const open = (r: AnalysisRecord): boolean => r.status === "pending" || r.status === "running";

/** Records that are pending or running take the runner's latest word; decided ones keep theirs. */
export function syncAnalyses(records: readonly AnalysisRecord[], observed: Observed): AnalysisRecord[] {
  return records.map((record) => {
    const seen = observed.analyses[record.key];
    if (!open(record) || seen === undefined) return record;
    const next: AnalysisRecord = { ...record, status: seen.status };
    if (seen.message !== undefined) next.message = seen.message;
    if (seen.measurements !== undefined) next.measurements = seen.measurements;
    return next;
  });
}

/** Adds a pending record unless one with its key exists. */
export function withAnalysis(records: readonly AnalysisRecord[], record: Omit<AnalysisRecord, "status">): AnalysisRecord[] {
  if (records.some((r) => r.key === record.key)) return [...records];
  return [...records, { ...record, status: "pending" }];
}

/** Ends the open runs that match: they become "stopped" and the runner is told to stop them. */
export function stopOpenAnalyses(records: readonly AnalysisRecord[], message: string, which: (r: AnalysisRecord) => boolean = () => true): AnalysisRecord[] {
  return records.map((r) => (open(r) && which(r) ? { ...r, status: "stopped", message } : r));
}

export function findAnalysis(state: RolloutState, key: string): AnalysisRecord | undefined {
  return state.analyses.find((r) => r.key === key);
}

/** This attempt's first failed run: grounds to abort. */
export function failedAnalysis(state: RolloutState): AnalysisRecord | undefined {
  const prefix = analysisKey(state.attempt, "");
  return state.analyses.find((r) => r.key.startsWith(prefix) && r.status === "failed");
}

/** This attempt's inconclusive run no one has accepted yet: grounds to pause for a person. */
export function unacceptedInconclusive(state: RolloutState): AnalysisRecord | undefined {
  const prefix = analysisKey(state.attempt, "");
  return state.analyses.find((r) => r.key.startsWith(prefix) && r.status === "inconclusive" && r.accepted !== true);
}

export function acceptInconclusive(records: readonly AnalysisRecord[], key: string): AnalysisRecord[] {
  return records.map((r) => (r.key === key ? { ...r, accepted: true } : r));
}

/** Passed, or let through by a person (an accepted inconclusive, a run skipped with promote). */
export function analysisLetsThrough(record: AnalysisRecord | undefined): boolean {
  if (record === undefined) return false;
  return record.status === "successful" || record.status === "stopped" || (record.status === "inconclusive" && record.accepted === true);
}

/** Start what is pending and not yet seen; stop what is stopped but still seen running. Idempotent by key. */
export function analysisActions(records: readonly AnalysisRecord[], observed: Observed): Action[] {
  const actions: Action[] = [];
  for (const r of records) {
    const seen = observed.analyses[r.key];
    if (r.status === "pending" && seen === undefined) {
      const start: Action = { type: "startAnalysis", key: r.key, metrics: [...r.metrics], revision: r.revision };
      if (r.baseline !== undefined) start.baseline = r.baseline;
      actions.push(start);
    } else if (r.status === "stopped" && seen?.status === "running") {
      actions.push({ type: "stopAnalysis", key: r.key });
    }
  }
  return actions;
}
