// One HTTP exchange with a registry over node:http(s): streamed bodies both
// ways, pooled keep-alive connections, an idle timeout, and redirects for
// reads (hosted registries send blob GETs to a CDN). Knows nothing of auth,
// retries or the registry API; registry-http.ts adds those.
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";

export interface HttpRequest {
  method: "GET" | "HEAD" | "PUT" | "POST" | "PATCH" | "DELETE";
  url: URL;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Bytes can be sent again on a retry; a stream cannot. */
  body?: Uint8Array | Readable;
}

export interface HttpResponse {
  status: number;
  /** Where the answer came from, after redirects. */
  url: URL;
  /** Must be read or discarded, or the connection is never reused. */
  body: IncomingMessage;
  header(name: string): string | undefined;
}

/** The connection went quiet for longer than the idle timeout. */
export class IdleTimeoutError extends Error {
  readonly code = "SLIPWAY_IDLE_TIMEOUT";
  constructor(ms: number) {
    super(`no data for ${ms / 1000}s`);
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export class HttpTransport {
  readonly #httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 16 });
  readonly #httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 16 });
  readonly #idleTimeoutMs: number;

  constructor(idleTimeoutMs = 60_000) {
    this.#idleTimeoutMs = idleTimeoutMs;
  }

  /** Sends the request; follows up to 5 redirects for GET and HEAD, dropping credentials when the origin changes. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    let current = request;
    for (let hop = 0; ; hop++) {
      const response = await this.#exchange(current);
      const location = response.header("location");
      const followable = (current.method === "GET" || current.method === "HEAD") && REDIRECTS.has(response.status) && location !== undefined;
      if (!followable || hop === 5) return response;
      response.body.resume();
      const url = new URL(location, current.url);
      const headers = { ...current.headers };
      if (url.origin !== current.url.origin) delete headers["authorization"];
      current = { ...current, url, headers };
    }
  }

  close(): void {
    this.#httpAgent.destroy();
    this.#httpsAgent.destroy();
  }

  #exchange(request: HttpRequest): Promise<HttpResponse> {
    const { url, method, headers, body } = request;
    const https = url.protocol === "https:";
    return new Promise((resolve, reject) => {
      const outgoing = (https ? httpsRequest : httpRequest)(url, { method, headers, agent: https ? this.#httpsAgent : this.#httpAgent }, (incoming) => {
        resolve({ status: incoming.statusCode ?? 0, url, body: incoming, header: (name) => firstValue(incoming.headers[name.toLowerCase()]) });
      });
      outgoing.setTimeout(this.#idleTimeoutMs, () => outgoing.destroy(new IdleTimeoutError(this.#idleTimeoutMs)));
      outgoing.on("error", (err) => {
        if (body !== undefined && !(body instanceof Uint8Array)) body.destroy();
        reject(err);
      });
      if (body === undefined || body instanceof Uint8Array) {
        outgoing.end(body);
        return;
      }
      body.on("error", (err) => outgoing.destroy(err));
      body.pipe(outgoing);
    });
  }
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads a small body whole; fails past `limit` bytes instead of filling memory. */
export async function readBody(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    total += buffer.length;
    if (total > limit) {
      body.destroy();
      throw new Error(`the answer is larger than ${limit} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** Drops a body nobody needs, so the connection can be reused. */
export function discard(response: HttpResponse): void {
  response.body.resume();
}
