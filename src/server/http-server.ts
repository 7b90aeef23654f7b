// The API behind a socket: @hono/node-server on node:http, or node:https
// when given a certificate and key. Binds 127.0.0.1 unless told otherwise.
// close() stops accepting, ends the event streams and waits (up to 10 s)
// for requests in flight.
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { serve, type ServerType } from "@hono/node-server";
import { SlipwayError } from "../domain/errors.js";
import type { ApiApp } from "./api-app.js";

/** How long close() lets requests in flight finish. */
const CLOSE_GRACE_MS = 10_000;

export interface ListenOptions {
  hostname: string;
  port: number;
  tls?: { cert: string; key: string };
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function listen(api: ApiApp, options: ListenOptions): Promise<RunningServer> {
  const tls = options.tls === undefined ? undefined : readTls(options.tls);
  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({
      fetch: api.app.fetch,
      hostname: options.hostname,
      port: options.port,
      ...(tls === undefined ? {} : { createServer: createHttpsServer, serverOptions: tls }),
    });
    s.once("listening", () => resolve(s));
    s.once("error", (err: NodeJS.ErrnoException) =>
      reject(err.code === "EADDRINUSE" ? new SlipwayError("PORT_IN_USE", `port ${options.port} on ${options.hostname} is taken`, { hint: "pass --port with a free one" }) : err),
    );
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `${tls === undefined ? "http" : "https"}://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        api.closeStreams();
        // Connections go idle as their requests (and the ended event streams) finish: close
        // them as they do, so keep-alive does not hold close() open; requests still in flight
        // after CLOSE_GRACE_MS are cut.
        const sockets = server as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
        const sweep = setInterval(() => sockets.closeIdleConnections?.(), 50);
        const cut = setTimeout(() => sockets.closeAllConnections?.(), CLOSE_GRACE_MS);
        server.close(() => {
          clearInterval(sweep);
          clearTimeout(cut);
          resolve();
        });
        sockets.closeIdleConnections?.();
      }),
  };
}

function readTls(files: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new SlipwayError("USAGE", `cannot read the TLS ${what} ${file}: ${(err as Error).message}`, { hint: "--cert and --key take PEM files" });
    }
  };
  return { cert: read(files.cert, "certificate"), key: read(files.key, "key") };
}
