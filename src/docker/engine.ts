// Docker Engine, spoken to through its Engine API over the socket (dockerode),
// never by parsing `docker` CLI output. Translates transport errors into
// ENGINE_UNAVAILABLE with the command that fixes them.
import Docker from "dockerode";
import { SlipwayError } from "../domain/errors.js";

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

export class DockerEngine {
  readonly api: Docker;
  readonly address: EngineAddress;

  constructor(address: EngineAddress = engineAddress()) {
    this.address = address;
    this.api = new Docker({ ...address.options, timeout: 30_000 });
  }

  async version(): Promise<EngineVersion> {
    try {
      const v = await this.api.version();
      return { version: v.Version, apiVersion: v.ApiVersion };
    } catch (err) {
      throw this.translate(err);
    }
  }

  async imageExists(reference: string): Promise<boolean> {
    try {
      await this.api.getImage(reference).inspect();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
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
