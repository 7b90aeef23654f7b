// The Docker runtime against the real engine. A tiny service image is built
// here: a Python http.server that answers /healthz, finishes requests in
// flight on SIGTERM and exits 0, and (by MODE) crashes at start or ignores
// SIGTERM. Instances are created, listed, probed and removed through the
// runtime port only; the engine is asked directly just to check what the
// runtime did. Everything labelled with this run's system is removed at the end.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { sweepOrphans } from "../../src/docker/orphans.js";
import type { ReadinessProbe } from "../../src/domain/config-schema.js";
import { SlipwayError } from "../../src/domain/errors.js";
import { DockerRuntime } from "../../src/runtime/docker/docker-runtime.js";
import type { Instance, InstanceSpec } from "../../src/runtime/types.js";

const engine = new DockerEngine();
const docker = engine.api;
const runtime = new DockerRuntime(engine);
const suffix = randomBytes(3).toString("hex");
const SYSTEM = `e2e-rt-${suffix}`;
const IMAGE = `slipway-e2e/rt-service:${suffix}`;
const workDir = mkdtempSync(join(tmpdir(), "slipway-rt-e2e-"));

const serverPy = `
import os, sys
MODE = os.environ.get("MODE", "serve")
if MODE == "crash":
    print("crashing on purpose", flush=True); sys.exit(3)
import signal, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/exit": print("exiting with code 1 on request", flush=True); os._exit(1)
        if self.path.startswith("/slow"): time.sleep(float(self.path.partition("=")[2] or "1"))
        found = self.path == "/healthz" or self.path.startswith("/slow")
        body = (os.environ.get("REVISION", "?") if found else "no route").encode()
        self.send_response(200 if found else 404); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args): pass
class Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() waits for the requests in flight
server = Server(("", 8080), Handler)
def on_sigterm(signum, frame):
    if MODE == "ignore-sigterm": print("ignoring SIGTERM", flush=True); return
    print("shutting down", flush=True); threading.Thread(target=server.shutdown).start()
signal.signal(signal.SIGTERM, on_sigterm)
print("listening on 8080", flush=True)
server.serve_forever(poll_interval=0.1); server.server_close(); print("bye", flush=True)
`;

const httpProbe = (path = "/healthz"): ReadinessProbe => ({ http: { path }, initialDelaySeconds: 0, periodSeconds: 0.2, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });

function spec(service: string, revision: string, overrides: Partial<InstanceSpec> = {}): InstanceSpec {
  return {
    system: SYSTEM,
    environment: "test",
    service,
    revision,
    image: IMAGE,
    port: 8080,
    env: { REVISION: revision },
    resources: { memory: "64Mi", cpus: 0.5 },
    readiness: httpProbe(),
    terminationGracePeriodSeconds: 5,
    ...overrides,
  };
}

async function buildImage(): Promise<void> {
  const context = mkdtempSync(join(workDir, "context-"));
  writeFileSync(join(context, "server.py"), serverPy);
  writeFileSync(join(context, "Dockerfile"), `FROM python:3.11-slim-bookworm\nCOPY server.py /app/server.py\nUSER 65534\nEXPOSE 8080\nCMD ["python", "-u", "/app/server.py"]\n`);
  const stream = await docker.buildImage({ context, src: ["Dockerfile", "server.py"] }, { t: IMAGE, rm: true, forcerm: true, labels: { "org.slipway.e2e": suffix } });
  const events = await new Promise<{ error?: string }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => (err ? reject(err) : resolve(output))),
  );
  const failed = events.find((e) => e.error !== undefined);
  assert.equal(failed, undefined, `building ${IMAGE} failed: ${failed?.error}`);
}

async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const giveUpAt = performance.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (performance.now() > giveUpAt) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Follows a container until it is removed: its exit code and everything it printed. */
async function followUntilRemoved(id: string): Promise<{ exitCode: Promise<number>; output: () => string }> {
  const container = docker.getContainer(id);
  const removed = container.wait({ condition: "removed" }) as Promise<{ StatusCode: number }>;
  const stream = await container.attach({ stream: true, stdout: true, stderr: true, logs: true });
  let text = "";
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString("utf8");
      done();
    },
  });
  docker.modem.demuxStream(stream, sink, sink);
  return { exitCode: removed.then((r) => r.StatusCode), output: () => text };
}

