// HTTP handling for the ingestion service: validates delivery requests and
// forwards them to the workflow service.

import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

import { validateDeliveryRequest } from "./validate.js";

export const SERVICE_NAME = "ingestion";
const MAX_BODY_BYTES = 64 * 1024;

export interface AppOptions {
  /** Base URL of the workflow service, e.g. http://workflow:8080 */
  workflowUrl: string;
  version: string;
  revision: string;
  /** How long to wait for the workflow service before answering 502. */
  upstreamTimeoutMs?: number;
  /** Receives one line per request; defaults to stdout. */
  log?: (line: string) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpError(413, `request body is larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function describe(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : "";
    return `${err.message}${cause}`;
  }
  return String(err);
}

export function createApp(options: AppOptions): Server {
  const workflowUrl = options.workflowUrl.replace(/\/+$/, "");
  const timeoutMs = options.upstreamTimeoutMs ?? 10_000;
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));

  async function postDelivery(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const raw = await readBody(req);
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new HttpError(400, "request body is not valid JSON");
    }
    const result = validateDeliveryRequest(parsed);
    if (!result.ok) {
      sendJson(res, 400, { error: `invalid delivery request: ${result.errors.join("; ")}`, details: result.errors });
      return;
    }

    let upstream: Response;
    try {
      upstream = await fetch(`${workflowUrl}/workflows`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": requestId },
        body: JSON.stringify(result.value),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new HttpError(502, `workflow service unreachable at ${workflowUrl}: ${describe(err)}`);
    }
    const text = await upstream.text();
    let answer: unknown;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = text;
    }
    if (upstream.ok) {
      sendJson(res, 202, answer);
    } else if (upstream.status >= 400 && upstream.status < 500) {
      // The workflow refused a request we considered valid (for example a
      // conflicting id): tell the caller why instead of blaming the gateway.
      sendJson(res, 422, { error: `workflow service rejected the delivery (HTTP ${upstream.status})`, upstream: answer });
    } else {
      sendJson(res, 502, { error: `workflow service failed (HTTP ${upstream.status})`, upstream: answer });
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const method = req.method ?? "GET";
    const allow = (methods: string): boolean => {
      if (methods.split(", ").includes(method)) return true;
      res.setHeader("allow", methods);
      sendJson(res, 405, { error: `method ${method} not allowed on ${path}` });
      return false;
    };

    switch (path) {
      case "/healthz":
        if (allow("GET, HEAD")) sendJson(res, 200, { status: "ok" });
        return;
      case "/version":
        if (allow("GET, HEAD")) {
          sendJson(res, 200, { service: SERVICE_NAME, version: options.version, revision: options.revision });
        }
        return;
      case "/deliveries":
        if (allow("POST")) await postDelivery(req, res, requestId);
        return;
      default:
        sendJson(res, 404, { error: `no route for ${method} ${path}` });
    }
  }

  return createServer((req, res) => {
    const started = process.hrtime.bigint();
    const header = req.headers["x-request-id"];
    const requestId = typeof header === "string" && header !== "" ? header : randomUUID();
    res.setHeader("x-request-id", requestId);
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log(
        JSON.stringify({
          time: new Date().toISOString(),
          service: SERVICE_NAME,
          requestId,
          method: req.method,
          path: req.url,
          status: res.statusCode,
          durationMs: Math.round(ms * 10) / 10,
        }),
      );
    });
    route(req, res, requestId).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : `internal error: ${describe(err)}`;
      if (res.headersSent) {
        res.destroy();
      } else {
        sendJson(res, status, { error: message });
      }
    });
  });
}
