// A tiny Python HTTP service for e2e tests: the server's frame (listens on
// $PORT bound to $HOST, stops on SIGTERM), an image of it built from
// python:3.11-slim-bookworm and pushed to a registry, the slipway.yaml of
// a scratch system, the service fields of a hello that turns ready fast, and
// what is left to remove after `slipway down`. Tests write only what their
// handler answers.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { DockerEngine } from "../../src/docker/engine.js";
import { pushImage } from "../../src/docker/image-push.js";
import type { CliResult } from "./helpers.js";

/** server.py around `doGet`: the body of do_GET, which sets `status` and `body` (bytes); `prelude` runs first. */
export function pythonServer(prelude: string, doGet: string): string {
  const indented = doGet
    .trim()
    .split("\n")
    .map((line) => `        ${line}`)
    .join("\n");
  return `import os, signal, threading, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
${prelude.trim()}
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
${indented}
        self.send_response(status); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
class Server(ThreadingHTTPServer):
    daemon_threads = True
server = Server((os.environ.get("HOST", ""), int(os.environ.get("PORT", "8080"))), Handler)
signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
server.serve_forever(poll_interval=0.1); server.server_close()
`;
}

/** Builds the server into `tag` (with `env` baked in) in a fresh folder under `root`, pushes it, and returns the digest. */
export async function buildAndPushPython(engine: DockerEngine, root: string, tag: string, serverPy: string, env: Record<string, string>): Promise<string> {
  const context = mkdtempSync(join(root, "context-"));
  writeFileSync(join(context, "server.py"), serverPy);
  const envLine = Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ");
  writeFileSync(join(context, "Dockerfile"), `FROM python:3.11-slim-bookworm\nENV ${envLine}\nCOPY server.py /app/server.py\nUSER 65534\nCMD ["python", "-u", "/app/server.py"]\n`);
  const stream = await engine.api.buildImage({ context, src: ["Dockerfile", "server.py"] }, { t: tag, rm: true, forcerm: true });
  await new Promise<void>((resolve, reject) => engine.api.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  return pushImage(engine, tag, () => undefined, AbortSignal.timeout(120_000));
}

/** slipway.yaml of a scratch system on loopback registries; each environment is a YAML flow mapping such as `{ name: test, registry: dev }`. */
export function systemYaml(system: string, registries: { dev: number; prod: number }, environments: readonly string[]): string {
  return [
    `system: ${system}`,
    "registries:",
    `  dev: { url: 127.0.0.1:${registries.dev} }`,
    `  prod: { url: 127.0.0.1:${registries.prod} }`,
    "environments:",
    ...environments.map((e) => `  - ${e}`),
    "services: [services/*]",
    "",
  ].join("\n");
}

/** writeScratchService fields of a hello on endpoint port 1910 that turns ready fast: one replica, readiness every 0.2 s, a 2 s grace period. */
export const quickHelloFields = {
  endpoint: "{ port: 1910 }",
  readiness: "{ http: { path: /healthz }, periodSeconds: 0.2, failureThreshold: 2 }",
  replicas: 1,
  terminationGracePeriodSeconds: 2,
};

/** What a scratch system on Docker leaves after `slipway down`: its containers (by label), the images pushed for it, its folder. */
export async function removeScratchSystem(engine: DockerEngine, system: string, imageTags: readonly string[], root: string): Promise<void> {
  for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${system}`] } })) await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  for (const tag of imageTags) await engine.api.getImage(tag).remove({ force: true }).catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
}

export interface VersionedHello {
  root: string;
  system: string;
  registries: { dev: number; prod: number };
  portOffset: number;
  engine: DockerEngine;
  cli: (...args: string[]) => Promise<CliResult>;
  tagOf: (version: string) => string;
}

/**
 * The set-up the fault and repair tests share, once the service is written:
 * slipway.yaml with one environment `test`, `slipway up`, images v1 and v2 of
 * a server answering its version ("ok" on /healthz) pushed to the dev
 * registry, and v1 deployed. Returns the digests by version.
 */
export async function deployVersionedHello(o: VersionedHello): Promise<Map<string, string>> {
  const ok = (result: CliResult, what: string): void => assert.equal(result.code, 0, `${what} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  writeFileSync(join(o.root, "slipway.yaml"), systemYaml(o.system, o.registries, [`{ name: test, registry: dev, portOffset: ${o.portOffset} }`]));
  ok(await o.cli("up"), "slipway up");
  const server = pythonServer('VERSION = os.environ["APP_VERSION"].encode()', 'status, body = 200, (b"ok" if self.path == "/healthz" else VERSION)');
  const digests = new Map<string, string>();
  for (const version of ["v1", "v2"]) digests.set(version, await buildAndPushPython(o.engine, o.root, o.tagOf(version), server, { APP_VERSION: version }));
  ok(await o.cli("deploy", "hello", "--env", "test", "--digest", digests.get("v1") ?? ""), "deploy of v1");
  return digests;
}