async function inspect(instance: Instance): Promise<{ RestartCount: number; State: { Running: boolean; Restarting: boolean }; HostConfig: Record<string, unknown>; Config: Record<string, unknown> }> {
  return docker.getContainer(instance.id).inspect() as unknown as ReturnType<typeof inspect>;
}

before(buildImage);

after(async () => {
  const leftovers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`org.slipway.system=${SYSTEM}`] }) });
  await Promise.all(leftovers.map((c) => docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined)));
  await docker.getImage(IMAGE).remove({ force: true }).catch(() => undefined);
  rmSync(workDir, { recursive: true, force: true });
});

describe("DockerRuntime", () => {
  const web: Record<"r1" | "r2", Instance[]> = { r1: [], r2: [] };

  it("creates instances as labelled containers on loopback and lists them by service and revision", async (t) => {
    const started = performance.now();
    const created = await Promise.all([runtime.createInstance(spec("web", "r1")), runtime.createInstance(spec("web", "r1")), runtime.createInstance(spec("web", "r2"))]);
    t.diagnostic(`3 instances created in ${Math.round(performance.now() - started)} ms`);
    web.r1 = created.slice(0, 2);
    web.r2 = created.slice(2);

    for (const instance of created) {
      assert.match(instance.name, new RegExp(`^${SYSTEM}-test-web-${instance.revision}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      assert.equal(instance.address.host, "127.0.0.1");
      assert.ok(instance.address.port > 0);
      assert.notEqual(instance.phase, "exited");
    }
    assert.equal(new Set(created.map((i) => i.address.port)).size, 3, "every instance has its own port");

    const all = await runtime.listInstances({ system: SYSTEM, environment: "test", service: "web" });
    assert.deepEqual(all.map((i) => i.id).sort(), created.map((i) => i.id).sort());
    const r1 = await runtime.listInstances({ system: SYSTEM, environment: "test", service: "web", revision: "r1" });
    assert.deepEqual(r1.map((i) => i.name).sort(), web.r1.map((i) => i.name).sort());
    assert.deepEqual((await runtime.listInstances({ system: SYSTEM, environment: "test", service: "web", revision: "r2" })).map((i) => i.id), [web.r2[0]?.id]);
    assert.deepEqual(await runtime.listInstances({ system: SYSTEM, environment: "other" }), []);
    for (const listed of all) assert.deepEqual({ ...listed, phase: "running" }, { ...created.find((c) => c.id === listed.id), phase: "running" });
  });

  it("becomes ready through its http probe within about 2 s, and serves on its address with its env", async (t) => {
    const instances = [...web.r1, ...web.r2];
    const outcomes = await Promise.all(instances.map((i) => runtime.waitReady(i, httpProbe(), 10_000)));
    t.diagnostic(`ready after ${outcomes.map((o) => `${Math.round(o.afterMs)} ms`).join(", ")}`);
    for (const outcome of outcomes) {
      assert.equal(outcome.ready, true, outcome.detail);
      assert.ok(outcome.afterMs < 3000, `${outcome.afterMs} ms`); // about 2 s at most; the machine may be busy
    }
    for (const instance of instances) {
      const res = await fetch(`http://127.0.0.1:${instance.address.port}/healthz`);
      assert.equal(await res.text(), instance.revision);
    }
    assert.equal((await runtime.listInstances({ system: SYSTEM, environment: "test", service: "web" })).every((i) => i.phase === "running"), true);
  });

  it("carries labels, restart policy, limits and the stop signal, and no pid: the orphan sweep leaves it alone", async () => {
    const instance = web.r2[0];
    assert.ok(instance);
    const details = await inspect(instance);
    const labels = details.Config["Labels"] as Record<string, string>;
    assert.deepEqual(
      Object.fromEntries(["system", "environment", "service", "revision", "purpose", "port"].map((key) => [key, labels[`org.slipway.${key}`]])),
      { system: SYSTEM, environment: "test", service: "web", revision: "r2", purpose: "instance", port: "8080" },
    );
    assert.equal(labels["org.slipway.pid"], undefined);
    assert.equal(details.HostConfig["Memory"], 64 * 1024 * 1024);
    assert.equal(details.HostConfig["NanoCpus"], 500_000_000);
    assert.deepEqual(details.HostConfig["RestartPolicy"], { Name: "unless-stopped", MaximumRetryCount: 0 });
    assert.deepEqual(details.HostConfig["PortBindings"], { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(instance.address.port) }] });
    assert.equal(details.Config["StopSignal"], "SIGTERM");
    assert.equal(details.Config["StopTimeout"], 5);

    assert.equal(await sweepOrphans(engine, SYSTEM), 0);
    assert.equal((await runtime.listInstances({ system: SYSTEM, environment: "test", service: "web" })).length, 3);
  });

  it("probes once with http, tcp and exec", async () => {
    const instance = web.r2[0];
    assert.ok(instance);
    // Generous timeouts: an exec starts a Python in a container limited to half a CPU, on a machine other tests share.
    const probe = (kind: Partial<ReadinessProbe>): ReadinessProbe => ({ ...httpProbe(), http: undefined, timeoutSeconds: 5, ...kind });
    assert.equal(await runtime.probeOnce(instance, httpProbe()), true);
    assert.equal(await runtime.probeOnce(instance, httpProbe("/missing")), false);
    assert.equal(await runtime.probeOnce(instance, probe({ tcp: {} })), true);
    const fetchHealth = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')";
    assert.equal(await runtime.probeOnce(instance, probe({ exec: { command: ["python", "-c", fetchHealth] } })), true);
    assert.equal(await runtime.probeOnce(instance, probe({ exec: { command: ["false"] } })), false);
  });

  it("gives the last lines of an instance's output", async () => {
    const instance = web.r2[0];
    assert.ok(instance);
    assert.equal(await runtime.logs(instance, 1), "listening on 8080");
    assert.equal(await runtime.logs(instance, 0), "");
  });

  it("reports an instance whose probe never passes as not ready at the deadline", async (t) => {
    const instance = await runtime.createInstance(spec("never", "r1", { readiness: httpProbe("/missing") }));
    const outcome = await runtime.waitReady(instance, httpProbe("/missing"), 1500);
    t.diagnostic(`gave up after ${Math.round(outcome.afterMs)} ms: ${outcome.detail}`);
    assert.equal(outcome.ready, false);
    assert.ok(outcome.afterMs >= 1400 && outcome.afterMs < 2500, `${outcome.afterMs} ms`);
    assert.match(outcome.detail ?? "", /not ready within 1\.5s: \d+ probes \(http GET :8080\/missing\); the last said: HTTP 404/);
  });

  it("reports a crashing instance dead at once, as exited, and its restart policy restarts it", async (t) => {
    const instance = await runtime.createInstance(spec("crash", "r1", { env: { MODE: "crash" } }));
    const outcome = await runtime.waitReady(instance, httpProbe(), 20_000);
    t.diagnostic(`ended after ${Math.round(outcome.afterMs)} ms: ${outcome.detail}`);
    assert.equal(outcome.ready, false);
    // At once: within a liveness check (0.5 s) of the crash, which itself waits for Python to start; the deadline is 20 s.
    assert.ok(outcome.afterMs < 3000, `${outcome.afterMs} ms`);
    assert.match(outcome.detail ?? "", /exited with code 3|crashed and was restarted/);

    const exited = await eventually("listed as exited", async () => {
      const [listed] = await runtime.listInstances({ system: SYSTEM, environment: "test", service: "crash" });
      return listed?.phase === "exited" ? listed : undefined;
    });
    assert.equal(exited.exitCode, 3);
    assert.equal(exited.address.port, 0);
    const restarts = await eventually("restarted", async () => ((await inspect(instance)).RestartCount >= 1 ? (await inspect(instance)).RestartCount : undefined));
    t.diagnostic(`restart count ${restarts}`);
    assert.match(await runtime.logs(instance, 50), /crashing on purpose/);
  });

  it("restarts an instance whose process exits non-zero, on the same address", async (t) => {
    const instance = await runtime.createInstance(spec("restarts", "r1"));
    assert.equal((await runtime.waitReady(instance, httpProbe(), 10_000)).ready, true);
    await fetch(`http://127.0.0.1:${instance.address.port}/exit`).catch(() => undefined);
    const started = performance.now();
    await eventually("restarted and running", async () => {
      const details = await inspect(instance);
      // While the engine waits to restart it, Running is true too; Restarting tells the two apart.
      return details.RestartCount >= 1 && details.State.Running && !details.State.Restarting ? true : undefined;
    });
    const again = await runtime.waitReady(instance, httpProbe(), 10_000);
    t.diagnostic(`running again and ready ${Math.round(performance.now() - started)} ms after it exited`);
    assert.equal(again.ready, true, again.detail);
    const [listed] = await runtime.listInstances({ system: SYSTEM, environment: "test", service: "restarts" });
    assert.deepEqual(listed?.address, instance.address);
    assert.equal(await (await fetch(`http://127.0.0.1:${instance.address.port}/healthz`)).text(), "r1");
  });

  it("removes an instance gracefully: SIGTERM, the request in flight completes, exit 0, well within the grace period", async (t) => {
    const instance = web.r1[0];
    assert.ok(instance);
    const followed = await followUntilRemoved(instance.id);
    const slow = fetch(`http://127.0.0.1:${instance.address.port}/slow?seconds=1`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    await runtime.removeInstance(instance, 5);
    const elapsed = performance.now() - started;
    t.diagnostic(`removed in ${Math.round(elapsed)} ms with a 1 s request in flight (grace 5 s)`);

    const answer = await slow;
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), "r1");
    assert.equal(await followed.exitCode, 0);
    assert.match(followed.output(), /shutting down\n(.|\n)*bye/);
    assert.ok(elapsed >= 600 && elapsed < 5000, `${elapsed} ms`);
    assert.deepEqual((await runtime.listInstances({ system: SYSTEM, environment: "test", service: "web", revision: "r1" })).map((i) => i.id), [web.r1[1]?.id]);
    await runtime.removeInstance(instance, 5); // already gone: nothing to do
  });

  it("kills an instance that ignores SIGTERM when the grace period is over", async (t) => {
    const instance = await runtime.createInstance(spec("stubborn", "r1", { env: { MODE: "ignore-sigterm" } }));
    assert.equal((await runtime.waitReady(instance, httpProbe(), 10_000)).ready, true);
    const followed = await followUntilRemoved(instance.id);
    const started = performance.now();
    await runtime.removeInstance(instance, 2);
    const elapsed = performance.now() - started;
    t.diagnostic(`removed in ${Math.round(elapsed)} ms (grace 2 s)`);
    // The engine waits the whole grace period, then kills; the rest is the engine's own work (slower when the machine is busy).
    assert.ok(elapsed >= 1900 && elapsed < 4500, `${elapsed} ms`);
    assert.equal(await followed.exitCode, 137);
    assert.match(followed.output(), /ignoring SIGTERM/);
    assert.doesNotMatch(followed.output(), /bye/);
  });

  it("refuses an image the engine does not have, naming it, pulling nothing and leaving nothing", async () => {
    const absent = `slipway-e2e/absent:${suffix}`;
    await assert.rejects(runtime.createInstance(spec("absent", "r1", { image: absent })), (err: unknown) => {
      assert.ok(err instanceof SlipwayError);
      assert.match(err.message, new RegExp(`image ${absent} is not in Docker Engine, and the runtime never pulls`));
      assert.match(err.hint ?? "", /docker pull/);
      return true;
    });
    assert.equal(await engine.imageExists(absent), false);
    assert.deepEqual(await runtime.listInstances({ system: SYSTEM, environment: "test", service: "absent" }), []);
  });

  it("creates nothing when cancelled", async () => {
    const controller = new AbortController();
    controller.abort(new Error("cancelled by the test"));
    await assert.rejects(runtime.createInstance(spec("cancelled", "r1"), controller.signal), /cancelled by the test/);
    assert.deepEqual(await runtime.listInstances({ system: SYSTEM, environment: "test", service: "cancelled" }), []);
  });

  it("removes every remaining instance, also ones that already exited", async () => {
    const remaining = await runtime.listInstances({ system: SYSTEM, environment: "test" });
    assert.ok(remaining.length >= 4);
    await Promise.all(remaining.map((i) => runtime.removeInstance(i, 1)));
    assert.deepEqual(await runtime.listInstances({ system: SYSTEM, environment: "test" }), []);
  });
});
