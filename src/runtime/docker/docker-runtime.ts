// The runtime port on one Docker Engine: an instance is a container labelled
// with its system, environment, service and revision, published on loopback
// for the router. Readiness is probed by slipway with the kubelet's rules
// (readiness.ts), so a service's readiness spec means the same here as on a
// cluster. Removal is graceful: the caller takes the instance out of the
// router, then the engine sends SIGTERM, waits the grace period and kills.
import { randomInt } from "node:crypto";
import type { DockerEngine } from "../../docker/engine.js";
import type { ReadinessProbe } from "../../domain/config-schema.js";
import { SlipwayError } from "../../domain/errors.js";
import { describeProbe, probeFor, type ProbeTarget } from "../probes.js";
import { formatDuration, type ReadinessOutcome as ProbingOutcome, waitUntilReady } from "../readiness.js";
import type { Instance, InstanceFilter, InstanceRemoval, InstanceSpec, ReadinessOutcome, Runtime } from "../types.js";
import { type EngineAnswer, engineMessage, engineRequest, unexpectedAnswer } from "./engine-request.js";
import { assertHostNetworkable, containerCreateRequest, type InstanceNetwork, instanceName, instancePorts, instanceSelector, nameSuffix, wholeSeconds } from "./instance-container.js";
import { boundPorts, type ContainerDetails, type ContainerSummary, instanceFromDetails, instanceFromSummary, livenessOf, servicePortOf } from "./instance-state.js";
import { freeLoopbackPorts } from "./loopback-ports.js";
import { demultiplexLogs, lastLines } from "./log-frames.js";

/** How often a new instance is recreated on fresh ports when another process took its port first. */
const PORT_ATTEMPTS = 3;
/** Beyond the grace period, how long a stop request may take before it counts as lost. */
const STOP_SLACK_MS = 30_000;

export interface DockerRuntimeOptions {
  /** "bridge" (the default here, for callers that run foreign images) or "host" (environments default to it: docs/adr/0010). */
  network?: InstanceNetwork;
}

export class DockerRuntime implements Runtime {
  private readonly network: InstanceNetwork;

  constructor(
    private readonly engine: DockerEngine,
    options: DockerRuntimeOptions = {},
  ) {
    this.network = options.network ?? "bridge";
  }

