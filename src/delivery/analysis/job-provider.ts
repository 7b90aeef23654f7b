// A job as a metric: a container (through the Engine API) or a local command
// runs to completion; exit code 0 makes the result true, anything else, or
// running past the time limit, false. The output's last lines are kept in the
// measurement, because "the smoke test failed" is useless without them.
//
// The job learns what to test from SLIPWAY_REVISION and
// SLIPWAY_STABLE_REVISION. Containers carry slipway's labels and this
// process's pid, so `sweepOrphans` removes them if slipway is killed mid-job.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type Docker from "dockerode";
import type { DockerEngine } from "../../docker/engine.js";
import { SlipwayError } from "../../domain/errors.js";
import { dnsLabelName } from "../../domain/naming.js";
import type { MeasureContext, MeasureResult, MetricProvider } from "./metric-provider.js";

export const defaultJobTimeoutMs = 300_000;
const OUTPUT_LINES = 20;
const OUTPUT_CHARS = 4000;
const EXIT_POLL_MS = 200;

export interface ContainerJobSpec {
  /** Must be in the engine already: slipway never pulls. */
  image: string;
  command: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** A Docker network to join, to reach the revision's containers by name. */
  network?: string;
  timeoutMs?: number;
}

export interface CommandJobSpec {
  /** Run without a shell: the program, then its arguments. */
  command: readonly string[];
  cwd?: string;
  env?: Readonly<Record<string, string>>;
  timeoutMs?: number;
}

export interface JobRun {
  /** undefined when it ran past its time limit and was killed. */
  exitCode: number | undefined;
  output: string;
  durationMs: number;
}

export abstract class JobMetricProvider implements MetricProvider {
  abstract readonly description: string;
  readonly timeoutMs: number;
  protected readonly jobTimeoutMs: number;

  constructor(timeoutMs: number | undefined) {
    this.jobTimeoutMs = timeoutMs ?? defaultJobTimeoutMs;
    // Room to create and remove a container around the job itself.
    this.timeoutMs = this.jobTimeoutMs + 30_000;
  }

  async measure(context: MeasureContext): Promise<MeasureResult> {
    const run = await this.run(context, { SLIPWAY_REVISION: context.revision, ...(context.stableRevision === undefined ? {} : { SLIPWAY_STABLE_REVISION: context.stableRevision }) });
    const lastLine = run.output.trimEnd().split("\n").at(-1)?.trim() ?? "";
    const ended = run.exitCode === undefined ? `ran past its ${this.jobTimeoutMs / 1000} s limit and was stopped` : `exited with code ${run.exitCode}`;
    return {
      value: run.exitCode === 0,
      summary: `${this.description} ${ended}${run.exitCode === 0 || lastLine === "" ? "" : ` (last output: ${lastLine.slice(0, 200)})`}`,
      detail: { exitCode: run.exitCode ?? null, timedOut: run.exitCode === undefined, durationMs: run.durationMs, output: run.output },
    };
  }

  protected abstract run(context: MeasureContext, env: Record<string, string>): Promise<JobRun>;
}

export class ContainerJobProvider extends JobMetricProvider {
  readonly description: string;

  constructor(
    private readonly spec: ContainerJobSpec,
    private readonly engine: DockerEngine,
    private readonly owner: { system: string; metric: string },
  ) {
    super(spec.timeoutMs);
    this.description = `job ${spec.image} ${shorten(spec.command.join(" "), 60)}`;
  }

