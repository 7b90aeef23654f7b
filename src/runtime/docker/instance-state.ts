// What the Engine API says about a container, read as an instance: its phase,
// its address, whether it is alive. Pure; the shapes are the few fields of
// `GET /containers/json` and `GET /containers/{id}/json` that are used.
import type { Liveness } from "../readiness.js";
import type { Instance, InstancePhase } from "../types.js";
import { instanceLabelKeys } from "./instance-container.js";

/** One item of `GET /containers/json`. */
export interface ContainerSummary {
  Id: string;
  Names?: string[] | null;
  Image: string;
  Created: number;
  State: string;
  Status: string;
  Labels?: Record<string, string> | null;
  Ports?: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }[] | null;
}

/** `GET /containers/{id}/json`, the parts used here. */
export interface ContainerDetails {
  Id: string;
  Name: string;
  Created: string;
  RestartCount: number;
  Config: { Image: string; Labels?: Record<string, string> | null };
  State: { Status: string; Running: boolean; Restarting: boolean; OOMKilled: boolean; ExitCode: number; Error?: string };
  HostConfig: { Memory?: number; RestartPolicy?: { Name?: string }; PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null };
}

/**
 * Docker's states as a phase. "restarting" is a container that exited and
 * waits for its restart policy's back-off (Kubernetes: CrashLoopBackOff);
 * it serves nothing, so it counts as exited.
 */
export function phaseOf(state: string): InstancePhase {
  if (state === "running") return "running";
  if (state === "created") return "starting";
  return "exited";
}

/**
 * From a listing; undefined for a container that lacks an instance's labels
 * (someone else's). An instance that is not running has no address (port 0);
 * after a restart it is back on the same port.
 */
export function instanceFromSummary(c: ContainerSummary): Instance | undefined {
  const labels = c.Labels ?? {};
  const ref = revisionRefOf(labels);
  if (ref === undefined) return undefined;
  const containerPort = Number(labels[instanceLabelKeys.port]);
  const published = c.Ports?.find((p) => p.PrivatePort === containerPort && p.Type === "tcp" && p.PublicPort !== undefined)?.PublicPort ?? hostNetworkPort(labels);
  const phase = phaseOf(c.State);
  // A listing carries the exit code only in its human status: "Exited (3) 2 seconds ago", "Restarting (3) …".
  const exitCode = /^(?:Exited|Restarting) \((-?\d+)\)/.exec(c.Status)?.[1];
  return {
    ...ref,
    id: c.Id,
    name: (c.Names?.[0] ?? c.Id).replace(/^\//, ""),
    image: c.Image,
    phase,
    address: { host: "127.0.0.1", port: phase === "exited" ? 0 : (published ?? 0) },
    createdAt: wholeSecondsIso(c.Created),
    ...(phase === "exited" && exitCode !== undefined ? { exitCode: Number(exitCode) } : {}),
  };
}

/** From inspect. */
export function instanceFromDetails(c: ContainerDetails): Instance | undefined {
  const labels = c.Config.Labels ?? {};
  const ref = revisionRefOf(labels);
  if (ref === undefined) return undefined;
  const phase = c.State.Restarting ? "exited" : phaseOf(c.State.Status);
  return {
    ...ref,
    id: c.Id,
    name: c.Name.replace(/^\//, ""),
    image: c.Config.Image,
    phase,
    address: { host: "127.0.0.1", port: phase === "exited" ? 0 : (boundPorts(c).get(servicePortOf(c)) ?? 0) },
    createdAt: wholeSecondsIso(new Date(c.Created).getTime() / 1000),
    ...(phase === "exited" ? { exitCode: c.State.ExitCode } : {}),
  };
}

/** The container port the router sends traffic to. */
export function servicePortOf(c: ContainerDetails): number {
  return Number(c.Config.Labels?.[instanceLabelKeys.port]);
}

/**
 * Container port → loopback port, from the bindings the container was created
 * with (stable across restarts); on the host network, the service port → the
 * port it was told to listen on.
 */
export function boundPorts(c: ContainerDetails): Map<number, number> {
  const ports = new Map<number, number>();
  const onHost = hostNetworkPort(c.Config.Labels ?? {});
  if (onHost !== undefined) return new Map([[servicePortOf(c), onHost]]);
  for (const [key, bindings] of Object.entries(c.HostConfig.PortBindings ?? {})) {
    const hostPort = Number(bindings?.[0]?.HostPort);
    if (key.endsWith("/tcp") && Number.isInteger(hostPort) && hostPort > 0) ports.set(Number.parseInt(key, 10), hostPort);
  }
  return ports;
}

/** The PORT an instance on the host network listens on; undefined on a bridge. */
function hostNetworkPort(labels: Record<string, string>): number | undefined {
  const port = Number(labels[instanceLabelKeys.hostPort]);
  return Number.isInteger(port) && port > 0 ? port : undefined;
}

/**
 * Alive means running now and not restarted since `restartsBefore`: a
 * container that crashed and came back between two looks is not the process
 * that was being waited for (Kubernetes would show restartCount going up).
 */
export function livenessOf(c: ContainerDetails | undefined, restartsBefore: number): Liveness {
  if (c === undefined) return { alive: false, detail: "was removed" };
  const { State } = c;
  if (State.Running && !State.Restarting && c.RestartCount <= restartsBefore) return { alive: true };
  const oom = State.OOMKilled ? ` after running out of memory (limit ${c.HostConfig.Memory ?? 0} bytes)` : "";
  const error = State.Error ? ` (${State.Error})` : "";
  if (State.Running && !State.Restarting) return { alive: false, detail: `crashed and was restarted by its restart policy (restart count ${c.RestartCount})${oom}` };
  const restarting = State.Restarting ? `; its restart policy starts it again (restart count ${c.RestartCount})` : "";
  return { alive: false, detail: `exited with code ${State.ExitCode}${oom}${error}${restarting}` };
}

/**
 * A listing knows creation times to the second only; inspect is cut to match,
 * so one instance reads the same either way (Kubernetes' creationTimestamp is
 * whole seconds too).
 */
function wholeSecondsIso(unixSeconds: number): string {
  return new Date(Math.floor(unixSeconds) * 1000).toISOString();
}

function revisionRefOf(labels: Record<string, string>): Pick<Instance, "system" | "environment" | "service" | "revision"> | undefined {
  const system = labels[instanceLabelKeys.system];
  const environment = labels[instanceLabelKeys.environment];
  const service = labels[instanceLabelKeys.service];
  const revision = labels[instanceLabelKeys.revision];
  if (system === undefined || environment === undefined || service === undefined || revision === undefined) return undefined;
  return { system, environment, service, revision };
}