  async createInstance(spec: InstanceSpec, signal?: AbortSignal): Promise<Instance> {
    if (this.network === "host") assertHostNetworkable(spec);
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      // On the host network the process binds the port itself, so only the service port is chosen.
      const ports = this.network === "host" ? [spec.port] : instancePorts(spec);
      const free = await freeLoopbackPorts(ports.length);
      const hostPorts = new Map(ports.map((port, i) => [port, free[i] ?? 0]));
      const started = await this.createAndStart(spec, hostPorts, signal);
      if (started !== "port taken") return started;
      if (attempt === PORT_ATTEMPTS) {
        throw new SlipwayError("PORT_IN_USE", `could not publish ${spec.service} on a free loopback port: another process took it ${PORT_ATTEMPTS} times`, { retryable: true });
      }
    }
  }

  async listInstances(filter: InstanceFilter): Promise<Instance[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: instanceSelector(filter) }));
    const containers = (await this.engine.get<ContainerSummary[]>(`/containers/json?all=1&filters=${filters}`)) ?? [];
    return containers
      .flatMap((c) => instanceFromSummary(c) ?? [])
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  async waitReady(instance: Instance, probe: ReadinessProbe, deadlineMs: number, signal?: AbortSignal): Promise<ReadinessOutcome> {
    const details = await this.inspect(instance.id);
    // The restart count now is the baseline: a restart during the wait means the process being waited for died.
    const restartsBefore = details?.RestartCount ?? 0;
    const now = livenessOf(details, restartsBefore);
    if (details === undefined || !now.alive) return { ready: false, afterMs: 0, detail: notReadyBecauseDown(instance, now.detail) };

    const target = this.probeTarget(instance, details);
    const outcome = await waitUntilReady(probeFor(probe, target), probe, {
      deadlineMs,
      signal: signal ?? new AbortController().signal,
      isAlive: async () => livenessOf(await this.inspect(instance.id), restartsBefore),
    });
    return { ready: outcome.ready, afterMs: outcome.afterMs, detail: describeOutcome(instance, outcome, probe, target.defaultPort, deadlineMs) };
  }

  async probeOnce(instance: Instance, probe: ReadinessProbe): Promise<boolean> {
    const details = await this.inspect(instance.id);
    if (details === undefined || !livenessOf(details, details.RestartCount).alive) return false;
    const result = await probeFor(probe, this.probeTarget(instance, details))(probe.timeoutSeconds * 1000);
    return result.ok;
  }

  async removeInstance(instance: Instance, gracePeriodSeconds: number): Promise<InstanceRemoval> {
    const t = wholeSeconds(gracePeriodSeconds);
    // The engine sends the StopSignal (SIGTERM), waits t seconds, then SIGKILL; and a stopped
    // container stays stopped, as `unless-stopped` leaves alone what was stopped on purpose.
    const stop = `${containerPath(instance.id)}/stop?t=${t}`;
    const startedMs = Date.now();
    const stopped = await engineRequest(this.engine, "POST", stop, { timeoutMs: t * 1000 + STOP_SLACK_MS });
    if (stopped.status === 404) return {};
    if (stopped.status !== 204 && stopped.status !== 304) throw unexpectedAnswer(this.engine, "POST", stop, stopped);
    // Killed after the grace period: the stop took all of it, and the process died of SIGKILL (128 + 9).
    const killed = t > 0 && stopped.status === 204 && Date.now() - startedMs >= t * 1000 && (await this.inspect(instance.id))?.State.ExitCode === 137;

    await this.forceRemove(instance.id);
    return killed ? { killedAfterGraceSeconds: t } : {};
  }

  /** The last lines of stdout and stderr, interleaved; empty when the instance is gone (its output went with it). */
  async logs(instance: Instance, lines: number): Promise<string> {
    const count = Math.floor(lines);
    if (count <= 0) return "";
    const path = `${containerPath(instance.id)}/logs?stdout=1&stderr=1&tail=${count}`;
    const answer = await engineRequest(this.engine, "GET", path);
    if (answer.status === 404) return "";
    if (answer.status !== 200) throw unexpectedAnswer(this.engine, "GET", path, answer);
    return lastLines(demultiplexLogs(answer.body).toString("utf8"), count);
  }

  // ---------------------------------------------------------------- helpers

  /** The started instance, or "port taken" when the engine could not bind a chosen loopback port (the container is gone again). */
  private async createAndStart(spec: InstanceSpec, hostPorts: ReadonlyMap<number, number>, signal: AbortSignal | undefined): Promise<Instance | "port taken"> {
    const name = instanceName(spec, nameSuffix(randomInt));
    const create = `/containers/create?name=${encodeURIComponent(name)}`;
    const created = await engineRequest(this.engine, "POST", create, { json: containerCreateRequest(spec, hostPorts, this.network) });
    if (created.status === 404) throw imageMissing(spec.image, created);
    if (created.status !== 201) throw unexpectedAnswer(this.engine, "POST", create, created);
    const { Id: id } = JSON.parse(created.body.toString("utf8")) as { Id: string };

    try {
      signal?.throwIfAborted();
      const start = `${containerPath(id)}/start`;
      const started = await engineRequest(this.engine, "POST", start);
      if (started.status !== 204 && started.status !== 304) {
        if (isPortTaken(started)) {
          await this.forceRemove(id);
          return "port taken";
        }
        throw new SlipwayError("COMPONENT_FAILED", `instance ${name} (image ${spec.image}) did not start: ${engineMessage(started)}`, {
          cause: unexpectedAnswer(this.engine, "POST", start, started),
          hint: "check the image's entry point (CMD/ENTRYPOINT) and its resources",
        });
      }
      signal?.throwIfAborted();
      const details = await this.inspect(id);
      const instance = details === undefined ? undefined : instanceFromDetails(details);
      if (instance === undefined) throw new SlipwayError("COMPONENT_FAILED", `instance ${name} was removed by someone else right after it started`);
      return instance;
    } catch (err) {
      // Nothing half-made is left behind: a cancelled or failed start removes the container.
      await this.forceRemove(id).catch(() => undefined);
      throw signal?.aborted ? signal.reason : err;
    }
  }

  private async inspect(id: string): Promise<ContainerDetails | undefined> {
    return this.engine.get<ContainerDetails>(`${containerPath(id)}/json`);
  }

  /** Removes the container and its anonymous volumes; already gone, or going (409), is fine. */
  private async forceRemove(id: string): Promise<void> {
    const path = `${containerPath(id)}?force=1&v=1`;
    const answer = await engineRequest(this.engine, "DELETE", path);
    if (answer.status !== 204 && answer.status !== 404 && answer.status !== 409) throw unexpectedAnswer(this.engine, "DELETE", path, answer);
  }

  /** http and tcp probes go to the loopback ports the container was created with; exec goes through the engine. */
  private probeTarget(instance: Instance, details: ContainerDetails): ProbeTarget {
    const published = boundPorts(details);
    const engine = this.engine;
    return {
      // dockerode is loaded only when an exec probe runs.
      get docker() {
        return engine.api;
      },
      containerId: details.Id,
      defaultPort: servicePortOf(details),
      publishedPort(containerPort) {
        const port = published.get(containerPort);
        if (port !== undefined) return port;
        throw new SlipwayError("INTERNAL", `instance ${instance.name} does not publish port ${containerPort}`, {
          hint: `a probe can reach the service port or the port of the readiness probe the instance was created with (${[...published.keys()].join(", ")})`,
        });
      },
    };
  }
}

function containerPath(id: string): string {
  return `/containers/${encodeURIComponent(id)}`;
}

function describeOutcome(instance: Instance, outcome: ProbingOutcome, probe: ReadinessProbe, port: number, deadlineMs: number): string {
  const what = describeProbe(probe, port);
  const probes = `${outcome.attempts} probe${outcome.attempts === 1 ? "" : "s"}`;
  if (outcome.endedBy === "ready") return `${instance.name} ready after ${probes} (${what})`;
  if (outcome.endedBy === "exit") return notReadyBecauseDown(instance, outcome.exitDetail);
  const last = outcome.lastError === undefined ? "no probe ran before the deadline" : `the last said: ${outcome.lastError}`;
  return `${instance.name} not ready within ${formatDuration(deadlineMs)}: ${probes} (${what}); ${last}`;
}

function notReadyBecauseDown(instance: Instance, detail: string | undefined): string {
  return `${instance.name} did not become ready: it ${detail ?? "stopped"}`;
}

function imageMissing(image: string, answer: EngineAnswer): SlipwayError {
  return new SlipwayError("COMPONENT_FAILED", `image ${image} is not in Docker Engine, and the runtime never pulls: nothing was started`, {
    cause: new Error(engineMessage(answer)),
    hint: `put it in the engine first (docker pull ${image}); pulling is a step of its own, with the registry's credentials, never a side effect of starting an instance`,
  });
}

function isPortTaken(answer: EngineAnswer): boolean {
  return /port is already allocated|address already in use/i.test(engineMessage(answer));
}
