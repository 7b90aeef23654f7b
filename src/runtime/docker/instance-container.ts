// How an instance becomes a container: its name, its labels and the create
// request. Pure, so the mapping onto Kubernetes (docs/runtime-mapping.md) can
// be read and tested in one place:
//
//   labels        ↔ pod labels (revision ↔ pod-template-hash)
//   name          ↔ pod name: <replicaset>-<5 random characters>
//   unless-stopped ↔ restartPolicy: Always (what a Deployment's pods use)
//   Memory/NanoCpus ↔ resources.limits; MemorySwap = Memory, as nodes run without swap
//   StopSignal/StopTimeout ↔ SIGTERM and terminationGracePeriodSeconds
//
// Two networks (docs/adr/0010-host-network-instances.md): on "host" (the
// default) an instance shares the host's loopback, is told its port in PORT
// and its bind address in HOST, and reaches its dependencies through the
// environment's router at 127.0.0.1 — like a pod reaching a Service. On
// "bridge" it keeps Docker's network namespace and its port is published on
// loopback; it can be reached, but cannot reach the router.
import { dnsLabelName } from "../../domain/naming.js";
import { probedPort } from "../probes.js";
import type { InstanceFilter, InstanceSpec, RevisionRef } from "../types.js";
import { nanoCpus, parseMemoryQuantity } from "../../domain/quantity.js";
import { SlipwayError } from "../../domain/errors.js";

export const instanceLabelKeys = {
  system: "org.slipway.system",
  environment: "org.slipway.environment",
  service: "org.slipway.service",
  revision: "org.slipway.revision",
  purpose: "org.slipway.purpose",
  /** The container port the router sends traffic to (a pod's containerPort), so a listing can find its published port. */
  port: "org.slipway.port",
  /** On the host network: the loopback port the instance was told to listen on (its PORT). */
  hostPort: "org.slipway.host-port",
} as const;

/** Where an instance's network lives: the host's (loopback shared with the router) or a Docker bridge. */
export type InstanceNetwork = "host" | "bridge";

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
    NetworkMode: InstanceNetwork;
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
 * to the loopback port it is reached on: chosen up front rather than left to
 * the engine, because the engine picks a new random port on every restart and
 * an instance's address must survive a restart, as a pod's IP does.
 *
 * On the host network there is nothing to publish: the service port's
 * loopback port is the one the process listens on, given in PORT (set last,
 * so it wins over a PORT in the service's env), with HOST=127.0.0.1 so a
 * service that honours it is not exposed beyond the machine.
 */
export function containerCreateRequest(spec: InstanceSpec, hostPorts: ReadonlyMap<number, number>, network: InstanceNetwork = "bridge"): ContainerCreateRequest {
  const memory = spec.resources.memory === undefined ? undefined : parseMemoryQuantity(spec.resources.memory);
  const onHost = network === "host";
  const listenPort = hostPorts.get(spec.port);
  if (onHost) assertHostNetworkable(spec);
  const ports = onHost ? [] : instancePorts(spec);
  const env = { ...spec.env, ...(onHost ? { HOST: "127.0.0.1", PORT: String(listenPort ?? "") } : {}) };
  return {
    Image: spec.image,
    Env: Object.entries(env).map(([name, value]) => `${name}=${value}`),
    Labels: { ...instanceLabels(spec), ...(onHost ? { [instanceLabelKeys.hostPort]: String(listenPort ?? "") } : {}) },
    ExposedPorts: Object.fromEntries(ports.map((p) => [`${p}/tcp`, {}])),
    StopSignal: "SIGTERM",
    // Also what a person's `docker stop` waits; the Engine wants whole seconds.
    StopTimeout: wholeSeconds(spec.terminationGracePeriodSeconds),
    HostConfig: {
      NetworkMode: network,
      PortBindings: Object.fromEntries(ports.map((p) => [`${p}/tcp`, [{ HostIp: "127.0.0.1", HostPort: String(hostPorts.get(p) ?? "") }]])),
      RestartPolicy: { Name: "unless-stopped" },
      ...(memory === undefined ? {} : { Memory: memory, MemorySwap: memory }),
      ...(spec.resources.cpus === undefined ? {} : { NanoCpus: nanoCpus(spec.resources.cpus) }),
      // The kubelet rotates container logs at 10Mi, keeping 5 files; so do we, whatever the daemon's default driver.
      LogConfig: { Type: "json-file", Config: { "max-size": "10m", "max-file": "5" } },
    },
  };
}

/**
 * On the host network only the service port can be moved (through PORT); a
 * probe on another fixed port would collide between two instances.
 */
export function assertHostNetworkable(spec: InstanceSpec): void {
  const probed = probedPort(spec.readiness, spec.port);
  if (probed === undefined || probed === spec.port) return;
  throw new SlipwayError("CONFIG_INVALID", `service ${spec.service}: readiness probes port ${probed}, but on the host network an instance listens only on the port slipway gives it in PORT`, {
    hint: `probe the service port (drop readiness.${spec.readiness.http ? "http" : "tcp"}.port), or run the environment with \`network: bridge\` in slipway.yaml`,
  });
}

/** Docker counts grace periods in whole seconds; a fraction rounds up so a process never gets less than asked. */
export function wholeSeconds(seconds: number): number {
  return Math.max(0, Math.ceil(seconds));
}
