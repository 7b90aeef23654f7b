// An environment's lock history: after every change to the set of digests an
// environment serves (a deploy, a promotion, a rollback, an undo, a restore,
// an undeploy), the resulting lock — per service the image pinned by digest,
// its version, revision, replicas and instance template — with what changed,
// who did it, when, and the result. Pure: the store records entries, the
// application layer reads them back (`slipway history`, `rollback --to-lock`).
import type { ReadinessProbe } from "./config-schema.js";

/** How to create one more instance of a revision (the controller's revisions and the locks keep it); secrets only by the host variable's name. */
export interface InstanceTemplate {
  port: number;
  /** Literal variables. */
  env: Record<string, string>;
  /** Variable → host variable read when an instance is created. */
  secretEnv: Record<string, string>;
  resources: { cpus?: number | undefined; memory?: string | undefined };
  readiness: ReadinessProbe;
  terminationGracePeriodSeconds: number;
}

export interface LockEntry {
  /** registry/repository@sha256:… */
  image: string;
  version?: string;
  revision: string;
  replicas: number;
  template: InstanceTemplate;
}

/** What an environment serves: service → entry. A service that is not deployed is absent. */
export type EnvironmentLock = Readonly<Record<string, LockEntry>>;

export interface LockChange {
  service: string;
  /** sha256:… before; absent when the service was not deployed. */
  from?: string;
  fromVersion?: string;
  /** sha256:… after; absent when the service is gone. */
  to?: string;
  toVersion?: string;
}

/** What made the change. */
export const lockActions = ["deploy", "rollback", "undo", "restore", "undeploy", "retry", "promote", "rollback-to-lock"] as const;
export type LockAction = (typeof lockActions)[number];

/** healthy / aborted / degraded: one service's rollout; promoted / rolled-back / failed: a group's. */
export type LockResult = "healthy" | "aborted" | "degraded" | "promoted" | "rolled-back" | "failed";

export interface LockHistoryEntry {
  system: string;
  environment: string;
  /** 1, 2, 3, … per environment. */
  number: number;
  at: string;
  actor: string;
  action: LockAction;
  result: LockResult;
  /** In words: which rollout, why it aborted, what a promotion rolled back. */
  detail: string;
  /** Services whose digest differs from the previous entry's lock (or what the action tried to change, when it changed nothing). */
  changes: LockChange[];
  lock: EnvironmentLock;
}

export function digestOf(image: string): string {
  return image.slice(image.indexOf("@") + 1);
}

/** service → digest, for comparing locks and for the promotion gate. */
export function lockDigests(lock: EnvironmentLock): Record<string, string> {
  return Object.fromEntries(
    Object.entries(lock)
      .map(([service, entry]) => [service, digestOf(entry.image)] as const)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

/** The services whose digest differs between two locks, in name order. */
export function lockChanges(before: EnvironmentLock, after: EnvironmentLock): LockChange[] {
  const services = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const changes: LockChange[] = [];
  for (const service of services) {
    const was = before[service];
    const now = after[service];
    const from = was === undefined ? undefined : digestOf(was.image);
    const to = now === undefined ? undefined : digestOf(now.image);
    if (from === to) continue;
    changes.push({ service, ...(from === undefined ? {} : { from }), ...(was?.version === undefined ? {} : { fromVersion: was.version }), ...(to === undefined ? {} : { to }), ...(now?.version === undefined ? {} : { toVersion: now.version }) });
  }
  return changes;
}

/** The services whose digests differ (absent on one side counts), as "service: a → b" lines; empty when equal. */
export function digestMismatches(expected: EnvironmentLock, actual: EnvironmentLock): string[] {
  return lockChanges(expected, actual).map((c) => `${c.service}: expected ${c.from ?? "not deployed"}, found ${c.to ?? "not deployed"}`);
}

/** "sha256:3f9c2a1b7d4e" — enough of a digest to tell two apart in a table. */
export function shortDigestOf(digest: string | undefined): string {
  return digest === undefined ? "—" : digest.slice(0, 19);
}

/** "ingestion 1.2.0 → 1.3.0", "front sha256:ab… → sha256:cd…", "back (new) → 1.0.0", "api 1.0.0 → (removed)". */
export function describeChange(c: LockChange): string {
  const side = (digest: string | undefined, version: string | undefined, none: string): string => (digest === undefined ? none : (version ?? shortDigestOf(digest)));
  return `${c.service} ${side(c.from, c.fromVersion, "(new)")} → ${side(c.to, c.toVersion, "(removed)")}`;
}
