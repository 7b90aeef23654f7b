// Engine API calls that DockerEngine.raw cannot make: with a JSON body, with
// a binary answer (multiplexed logs), and with a timeout longer than 30 s —
// `POST /containers/{id}/stop?t=60` says nothing until the grace period is
// over. Every status comes back to the caller, who knows which ones are fine
// (304 "already stopped", 404 "already gone"); transport errors are
// translated by the engine. If DockerEngine.raw grows these options, this
// module folds into it.
import { request } from "node:http";
import type { DockerEngine } from "../../docker/engine.js";
import type { SlipwayError } from "../../domain/errors.js";

export interface EngineAnswer {
  status: number;
  body: Buffer;
}

export interface EngineRequestOptions {
  json?: unknown;
  /** How long the engine may stay silent; default 30 s. */
  timeoutMs?: number;
}

export async function engineRequest(engine: DockerEngine, method: string, path: string, options: EngineRequestOptions = {}): Promise<EngineAnswer> {
  const { socketPath, host, port } = engine.address.options;
  const target = socketPath !== undefined ? { socketPath } : { host: String(host), port: Number(port) };
  const payload = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const headers = { Host: "docker", ...(payload === undefined ? {} : { "Content-Type": "application/json", "Content-Length": String(payload.length) }) };
  try {
    return await new Promise<EngineAnswer>((resolve, reject) => {
      const req = request({ ...target, method, path, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in ${Math.round(timeoutMs / 1000)} s`)));
      req.on("error", reject);
      req.end(payload);
    });
  } catch (err) {
    throw engine.translate(err);
  }
}

/** The engine's own words for a refusal: its JSON `message`, or the body. */
export function engineMessage(answer: EngineAnswer): string {
  const text = answer.body.toString("utf8").trim();
  try {
    const message = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof message === "string") return message;
  } catch {
    // not JSON: the body is the message
  }
  return text === "" ? `HTTP ${answer.status}` : text;
}

/** An answer the caller has no use for, as a translated error (5xx retryable). */
export function unexpectedAnswer(engine: DockerEngine, method: string, path: string, answer: EngineAnswer): SlipwayError {
  return engine.translate(Object.assign(new Error(`${method} ${path}: ${answer.status} ${engineMessage(answer)}`), { statusCode: answer.status }));
}
