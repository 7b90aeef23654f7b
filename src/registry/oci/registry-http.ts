// Registry requests with authentication and retries: the layer between the
// API methods of OciRegistryClient and the bare HTTP transport. A request
// names the scopes it needs and the statuses it expects; anything else comes
// back as a RegistryError.
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { SlipwayError } from "../../domain/errors.js";
import type { RegistryAddress } from "../../domain/registry-address.js";
import type { RegistryError } from "../registry-error.js";
import { Authenticator, type Credentials } from "./authenticator.js";
import { isRetryableNetworkError, isRetryableStatus, parseRetryAfterMs, retryDelayMs, type RetryPolicy } from "./backoff.js";
import { errorFromNetwork, errorFromStatus, type RequestContext } from "./error-translation.js";
import { discard, HttpTransport, readBody, type HttpRequest, type HttpResponse } from "./http-transport.js";

export interface RetryEvent {
  /** 1 for the first retry. */
  retry: number;
  delayMs: number;
  /** "503", "ECONNREFUSED", … */
  reason: string;
  method: string;
  url: string;
}

export interface RegistryHttpOptions {
  retry: RetryPolicy;
  idleTimeoutMs: number;
  onRetry?: (event: RetryEvent) => void;
}

export interface RegistryRequest {
  method: HttpRequest["method"];
  /** A path such as /v2/app/tags/list, or an absolute URL (an upload Location). */
  url: string | URL;
  headers?: Record<string, string>;
  body?: Uint8Array | Readable;
  /** Token scopes the request needs, e.g. repository:app:pull. */
  scopes: readonly string[];
  /** Statuses that are answers; any other becomes an error. */
  expect: readonly number[];
  context: Pick<RequestContext, "operation" | "repository" | "reference">;
  /** False for requests that must not be sent twice (PATCH of a chunk). Streams are never sent twice. */
  retry?: boolean;
}

export class RegistryHttp {
  readonly base: URL;
  readonly #registry: string;
  readonly #transport: HttpTransport;
  readonly #auth: Authenticator;
  readonly #options: RegistryHttpOptions;

  constructor(address: RegistryAddress, credentials: Credentials | undefined, options: RegistryHttpOptions) {
    this.base = new URL(`${address.scheme}://${address.authority}`);
    this.#registry = address.authority;
    this.#transport = new HttpTransport(options.idleTimeoutMs);
    this.#options = options;
    this.#auth = new Authenticator(credentials, (request, context) => this.#sendWithRetries(request, context, true));
  }

  context(context: RegistryRequest["context"]): RequestContext {
    return { ...context, registry: this.#registry, hasCredentials: this.#auth.hasCredentials };
  }

  /** Sends with authentication (answering one 401 challenge) and retries; resolves only with an expected status. */
  async request(request: RegistryRequest): Promise<HttpResponse> {
    const context = this.context(request.context);
    const url = typeof request.url === "string" ? new URL(request.url, this.base) : request.url;
    const resendable = !(request.body instanceof Readable);
    let challenged = false;
    for (;;) {
      const headers = { ...request.headers };
      const authorization = await this.#auth.authorization(request.scopes, context);
      if (authorization !== undefined) headers["authorization"] = authorization;
      const outgoing: HttpRequest = { method: request.method, url, headers, ...(request.body === undefined ? {} : { body: request.body }) };
      const response = await this.#sendWithRetries(outgoing, context, resendable && request.retry !== false);
      if (request.expect.includes(response.status)) return response;
      if (response.status === 401 && !challenged && resendable) {
        challenged = true;
        const said = await readText(response);
        if (await this.#auth.answerChallenge(response.header("www-authenticate"), request.scopes, context)) continue;
        throw errorFromStatus(401, said, context, this.#auth.redaction());
      }
      throw await this.failure(response, context);
    }
  }

  /** The error for an unexpected answer, from its status and body. */
  async failure(response: HttpResponse, context: RequestContext): Promise<RegistryError> {
    return errorFromStatus(response.status, await readText(response), context, this.#auth.redaction(), response.header("retry-after"));
  }

  /** Sends without touching authorization; stops retrying only when the policy is spent or the failure is not transient. */
  async #sendWithRetries(request: HttpRequest, context: RequestContext, resendable: boolean): Promise<HttpResponse> {
    for (let retry = 0; ; retry++) {
      let response: HttpResponse;
      try {
        response = await this.#transport.send(request);
      } catch (err) {
        if (err instanceof SlipwayError) throw err; // Raised by our own streams (a digest that did not match).
        const transient = isRetryableNetworkError(err);
        const delay = transient && resendable ? retryDelayMs(this.#options.retry, retry, undefined) : undefined;
        if (delay === undefined) throw errorFromNetwork(err, retry + 1, context, this.#auth.redaction(), transient);
        await this.#pause(retry, delay, (err as NodeJS.ErrnoException).code ?? "network error", request);
        continue;
      }
      if (!isRetryableStatus(response.status) || !resendable) return response;
      const delay = retryDelayMs(this.#options.retry, retry, parseRetryAfterMs(response.header("retry-after"), Date.now()));
      if (delay === undefined) return response;
      discard(response);
      await this.#pause(retry, delay, String(response.status), request);
    }
  }

  async #pause(retry: number, delayMs: number, reason: string, request: HttpRequest): Promise<void> {
    this.#options.onRetry?.({ retry: retry + 1, delayMs, reason, method: request.method, url: request.url.pathname });
    await sleep(delayMs);
  }

  close(): void {
    this.#transport.close();
  }
}

/** An error body, for the message; empty when it cannot be read. */
async function readText(response: HttpResponse): Promise<string> {
  try {
    return (await readBody(response.body, 64 * 1024)).toString("utf8");
  } catch {
    return "";
  }
}
