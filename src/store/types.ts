// The state store port: where slipway keeps what it knows (pipeline runs,
// releases, desired and observed state). SQLite implements it; later issues
// add the records each subsystem needs as numbered migrations.

export interface MigrationStatus {
  /** Highest migration applied. */
  version: number;
  /** Migrations applied by this open, in order. */
  applied: number[];
}

export interface StateStore {
  readonly path: string;
  readonly migration: MigrationStatus;
  close(): void;
}

export type RunStatus = "running" | "passed" | "failed" | "cancelled";

export interface StageRecord {
  stage: string;
  /** passed, failed, cancelled, or skipped — CI skips a stage only when it has nothing to do (no commands configured). */
  status: string;
  durationMs: number;
  logFile: string;
  /** Why a stage was skipped, e.g. "nothing to do: no build.commands". */
  detail?: string;
}

export interface ServiceRunRecord {
  service: string;
  outcome: string;
  contentHash: string;
  digest?: string;
  references: string[];
  stages: StageRecord[];
  reasons: string[];
  error?: string;
  durationMs: number;
}

export interface RunRecord {
  id: string;
  startedAt: string;
  finishedAt?: string;
  commit?: string;
  status: RunStatus;
  durationMs?: number;
  services: ServiceRunRecord[];
}

/** Pipeline runs, as `slipway runs` shows them. */
export interface PipelineRunStore {
  startRun(run: { id: string; startedAt: string; commit?: string }): void;
  recordService(runId: string, record: ServiceRunRecord): void;
  finishRun(runId: string, status: RunStatus, finishedAt: string, durationMs: number): void;
  listRuns(limit: number): RunRecord[];
  getRun(id: string): RunRecord | undefined;
  /** The inputs of a content hash recorded when it was pushed (JSON), for explaining changes. */
  recordHashInputs(service: string, hash: string, inputs: string): void;
  latestHashInputs(service: string): string | undefined;
  /** Adds untracked files the service's build wrote into its folder (relative to it); they stay recorded. */
  recordBuildOutputs(service: string, paths: readonly string[]): void;
  buildOutputs(service: string): Set<string>;
  /** The newest run in which the service was built or found up to date, with its digest. */
  latestSuccessful(service: string): { runId: string; commit?: string; record: ServiceRunRecord } | undefined;
  /** The run that built this content hash (where its stages ran), if recorded here. */
  findBuild(service: string, contentHash: string): { runId: string; commit?: string; record: ServiceRunRecord } | undefined;
}