  protected async run(context: MeasureContext, env: Record<string, string>): Promise<JobRun> {
    const { signal } = context;
    const docker = this.engine.api;
    const started = performance.now();
    let container: Docker.Container;
    try {
      container = await docker.createContainer({
        name: dnsLabelName(this.owner.system, "analysis", this.owner.metric, context.revision, randomBytes(3).toString("hex")),
        Image: this.spec.image,
        Cmd: [...this.spec.command],
        Env: Object.entries({ ...this.spec.env, ...env }).map(([k, v]) => `${k}=${v}`),
        Labels: {
          "org.slipway.system": this.owner.system,
          "org.slipway.purpose": "analysis-job",
          "org.slipway.metric": this.owner.metric,
          "org.slipway.revision": context.revision,
          "org.slipway.pid": String(process.pid),
        },
        HostConfig: this.spec.network === undefined ? {} : { NetworkMode: this.spec.network },
      });
    } catch (err) {
      if (statusOf(err) === 404) {
        throw new SlipwayError("MEASUREMENT_FAILED", `the job image ${this.spec.image} is not in Docker Engine, and slipway does not pull analysis images`, {
          cause: err,
          hint: `pull, load or build ${this.spec.image} on this host first`,
        });
      }
      throw this.engine.translate(err);
    }
    try {
      await container.start();
      const exitCode = await this.waitForExit(container, signal);
      const output = demultiplex(await container.logs({ stdout: true, stderr: true, follow: false, tail: OUTPUT_LINES * 2 }));
      return { exitCode, output: tail(output), durationMs: Math.round(performance.now() - started) };
    } catch (err) {
      signal.throwIfAborted();
      throw err instanceof SlipwayError ? err : this.engine.translate(err);
    } finally {
      await container.remove({ force: true, v: true }).catch(() => undefined);
    }
  }

  /** Polls rather than long-polling /wait: the engine client drops sockets idle for 30 s. */
  private async waitForExit(container: Docker.Container, signal: AbortSignal): Promise<number | undefined> {
    const giveUpAt = performance.now() + this.jobTimeoutMs;
    for (;;) {
      const { State } = await container.inspect();
      if (!State.Running && State.Status !== "created") return State.ExitCode;
      if (performance.now() >= giveUpAt) return undefined;
      await sleep(Math.min(EXIT_POLL_MS, giveUpAt - performance.now()), undefined, { signal });
    }
  }
}

export class CommandJobProvider extends JobMetricProvider {
  readonly description: string;

  constructor(private readonly spec: CommandJobSpec) {
    super(spec.timeoutMs);
    if (spec.command.length === 0) throw new SlipwayError("CONFIG_INVALID", "a job's command needs at least the program to run");
    this.description = `command ${shorten(spec.command.join(" "), 60)}`;
  }

  protected run(context: MeasureContext, env: Record<string, string>): Promise<JobRun> {
    const [program, ...args] = this.spec.command as [string, ...string[]];
    const started = performance.now();
    return new Promise((resolve, reject) => {
      let output = "";
      let timedOut = false;
      const child = spawn(program, args, { cwd: this.spec.cwd, env: { ...process.env, ...this.spec.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
      const keep = (chunk: Buffer): void => {
        output = (output + chunk.toString("utf8")).slice(-OUTPUT_CHARS * 4);
      };
      child.stdout.on("data", keep);
      child.stderr.on("data", keep);
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, this.jobTimeoutMs);
      const onAbort = (): void => {
        child.kill("SIGKILL");
      };
      context.signal.addEventListener("abort", onAbort, { once: true });
      const done = (): void => {
        clearTimeout(timer);
        context.signal.removeEventListener("abort", onAbort);
      };
      child.on("error", (err: NodeJS.ErrnoException) => {
        done();
        if (context.signal.aborted) return reject(context.signal.reason);
        const why = err.code === "ENOENT" ? "is not installed or not on PATH" : err.code === "EACCES" ? "is not executable" : `could not start: ${err.message}`;
        reject(new SlipwayError("MEASUREMENT_FAILED", `the job's program ${program} ${why}`, { cause: err }));
      });
      child.on("close", (code) => {
        done();
        if (context.signal.aborted) return reject(context.signal.reason);
        resolve({ exitCode: timedOut ? undefined : (code ?? 1), output: tail(output), durationMs: Math.round(performance.now() - started) });
      });
    });
  }
}

/** Docker's log stream without a TTY: frames of [stream, 0, 0, 0, size (4 bytes, big-endian)] then the payload. */
export function demultiplex(buffer: Buffer): string {
  let text = "";
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    text += buffer.subarray(offset + 8, offset + 8 + size).toString("utf8");
    offset += 8 + size;
  }
  return offset === 0 && buffer.length > 0 ? buffer.toString("utf8") : text;
}

export function tail(output: string): string {
  const lines = output.trimEnd().split("\n").slice(-OUTPUT_LINES).join("\n");
  return lines.length <= OUTPUT_CHARS ? lines : `…${lines.slice(-(OUTPUT_CHARS - 1))}`;
}

export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === "number" ? status : undefined;
}
