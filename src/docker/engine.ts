// Docker Engine, spoken to through its Engine API over the socket (dockerode),
// never by parsing `docker` CLI output. Translates transport errors into
// ENGINE_UNAVAILABLE with the command that fixes them.
import { request } from "node:http";
import { createRequire } from "node:module";
import type Docker from "dockerode";
import { SlipwayError } from "../domain/errors.js";

// dockerode (with its SSH and gRPC dependencies) takes ~90 ms to load; the
// hot paths (ping, image lookups, listing) speak the Engine API directly and
// load it only when a command builds, runs or pushes something.
const requireModule = createRequire(import.meta.url);

export interface EngineAddress {
  /** What a person would recognise: the socket path or tcp URL. */
  display: string;
  options: Docker.DockerOptions;
}

/** The engine's address from DOCKER_HOST, as the docker CLI reads it; the standard socket otherwise. */
export function engineAddress(env: NodeJS.ProcessEnv = process.env): EngineAddress {
  const host = env["DOCKER_HOST"];
  if (host === undefined || host === "") return { display: "/var/run/docker.sock", options: { socketPath: "/var/run/docker.sock" } };
  if (host.startsWith("unix://")) {
    const socketPath = host.slice("unix://".length);
    return { display: socketPath, options: { socketPath } };
  }
  const url = new URL(host.replace(/^tcp:/, "http:"));
  return { display: host, options: { host: url.hostname, port: Number(url.port || 2375), protocol: "http" } };
}

export interface EngineVersion {
  version: string;
  apiVersion: string;
}

export interface EngineOptions {
  /** How long a short call (inspect, create, list, tag…) may stay silent before it counts as hung. */
  callTimeoutMs?: number;
}

export class DockerEngine {
  readonly address: EngineAddress;
  private readonly callTimeoutMs: number;
  private client: Docker | undefined;
  private streamClient: Docker | undefined;

  constructor(address: EngineAddress = engineAddress(), options: EngineOptions = {}) {
    this.address = address;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
  }

  /** The full dockerode client for short calls, loaded on first use; a call silent for callTimeoutMs is cut. */
  get api(): Docker {
    this.client ??= this.dockerode({ timeout: this.callTimeoutMs });
    return this.client;
  }

  /**
   * A client for calls that last as long as the work does — builds, pushes,
   * pulls, attaching to and waiting for a container. The engine says nothing
   * on them while a quiet RUN step or build command works, so an idle timeout
   * would cut a healthy build (it did: a `go build` silent for 30 s under load
   * failed as "Docker Engine is not reachable"). Only connecting is bounded;
   * the caller's AbortSignal ends them.
   */
  get streaming(): Docker {
    this.streamClient ??= this.dockerode({ connectionTimeout: this.callTimeoutMs });
    return this.streamClient;
  }

  private dockerode(timeouts: Pick<Docker.DockerOptions, "timeout"> & { connectionTimeout?: number }): Docker {
    const DockerClient = requireModule("dockerode") as typeof Docker;
    return new DockerClient({ ...this.address.options, ...timeouts } as Docker.DockerOptions);
  }

  async version(): Promise<EngineVersion> {
    const v = await this.get<{ Version: string; ApiVersion: string }>("/version");
    if (v === undefined) throw new SlipwayError("COMPONENT_FAILED", "Docker Engine did not answer /version");
    return { version: v.Version, apiVersion: v.ApiVersion };
  }

  /** Throws ENGINE_UNAVAILABLE unless the engine answers; the cheapest call it has. */
  async ping(): Promise<void> {
    await this.raw("GET", "/_ping");
  }

  async imageExists(reference: string): Promise<boolean> {
    return (await this.imageId(reference)) !== undefined;
  }

  /** The image's content id (sha256:…), or undefined when the engine does not have it. */
  async imageId(reference: string): Promise<string | undefined> {
    return (await this.get<{ Id: string }>(`/images/${encodeURIComponent(reference)}/json`))?.Id;
  }

  /** GET a JSON document from the Engine API; undefined on 404. */
  async get<T>(path: string): Promise<T | undefined> {
    const { status, body } = await this.raw("GET", path);
    return status === 404 ? undefined : (JSON.parse(body) as T);
  }

  /** One Engine API call over the socket (or TCP), without dockerode. Non-2xx other than 404 throws. */
  async raw(method: string, path: string): Promise<{ status: number; body: string }> {
    const options = this.address.options;
    const target = options.socketPath !== undefined ? { socketPath: options.socketPath } : { host: String(options.host), port: Number(options.port) };
    try {
      return await new Promise((resolve, reject) => {
        const req = request({ ...target, method, path, headers: { Host: "docker" }, timeout: 30_000 }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => (body += chunk));
          res.on("end", () => {
            const status = res.statusCode ?? 0;
            if ((status >= 200 && status < 300) || status === 404) resolve({ status, body });
            else reject(Object.assign(new Error(`${method} ${path}: ${status} ${body.trim()}`), { statusCode: status }));
          });
        });
        req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
        req.on("error", reject);
        req.end();
      });
    } catch (err) {
      throw this.translate(err);
    }
  }

  /** Engine errors to SlipwayErrors: an unreachable engine says how to start it. */
  translate(err: unknown): SlipwayError {
    if (err instanceof SlipwayError) return err;
    const code = (err as { code?: string }).code;
    if (code === "ENOENT" || code === "ECONNREFUSED" || code === "EACCES" || code === "ECONNRESET") {
      const why = code === "ENOENT" ? "no socket there" : code === "EACCES" ? "permission denied" : "connection refused";
      return new SlipwayError("ENGINE_UNAVAILABLE", `Docker Engine is not reachable at ${this.address.display} (${why})`, {
        cause: err,
        retryable: code !== "EACCES",
        hint:
          code === "EACCES"
            ? "run as root or add your user to the docker group"
            : "start it with `sudo bash scripts/setup-host.sh` (installs docker.io if missing and starts dockerd)",
      });
    }
    const status = statusOf(err);
    const message = (err as Error).message ?? String(err);
    return new SlipwayError("COMPONENT_FAILED", `Docker Engine answered: ${message}`, { cause: err, retryable: status !== undefined && status >= 500 });
  }
}

function statusOf(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === "number" ? status : undefined;
}
