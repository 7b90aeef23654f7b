// What a pod means to the runtime port, read from its status as the kubelet
// writes it. Pure, so the mapping (docs/runtime-mapping.md) is tested table
// by table:
//
//   Pending                              → starting
//   Running, container running           → running
//   Running, container waiting after a crash (CrashLoopBackOff) → exited, with the last exit code
//   Failed / Succeeded                   → exited
//   being deleted (deletionTimestamp)    → not an instance any more (as a ReplicaSet sees it)
//   Ready condition True                 → ready, since its lastTransitionTime
import type { V1Pod } from "@kubernetes/client-node";
import { labelKeys } from "../../domain/kubernetes-objects.js";
import type { Instance, InstancePhase, PlatformReadiness } from "../types.js";

/** Waiting reasons after which the container will not start without a change (a new image, a fixed config). */
const STUCK_REASONS = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "CreateContainerConfigError", "CreateContainerError", "RunContainerError"]);

export interface PodState {
  instance: Instance;
  readiness: PlatformReadiness;
  /** How many times the container restarted: a rise while waiting for readiness means it crashed. */
  restarts: number;
  /** Why it cannot become ready as it is: crashed, image not pulled, bad config. */
  down?: string;
  /** Its serving label: false once the router drained it (its Services no longer select it). */
  serving: boolean;
  /** Its weighted label (traffic split by replicas): the stable Service selects it while its revision has a share. */
  weighted: boolean;
}

/** The pod as an instance of a revision, or undefined when it is not one of ours or is being deleted. */
export function podState(pod: V1Pod): PodState | undefined {
  const labels = pod.metadata?.labels ?? {};
  const system = labels[labelKeys.system];
  const environment = labels[labelKeys.environment];
  const service = labels[labelKeys.service];
  const revision = labels[labelKeys.revision];
  const uid = pod.metadata?.uid;
  const name = pod.metadata?.name;
  if (system === undefined || environment === undefined || service === undefined || revision === undefined || uid === undefined || name === undefined) return undefined;
  if (pod.metadata?.deletionTimestamp !== undefined) return undefined;

  const container = pod.spec?.containers[0];
  const status = pod.status?.containerStatuses?.find((s) => s.name === container?.name) ?? pod.status?.containerStatuses?.[0];
  const port = container?.ports?.[0]?.containerPort ?? 0;
  const { phase, exitCode, down } = phaseOf(pod);
  const readyCondition = pod.status?.conditions?.find((c) => c.type === "Ready");
  const ready = phase === "running" && readyCondition?.status === "True";
  const since = readyCondition?.lastTransitionTime === undefined ? undefined : new Date(readyCondition.lastTransitionTime as unknown as string).getTime();
  const podIP = pod.status?.podIP;
  return {
    instance: {
      system,
      environment,
      service,
      revision,
      id: uid,
      name,
      image: container?.image ?? "",
      phase,
      address: { host: podIP ?? "", port: podIP === undefined || phase === "exited" ? 0 : port },
      createdAt: timestamp(pod.metadata?.creationTimestamp),
      ...(exitCode === undefined ? {} : { exitCode }),
    },
    readiness: ready ? { ready, ...(since === undefined || Number.isNaN(since) ? {} : { readySinceMs: since }) } : { ready: false },
    restarts: status?.restartCount ?? 0,
    serving: labels[labelKeys.serving] === "true",
    weighted: labels[labelKeys.weighted] === "true",
    ...(down === undefined ? {} : { down }),
  };
}

function phaseOf(pod: V1Pod): { phase: InstancePhase; exitCode?: number; down?: string } {
  const status = pod.status?.containerStatuses?.[0];
  if (pod.status?.phase === "Failed" || pod.status?.phase === "Succeeded") {
    const code = status?.state?.terminated?.exitCode ?? status?.lastState?.terminated?.exitCode;
    return { phase: "exited", ...(code === undefined ? {} : { exitCode: code }), down: `pod ${pod.status.phase.toLowerCase()}${pod.status.reason === undefined ? "" : ` (${pod.status.reason})`}` };
  }
  const waiting = status?.state?.waiting;
  const terminated = status?.state?.terminated ?? (waiting !== undefined ? status?.lastState?.terminated : undefined);
  if (terminated !== undefined) {
    const why = terminated.reason === "OOMKilled" ? "ran out of memory (OOMKilled)" : `exited with code ${terminated.exitCode}`;
    return { phase: "exited", exitCode: terminated.exitCode, down: `${why}${waiting?.reason === undefined ? "" : `; ${waiting.reason}`}` };
  }
  if (waiting?.reason !== undefined && STUCK_REASONS.has(waiting.reason)) {
    return { phase: "starting", down: `${waiting.reason}${waiting.message === undefined ? "" : `: ${waiting.message}`}` };
  }
  if (pod.status?.phase === "Running" && status?.state?.running !== undefined) return { phase: "running" };
  return { phase: "starting" };
}

function timestamp(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "string") return new Date(value).toISOString();
  return new Date(0).toISOString();
}
