// The port CI calls after a push: sign what each stage did and attach it to
// the pushed digest, so the evidence travels with the image to any machine.
// release/attestations implements it; CI stays ignorant of keys and formats.
import type { StageName } from "./events.js";

export interface StageOutcome {
  stage: StageName;
  status: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** The stage's log file, whose SHA-256 the attestation records. */
  logFile: string;
}

export interface StageAttestationRequest {
  service: string;
  /** Repository path inside the dev registry. */
  repository: string;
  digest: string;
  runId: string;
  commit?: string;
  contentHash: string;
  /** Where the service's source lives (its own repository's remote). */
  sourceRepository: string;
  buildImage: string;
  stages: StageOutcome[];
}

/** Returns the digests of the attestation artifacts attached. */
export type StageAttestor = (request: StageAttestationRequest) => Promise<string[]>;
