// The runtime port: where instances of a service's revisions run. Shaped to
// map one to one onto Kubernetes (docs/runtime-mapping.md):
//
//   revision  ↔ ReplicaSet (its pod-template-hash)   instance ↔ Pod
//   readiness ↔ readinessProbe                       endpoints ↔ Services
//   weights   ↔ Gateway API HTTPRoute backendRefs (the router port)
//
// The Docker implementation runs instances as containers labelled with
// system, environment, service and revision; a Kubernetes one would create
// ReplicaSets. The rollout controller only speaks this port.
import type { ReadinessProbe, ServiceConfig } from "../domain/config-schema.js";

export interface RevisionRef {
  system: string;
  environment: string;
  service: string;
  /** Stable per pod template: e.g. "r4-3f9c2a1b" (number and digest prefix). */
  revision: string;
}

export interface InstanceSpec extends RevisionRef {
  /** An image reference pinned by digest: registry/repo@sha256:… */
  image: string;
  port: number;
  env: Readonly<Record<string, string>>;
  resources: ServiceConfig["resources"];
  readiness: ReadinessProbe;
  terminationGracePeriodSeconds: number;
  /** Extra labels (Kubernetes: pod labels). */
  labels?: Readonly<Record<string, string>>;
  /**
   * Which variables of `env` are secrets: variable → the host variable it was
   * read from. Docker passes them like the rest; Kubernetes keeps them in a
   * Secret keyed by the host variable's name, never in the pod template.
   */
  secretEnv?: Readonly<Record<string, string>>;
}

export type InstancePhase = "starting" | "running" | "exited";

export interface Instance extends RevisionRef {
  /** Runtime id: a container id (Docker) or pod uid (Kubernetes). */
  id: string;
  /** DNS-label name: container name or pod name. */
  name: string;
  image: string;
  phase: InstancePhase;
  /** Where the router reaches it: a loopback address and published port on Docker. */
  address: { host: string; port: number };
  createdAt: string;
  exitCode?: number;
}

export interface InstanceFilter {
  system: string;
  environment: string;
  service?: string;
  revision?: string;
}

export interface ReadinessOutcome {
  ready: boolean;
  afterMs: number;
  detail?: string;
}

/** An instance's readiness as the platform itself tracks it (Kubernetes: the kubelet's Ready condition). */
export interface PlatformReadiness {
  ready: boolean;
  /** When it last turned ready, epoch ms. */
  readySinceMs?: number;
}

/**
 * Readiness the platform probes by itself, delivered as it changes (a watch).
 * A runtime that offers it is not probed by slipway: the controller reads
 * these verdicts instead of calling probeOnce on every period.
 */
export interface ReadinessFeed {
  /** The verdict now; undefined for an instance the feed does not know (yet). */
  readinessOf(instanceId: string): PlatformReadiness | undefined;
  /** Called after any instance's readiness changed; returns how to stop listening. */
  onChange(listener: () => void): () => void;
}

/** How an instance went. */
export interface InstanceRemoval {
  /** Set when it did not exit within its grace period after SIGTERM and was killed (SIGKILL): the seconds it was given. */
  killedAfterGraceSeconds?: number;
}

export interface Runtime {
  /** Present where the platform probes readiness itself (Kubernetes); absent where slipway probes (Docker). */
  readonly readinessFeed?: ReadinessFeed;
  /** Creates and starts one instance; returns once it runs (not necessarily ready). */
  createInstance(spec: InstanceSpec, signal?: AbortSignal): Promise<Instance>;
  listInstances(filter: InstanceFilter): Promise<Instance[]>;
  /**
   * Probes readiness the way the kubelet does (initial delay, period,
   * timeout, thresholds) until ready, dead, or the deadline.
   */
  waitReady(instance: Instance, probe: ReadinessProbe, deadlineMs: number, signal?: AbortSignal): Promise<ReadinessOutcome>;
  /** One probe now: is it ready at this moment? (Kubernetes keeps probing after Ready.) */
  probeOnce(instance: Instance, probe: ReadinessProbe): Promise<boolean>;
  /** SIGTERM, up to the grace period, then SIGKILL; then removes it. The caller takes it out of the router first. */
  removeInstance(instance: Instance, gracePeriodSeconds: number): Promise<InstanceRemoval>;
  /** The last lines of an instance's output, for a person's diagnosis. */
  logs(instance: Instance, lines: number): Promise<string>;
  /**
   * The history forgot these revisions (revisionHistoryLimit): remove what
   * the platform keeps of them without instances (Kubernetes: the ReplicaSet
   * and the revision's Service). Absent where nothing is kept (Docker).
   */
  forgetRevisions?(ref: Omit<RevisionRef, "revision">, revisions: readonly string[]): Promise<void>;
  /**
   * The service left the environment (`slipway undeploy`, after its instances
   * are gone): remove what the platform keeps for it beside the revision
   * history — on Kubernetes its Secret. Idempotent; the next instance created
   * brings it back. Absent where nothing is kept (Docker: secrets live in the
   * containers).
   */
  removeService?(ref: Omit<RevisionRef, "revision">): Promise<void>;
}
