// The analysis runs of the rollouts this process drives, in the background.
// Every measurement is persisted before the run goes on, so after a crash a
// run started again under the same key replays what was measured and goes
// on from there instead of starting over.
import { type AnalysisMetric, type AnalysisOutcome, runAnalysis } from "../analysis/analysis-run.js";
import type { Measurement } from "../analysis/metric-provider.js";
import type { AnalysisObservation, MeasurementSummary } from "../types.js";
import type { RolloutStore } from "./store-port.js";

export interface AnalysisStart {
  rolloutId: string;
  key: string;
  metrics: string[];
  revision: string;
  baseline?: string | undefined;
}

interface Run {
  stop: AbortController;
  observation: AnalysisObservation;
}

export class AnalysisRuns {
  private readonly runs = new Map<string, Run>();

  /**
   * metricsFor builds the named metrics with their providers (the composition
   * root knows the service's config and the router); onChange wakes the loop.
   */
  constructor(
    private readonly store: RolloutStore,
    private readonly metricsFor: (names: readonly string[]) => AnalysisMetric[],
    private readonly onChange: () => void,
  ) {}

  /** Starts the run unless this process already has one by that key. */
  start(request: AnalysisStart): void {
    const id = runId(request.rolloutId, request.key);
    if (this.runs.has(id)) return;
    const run: Run = { stop: new AbortController(), observation: { status: "running" } };
    this.runs.set(id, run);
    const measured: Measurement[] = this.store.loadMeasurements(request.rolloutId, request.key);
    let metrics: AnalysisMetric[];
    try {
      metrics = this.metricsFor(request.metrics);
    } catch (err) {
      run.observation = { status: "failed", message: `the analysis could not start: ${(err as Error).message}` };
      this.onChange();
      return;
    }
    runAnalysis({
      metrics,
      revision: request.revision,
      stableRevision: request.baseline,
      signal: run.stop.signal,
      previous: measured,
      onMeasurement: (m) => {
        measured.push(m);
        this.store.saveMeasurements(request.rolloutId, request.key, measured);
        run.observation = { status: "running", message: m.message, measurements: summarize(measured) };
        this.onChange();
      },
    }).then(
      (outcome: AnalysisOutcome) => {
        run.observation = { status: outcome.phase, message: outcome.message, measurements: summarize(measured) };
        this.onChange();
      },
      (err: unknown) => {
        if (run.stop.signal.aborted) return;
        // A run that cannot go on (its provider unusable) fails the analysis, as an erroring metric does.
        run.observation = { status: "failed", message: (err as Error).message, measurements: summarize(measured) };
        this.onChange();
      },
    );
  }

  /** Stops a running run; one that reached a verdict keeps it. */
  stop(rolloutId: string, key: string): void {
    const run = this.runs.get(runId(rolloutId, key));
    if (run === undefined || run.observation.status !== "running") return;
    run.stop.abort(new Error("analysis stopped by the rollout"));
    this.runs.delete(runId(rolloutId, key));
  }

  observations(rolloutId: string): Record<string, AnalysisObservation> {
    const prefix = `${rolloutId}\u0000`;
    return Object.fromEntries([...this.runs].filter(([id]) => id.startsWith(prefix)).map(([id, run]) => [id.slice(prefix.length), run.observation]));
  }

  stopAll(): void {
    for (const run of this.runs.values()) run.stop.abort(new Error("the controller stopped"));
    this.runs.clear();
  }
}

function runId(rolloutId: string, key: string): string {
  return `${rolloutId}\u0000${key}`;
}

function summarize(measurements: readonly Measurement[]): MeasurementSummary {
  const count = (phase: Measurement["phase"]): number => measurements.filter((m) => m.phase === phase).length;
  return { successful: count("successful"), failed: count("failed"), inconclusive: count("inconclusive"), error: count("error") };
}
