// Runs a service's build or unit-test commands inside its build image: the
// source bind-mounted, a named cache volume per package manager, as the
// invoking user so what the build writes stays theirs. The container is
// always removed, also when the run is aborted.
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import type { DockerEngine } from "./engine.js";

export interface BuildContainerSpec {
  name: string;
  image: string;
  commands: readonly string[];
  workdir: string;
  binds: readonly { source: string; target: string; readOnly?: boolean }[];
  env: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
  /** "uid:gid"; undefined runs as the image's user. */
  user?: string;
}

/** One volume per package manager, shared by every build on this engine. */
export const cacheVolumes: Readonly<Record<string, { target: string; env: Record<string, string> }>> = {
  "slipway-cache-npm": { target: "/cache/npm", env: { npm_config_cache: "/cache/npm" } },
  "slipway-cache-go": { target: "/cache/go", env: { GOMODCACHE: "/cache/go/mod", GOCACHE: "/cache/go/build" } },
  "slipway-cache-pip": { target: "/cache/pip", env: { PIP_CACHE_DIR: "/cache/pip" } },
};

/** A shell script that echoes each command before running it and stops at the first failure. */
export function buildScript(commands: readonly string[]): string {
  return ["set -e", ...commands.flatMap((c) => [`printf '%s\\n' ${shellQuote(`$ ${c}`)}`, c])].join("\n");
}

export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

export async function runBuildContainer(engine: DockerEngine, spec: BuildContainerSpec, onOutput: (text: string) => void, signal: AbortSignal): Promise<{ exitCode: number }> {
  const docker = engine.api;
  await ensureCacheVolumes(docker, spec.image);
  let container: Docker.Container | undefined;
  const kill = (): void => void container?.remove({ force: true }).catch(() => undefined);
  signal.addEventListener("abort", kill, { once: true });
  try {
    const env = { HOME: "/tmp", ...Object.assign({}, ...Object.values(cacheVolumes).map((v) => v.env)), ...spec.env };
    container = await docker.createContainer({
      name: spec.name,
      Image: spec.image,
      Cmd: ["sh", "-c", buildScript(spec.commands)],
      WorkingDir: spec.workdir,
      Env: Object.entries(env).map(([k, v]) => `${k}=${String(v)}`),
      Labels: { ...spec.labels },
      ...(spec.user !== undefined ? { User: spec.user } : {}),
      HostConfig: {
        Binds: spec.binds.map((b) => `${b.source}:${b.target}${b.readOnly === true ? ":ro" : ""}`),
        Mounts: Object.entries(cacheVolumes).map(([name, v]) => ({ Type: "volume" as const, Source: name, Target: v.target })),
      },
    });
    if (signal.aborted) throw signal.reason ?? new Error("aborted");
    // Attaching and waiting last as long as the build: the streaming client has no idle timeout.
    const running = engine.streaming.getContainer(container.id);
    const stream = await running.attach({ stream: true, stdout: true, stderr: true });
    const out = new PassThrough();
    out.on("data", (chunk: Buffer) => onOutput(chunk.toString("utf8")));
    docker.modem.demuxStream(stream, out, out);
    const ended = new Promise<void>((resolve) => stream.on("end", resolve));
    await container.start();
    const result = (await running.wait()) as { StatusCode: number };
    await ended;
    // Killed because the run was aborted: that is not the build's verdict.
    if (signal.aborted) throw signal.reason ?? new Error("aborted");
    return { exitCode: result.StatusCode };
  } catch (err) {
    throw signal.aborted ? err : engine.translate(err);
  } finally {
    signal.removeEventListener("abort", kill);
    await container?.remove({ force: true }).catch(() => undefined);
  }
}

const WRITABLE_LABEL = "org.slipway.cache-writable";

/**
 * Creates the cache volumes once, writable by any build user (mode 1777, as
 * /tmp): builds run as the invoking user, whoever created the volume first.
 * A volume of ours from before this rule is recreated (it is only a cache).
 */
async function ensureCacheVolumes(docker: Docker, image: string): Promise<void> {
  const existing = new Map(((await docker.listVolumes()).Volumes ?? []).map((v) => [v.Name, v.Labels ?? {}]));
  for (const name of Object.keys(cacheVolumes)) {
    const labels = existing.get(name);
    if (labels?.[WRITABLE_LABEL] === "1777") continue;
    if (labels !== undefined) await docker.getVolume(name).remove().catch(() => undefined);
    await docker.createVolume({ Name: name, Labels: { "org.slipway.purpose": "build-cache", [WRITABLE_LABEL]: "1777" } });
    const c = await docker.createContainer({ Image: image, User: "0:0", Cmd: ["chmod", "1777", "/v"], HostConfig: { Mounts: [{ Type: "volume", Source: name, Target: "/v" }] } });
    try {
      await c.start();
      await c.wait();
    } finally {
      await c.remove({ force: true });
    }
  }
}
