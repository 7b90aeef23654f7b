// What the dashboard reads from the HTTP API (GET /api/openapi.json is the
// reference). The web face talks only to the API, so these are its own
// declarations of the answers, kept to the fields it uses.
import type { EnvironmentInfo, StatusRow } from "../../model/overview.js";

export type Role = "viewer" | "deployer" | "approver" | "admin";

export interface Session {
  user: string;
  role: Role;
  via: "token" | "session";
  csrfToken?: string;
}

export interface SystemInfo {
  system: string;
  environments: (EnvironmentInfo & { runtime: string; registry: string })[];
  services: { name: string; owners: string[]; dependsOn: string[]; strategy: string }[];
}

export interface StatusAnswer {
  services: StatusRow[];
}

export interface AnalysisRecord {
  key: string;
  purpose: "background" | "step" | "prePromotion";
  stepIndex?: number;
  metrics: string[];
  revision: string;
  baseline?: string;
  status: string;
  message?: string;
  measurements?: { successful: number; failed: number; inconclusive: number; error: number };
}

export interface RolloutState {
  id: string;
  service: string;
  environment: string;
  strategy: "rolling" | "blueGreen" | "canary";
  stableRevision?: string;
  targetRevision: string;
  desiredReplicas: number;
  stepIndex: number;
  pause?: { kind: "timed"; untilMs: number; reason: string } | { kind: "manual"; reason: string };
  userPaused: boolean;
  promoted: boolean;
  aborted: boolean;
  abortReason?: string;
  phase: "progressing" | "paused" | "healthy" | "degraded" | "aborted";
  message?: string;
  startedAtMs: number;
  analyses: AnalysisRecord[];
}

/** A canary step as slipway.service.yaml declares it. */
export type CanaryStep = { setWeight: number } | { pause: { duration?: number | string } } | { analysis: { metrics?: string[] } } | Record<string, unknown>;

export interface Strategy {
  canary?: { steps: CanaryStep[] };
  blueGreen?: Record<string, unknown>;
  rolling?: Record<string, unknown>;
}

export interface Revision {
  name: string;
  number: number;
  image: string;
  version?: string;
}

export interface Measurement {
  metric: string;
  index: number;
  phase: string;
  startedAt: string;
  finishedAt: string;
  value?: unknown;
  baseline?: unknown;
  message: string;
}

export interface RolloutAnswer {
  rollout: { id: string; state: RolloutState; strategy: Strategy; finished: boolean; outcome?: string; createdAt: string; updatedAt: string };
  revisions: Revision[];
  endpoints: { endpoint: string; preview?: string };
  commandPending: boolean;
  measurements: Record<string, Measurement[]>;
}

export type RolloutAction = "pause" | "resume" | "promote" | "abort" | "retry";

export interface ApiErrorBody {
  error: { code: string; message: string; hint?: string; issues?: { path: string; message: string }[] };
}

/** GET …/traffic: one point a second, per revision (src/app/traffic-series.ts). */
export interface TrafficSeries {
  environment: string;
  service: string;
  intervalMs: number;
  points: { atMs: number; weights: Record<string, number>; revisions: Record<string, { requestsPerSecond: number; errorRate: number | null; p95Ms: number | null }> }[];
  error?: string;
}
