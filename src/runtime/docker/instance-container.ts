// How an instance becomes a container: its name, its labels and the create
// request. Pure, so the mapping onto Kubernetes (docs/runtime-mapping.md) can
// be read and tested in one place:
//
//   labels        ↔ pod labels (revision ↔ pod-template-hash)
//   name          ↔ pod name: <replicaset>-<5 random characters>
//   unless-stopped ↔ restartPolicy: Always (what a Deployment's pods use)
//   Memory/NanoCpus ↔ resources.limits; MemorySwap = Memory, as nodes run without swap
//   StopSignal/StopTimeout ↔ SIGTERM and terminationGracePeriodSeconds
import { dnsLabelName } from "../../domain/naming.js";
import { probedPort } from "../probes.js";
import type { InstanceFilter, InstanceSpec, RevisionRef } from "../types.js";
import { nanoCpus, parseMemoryQuantity } from "../../domain/quantity.js";

export const instanceLabelKeys = {
  system: "org.slipway.system",
  environment: "org.slipway.environment",
  service: "org.slipway.service",
  revision: "org.slipway.revision",
  purpose: "org.slipway.purpose",
  /** The container port the router sends traffic to (a pod's containerPort), so a listing can find its published port. */
  port: "org.slipway.port",
} as const;

/**
 * No org.slipway.pid label: instances are the deployed system and outlive the
 * process that started them, so the CI orphan sweep (which removes labelled
 * containers whose pid is gone) never matches them.
 */
export function instanceLabels(spec: InstanceSpec): Record<string, string> {
  return {
    ...spec.labels,
    [instanceLabelKeys.system]: spec.system,
    [instanceLabelKeys.environment]: spec.environment,
    [instanceLabelKeys.service]: spec.service,
    [instanceLabelKeys.revision]: spec.revision,
    [instanceLabelKeys.purpose]: "instance",
    [instanceLabelKeys.port]: String(spec.port),
  };
}

/** Label selectors for the Engine API's `filters`, like a ReplicaSet's selector. */
export function instanceSelector(filter: InstanceFilter): string[] {
  return [
    `${instanceLabelKeys.purpose}=instance`,
    `${instanceLabelKeys.system}=${filter.system}`,
    `${instanceLabelKeys.environment}=${filter.environment}`,
    ...(filter.service === undefined ? [] : [`${instanceLabelKeys.service}=${filter.service}`]),
    ...(filter.revision === undefined ? [] : [`${instanceLabelKeys.revision}=${filter.revision}`]),
  ];
}

// The alphabet Kubernetes uses for generated name suffixes: no vowels, no look-alikes.
const suffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

/** Five characters from `randomIndex(n)` (0 ≤ i < n), as a pod name's suffix. */
export function nameSuffix(randomIndex: (n: number) => number): string {
  return Array.from({ length: 5 }, () => suffixAlphabet[randomIndex(suffixAlphabet.length)] ?? "x").join("");
}

/** "shop-prod-api-r4-3f9c2a1b-x7k2q": the ReplicaSet's name plus a suffix; at most 63 characters. */
export function instanceName(ref: RevisionRef, suffix: string): string {
  return dnsLabelName(ref.system, ref.environment, ref.service, ref.revision, suffix);
}

/** The container ports an instance publishes: the service port, and the readiness probe's if it names another. */
export function instancePorts(spec: InstanceSpec): number[] {
  return [...new Set([spec.port, probedPort(spec.readiness, spec.port) ?? spec.port])];
}

export interface ContainerCreateRequest {
  Image: string;
  Env: string[];
  Labels: Record<string, string>;
  ExposedPorts: Record<string, Record<string, never>>;
  StopSignal: "SIGTERM";
  StopTimeout: number;
  HostConfig: {
    PortBindings: Record<string, { HostIp: string; HostPort: string }[]>;
    RestartPolicy: { Name: "unless-stopped" };
    Memory?: number;
    MemorySwap?: number;
    NanoCpus?: number;
    LogConfig: { Type: "json-file"; Config: Record<string, string> };
  };
}

/**
 * The body of `POST /containers/create`. `hostPorts` maps each container port
 * to the loopback port it is published on: chosen up front rather than left to
 * the engine, because the engine picks a new random port on every restart and
 * an instance's address must survive a restart, as a pod's IP does.
 */
export function containerCreateRequest(spec: InstanceSpec, hostPorts: ReadonlyMap<number, number>): ContainerCreateRequest {
  const ports = instancePorts(spec);
  const memory = spec.resources.memory === undefined ? undefined : parseMemoryQuantity(spec.resources.memory);
  return {
    Image: spec.image,
    Env: Object.entries(spec.env).map(([name, value]) => `${name}=${value}`),
    Labels: instanceLabels(spec),
    ExposedPorts: Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}])),
    StopSignal: "SIGTERM",
    // Also what a person's `docker stop` waits; the Engine wants whole seconds.
    StopTimeout: wholeSeconds(spec.terminationGracePeriodSeconds),
    HostConfig: {
      PortBindings: Object.fromEntries(ports.map((p) => [`${p}/tcp`, [{ HostIp: "127.0.0.1", HostPort: String(hostPorts.get(p) ?? "") }]])),
      RestartPolicy: { Name: "unless-stopped" },
      ...(memory === undefined ? {} : { Memory: memory, MemorySwap: memory }),
      ...(spec.resources.cpus === undefined ? {} : { NanoCpus: nanoCpus(spec.resources.cpus) }),
      // The kubelet rotates container logs at 10Mi, keeping 5 files; so do we, whatever the daemon's default driver.
      LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "5" } },
    },
  };
}

/** Docker counts grace periods in whole seconds; a fraction rounds up so a process never gets less than asked. */
export function wholeSeconds(seconds: number): number {
  return Math.max(0, Math.ceil(seconds));
}
