// The container-test stage against the real Docker Engine: two tiny images
// are built here from generated contexts (a Python http.server, and the same
// with a bad entry point), run, probed and tested. After every run nothing
// labelled with its run id may be left: no container, no network.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer as createHttpServer } from "node:http";
import { createServer as createTcpServer, type AddressInfo, type Server } from "node:net";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { type ServiceConfig, type ServiceConfigInput, ServiceConfigSchema } from "../../src/domain/config-schema.js";
import { type ContainerTestOptions, type ContainerTestReport, runContainerTests } from "../../src/pipeline/container-test.js";
import { httpGetProbe, tcpConnectProbe } from "../../src/runtime/probes.js";

const engine = new DockerEngine();
const docker = engine.api;
const suffix = randomBytes(3).toString("hex");
const ECHO_IMAGE = `slipway-e2e/ct-echo:${suffix}`;
const BAD_ENTRY_IMAGE = `slipway-e2e/ct-bad-entry:${suffix}`;
const TEST_IMAGE = "python:3.11-slim-bookworm";
const workDir = mkdtempSync(join(tmpdir(), "slipway-ct-e2e-"));

// Answers /healthz, /version (with its memory limit as the kernel sees it), /token, and POST echoes.
const serverPy = `
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer
TOKEN = os.environ.get("API_TOKEN", "")
print("echo starting, token " + TOKEN, flush=True)  # a careless service that logs its secret
def memory_limit():
    return open("/sys/fs/cgroup/memory/memory.limit_in_bytes").read().strip() if os.path.exists("/sys/fs/cgroup/memory/memory.limit_in_bytes") else open("/sys/fs/cgroup/memory.max").read().strip()
class Handler(BaseHTTPRequestHandler):
    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status); self.send_header("Content-Type", "application/json"); self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    def do_GET(self):
        routes = {"/healthz": lambda: {"status": "ok"}, "/token": lambda: {"token": TOKEN},
                  "/version": lambda: {"service": "echo", "version": os.environ.get("VERSION", "0.0.0"), "build": {"tags": ["e2e", "python"]}, "memoryLimit": memory_limit()}}
        self.reply(200, routes[self.path]()) if self.path in routes else self.reply(404, {"error": "no route for " + self.path})
    def do_POST(self):
        self.reply(201, {"echo": self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode(), "header": self.headers.get("X-Test")})
HTTPServer(("", int(os.environ.get("PORT", "8080"))), Handler).serve_forever()
`;

async function buildImage(tag: string, cmd: readonly string[]): Promise<void> {
  const context = mkdtempSync(join(workDir, "context-"));
  writeFileSync(join(context, "server.py"), serverPy);
  writeFileSync(
    join(context, "Dockerfile"),
    `FROM ${TEST_IMAGE}\nENV PYTHONUNBUFFERED=1\nCOPY server.py /app/server.py\nUSER 65534\nEXPOSE 8080\nCMD ${JSON.stringify(cmd)}\n`,
  );
  const stream = await docker.buildImage({ context, src: ["Dockerfile", "server.py"] }, { t: tag, rm: true, forcerm: true, labels: { "org.slipway.e2e": suffix } });
  const events = await new Promise<{ error?: string; errorDetail?: { message?: string } }[]>((resolve, reject) =>
    docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[]) => (err ? reject(err) : resolve(output))),
  );
  const failed = events.find((e) => e.error !== undefined);
  assert.equal(failed, undefined, `building ${tag} failed: ${failed?.error}`);
}

function service(overrides: Partial<ServiceConfigInput>): ServiceConfig {
  return ServiceConfigSchema.parse({
    name: "echo",
    owners: ["e2e"],
    build: { image: TEST_IMAGE },
    port: 8080,
    readiness: { http: { path: "/healthz" }, periodSeconds: 0.25, timeoutSeconds: 1 },
    env: { VERSION: "1.2.3" },
    ...overrides,
  });
}

let runNumber = 0;

/** One stage run with its own run id and log file; checks that it left nothing behind. */
async function run(options: Partial<ContainerTestOptions> & { service: ServiceConfig }): Promise<{ report: ContainerTestReport; log: string; runId: string; ms: number }> {
  const runId = `e2e-${suffix}-${++runNumber}`;
  const logFile = join(workDir, `${runId}.log`);
  const started = performance.now();
  const report = await runContainerTests({ engine, image: ECHO_IMAGE, system: "e2e", runId, logFile, signal: new AbortController().signal, hostEnv: {}, ...options });
  const ms = performance.now() - started;
  assert.deepEqual(await leftovers(runId), { containers: [], networks: [] });
  return { report, log: readFileSync(logFile, "utf8"), runId, ms };
}

async function leftovers(runId: string): Promise<{ containers: string[]; networks: string[] }> {
  const filters = { label: [`org.slipway.run=${runId}`] };
  const containers = await docker.listContainers({ all: true, filters });
  const networks = await docker.listNetworks({ filters });
  return { containers: containers.flatMap((c) => c.Names), networks: networks.map((n) => n.Name) };
}

before(async () => {
  await buildImage(ECHO_IMAGE, ["python3", "/app/server.py"]);
  await buildImage(BAD_ENTRY_IMAGE, ["python3", "/app/missing.py"]);
});

after(async () => {
  for (const image of [ECHO_IMAGE, BAD_ENTRY_IMAGE]) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
  rmSync(workDir, { recursive: true, force: true });
});

describe("container-test stage", () => {
  it("passes a good image: status, JSON paths, bodyContains, method, headers, body and resource limits", async () => {
    const { report, log } = await run({
      service: service({
        resources: { memory: "64Mi", cpus: 0.5 },
        containerTests: [
          { name: "health", http: { path: "/healthz", expect: { status: 200, json: { $: { status: "ok" }, "$.status": "ok" } } } },
          {
            name: "version",
            http: {
              path: "/version",
              expect: { json: { "$.version": "1.2.3", "$.build.tags[1]": "python", "$['build']": { tags: ["e2e", "python"] }, "$.memoryLimit": "67108864" }, bodyContains: '"service": "echo"' },
            },
          },
          { name: "echo", http: { method: "POST", path: "/echo", headers: { "X-Test": "yes" }, body: "hello", expect: { status: 201, json: { "$.echo": "hello", "$.header": "yes" } } } },
        ],
      }),
    });
    assert.equal(report.passed, true, JSON.stringify(report, null, 2));
    assert.equal(report.failure, undefined);
    assert.deepEqual(report.logTail, []);
    assert.deepEqual(
      report.results.map((r) => [r.name, r.passed]),
      [
        ["health", true],
        ["version", true],
        ["echo", true],
      ],
    );
    assert.ok(report.readyAfterMs !== undefined && report.readyAfterMs < 10_000, `readyAfterMs ${report.readyAfterMs}`);
    assert.match(log, /\[echo stdout\] echo starting/);
    assert.match(log, /\[echo stderr\] .*"GET \/version HTTP\/1\.1" 200/);
    assert.match(log, /test version: passed: GET \/version → 200/);
    assert.match(log, /removed 1 container and 0 networks/);
  });

  it("fails on an unmet expectation and says which test, expected and got", async () => {
    const { report, log } = await run({
      service: service({
        containerTests: [
          { name: "health", http: { path: "/healthz" } },
          { name: "version", http: { path: "/version", expect: { json: { "$.version": "9.9.9", "$.build.sha": "abc" }, bodyContains: "nightly" } } },
          { name: "missing-route", http: { path: "/nope", expect: { status: 200 } } },
        ],
      }),
    });
    assert.equal(report.passed, false);
    assert.deepEqual(
      report.results.map((r) => [r.name, r.passed]),
      [
        ["health", true],
        ["version", false],
        ["missing-route", false],
      ],
    );
    const version = report.results[1]?.detail ?? "";
    assert.match(version, /\$\.version: expected "9\.9\.9", got "1\.2\.3"/);
    assert.match(version, /\$\.build\.sha: expected "abc", got nothing \(\$\.build has no key "sha" \(it has tags\)\)/);
    assert.match(version, /body: expected it to contain "nightly", got /);
    assert.match(report.results[2]?.detail ?? "", /status: expected 200, got 404 \(body: .*no route for \/nope/);
    assert.match(report.failure ?? "", /^2 of 3 container tests failed: version \(GET \/version: \$\.version: expected "9\.9\.9", got "1\.2\.3"/);
    assert.ok(report.logTail.length > 0 && report.logTail.length <= 20);
    assert.ok(report.logTail.some((l) => l.includes("test missing-route: FAILED")), report.logTail.join("\n"));
    assert.match(log, /test version: FAILED/);
  });

  it("fails a bad entry point at once, with the exit code and the container's own error in the log tail", async () => {
    const { report, ms } = await run({
      image: BAD_ENTRY_IMAGE,
      service: service({ readiness: { http: { path: "/healthz" }, initialDelaySeconds: 5, periodSeconds: 5 }, containerTests: [{ name: "health", http: { path: "/healthz" } }] }),
    });
    assert.equal(report.passed, false);
    assert.match(report.failure ?? "", /the container exited with code 2 before it became ready; check the image's entry point/);
    assert.ok(
      report.logTail.some((l) => /\[echo stderr\] python3: can't open file '\/app\/missing\.py': \[Errno 2\] No such file or directory/.test(l)),
      report.logTail.join("\n"),
    );
    assert.deepEqual(report.results, []);
    assert.ok(ms < 5000, `took ${ms} ms; the exit should end the wait before the initial delay`);
  });

  it("fails a service that never becomes ready at the deadline, with the probe's last answer", async () => {
    const { report, ms, log } = await run({
      readinessDeadlineMs: 2500,
      service: service({ readiness: { http: { path: "/not-there" }, periodSeconds: 0.3, failureThreshold: 2 } }),
    });
    assert.equal(report.passed, false);
    assert.match(report.failure ?? "", /^not ready within 2\.5s: \d+ probes \(http GET :8080\/not-there\) failed; the last said: HTTP 404$/);
    assert.ok(ms >= 2400 && ms < 8000, `took ${ms} ms`);
    assert.match(log, /failureThreshold 2 reached: not ready, probing goes on until the deadline/);
    assert.ok(report.logTail.some((l) => /probe \d+ at .*: failed \(HTTP 404\)/.test(l)));
  });

  it("runs a tcp probe through the published port, and does not take Docker's port proxy for a listener", async () => {
    const good = await run({ service: service({ readiness: { tcp: {}, periodSeconds: 0.25 } }) });
    assert.equal(good.report.passed, true, JSON.stringify(good.report, null, 2));

    // The server listens on 9999, so nothing listens on 8080 behind the proxy.
    const wrongPort = await run({ readinessDeadlineMs: 2000, service: service({ env: { PORT: "9999" }, readiness: { tcp: {}, periodSeconds: 0.25 } }) });
    assert.equal(wrongPort.report.passed, false);
    assert.match(wrongPort.report.failure ?? "", /not ready within 2s: .* the last said: connection closed at once: nothing listens on the port in the container/);
  });

  it("runs an exec probe inside the container", async () => {
    const probe = ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz')"];
    const { report, log } = await run({ service: service({ readiness: { exec: { command: probe }, periodSeconds: 0.25, timeoutSeconds: 3 } }) });
    assert.equal(report.passed, true, JSON.stringify(report, null, 2));
    assert.match(log, /readiness: exec \["python3","-c",/);
  });

  it("runs command tests in a test image on the run's network, with SLIPWAY_TARGET_URL, a timeout and their output kept", async () => {
    const fetchVersion = "import json, os, urllib.request; v = json.load(urllib.request.urlopen(os.environ['SLIPWAY_TARGET_URL'] + '/version'))";
    const { report, log } = await run({
      service: service({
        containerTests: [
          { name: "smoke", command: { image: TEST_IMAGE, run: ["python3", "-c", `${fetchVersion}; print('saw version', v['version'], 'at', os.environ['SLIPWAY_TARGET_URL'])`] } },
          { name: "strict", command: { image: TEST_IMAGE, run: ["python3", "-c", `${fetchVersion}; import sys; sys.exit('expected 2.0.0, saw ' + v['version'])`] } },
          { name: "slow", timeoutSeconds: 1, command: { image: TEST_IMAGE, run: ["sleep", "30"] } },
          { name: "both", http: { path: "/healthz" }, command: { image: TEST_IMAGE, run: ["true"] } },
          { name: "no-image", command: { image: "slipway-e2e/not-built:never", run: ["true"] } },
        ],
      }),
    });
    assert.deepEqual(
      report.results.map((r) => [r.name, r.passed]),
      [
        ["smoke", true],
        ["strict", false],
        ["slow", false],
        ["both", true],
        ["no-image", false],
      ],
    );
    assert.match(log, /\[test smoke stdout\] saw version 1\.2\.3 at http:\/\/e2e-echo-ct-e2e-[0-9a-f]+-\d+:8080/);
    assert.match(report.results[1]?.detail ?? "", /exited with code 1; its last output: expected 2\.0\.0, saw 1\.2\.3/);
    assert.match(log, /\[test strict stderr\] expected 2\.0\.0, saw 1\.2\.3/);
    assert.match(report.results[2]?.detail ?? "", /sleep 30 in python:3\.11-slim-bookworm: did not finish within 1s/);
    assert.match(report.results[3]?.detail ?? "", /^GET \/healthz → 200; true in python:3\.11-slim-bookworm exited with code 0$/);
    assert.match(report.results[4]?.detail ?? "", /the test image is not in the engine; build or pull slipway-e2e\/not-built:never first/);
    assert.ok((report.results[2]?.durationMs ?? 0) < 5000);
  });

  it("on abort mid-readiness rejects and leaves no container and no network", async () => {
    const runId = `e2e-${suffix}-abort`;
    const controller = new AbortController();
    const pending = runContainerTests({
      engine,
      image: ECHO_IMAGE,
      system: "e2e",
      runId,
      logFile: join(workDir, `${runId}.log`),
      signal: controller.signal,
      hostEnv: {},
      service: service({
        readiness: { http: { path: "/never" }, periodSeconds: 0.25 },
        containerTests: [{ name: "smoke", command: { image: TEST_IMAGE, run: ["true"] } }],
      }),
    });
    pending.catch(() => undefined);
    // Abort once the service runs and is being probed.
    for (let i = 0; i < 100; i++) {
      const running = await docker.listContainers({ filters: { label: [`org.slipway.run=${runId}`], status: ["running"] } });
      if (running.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const before = await leftovers(runId);
    assert.equal(before.containers.length, 1, "the service's container should be running");
    assert.equal(before.networks.length, 1, "the run's network should exist");
    await new Promise((resolve) => setTimeout(resolve, 500));
    controller.abort(new Error("cancelled by the user"));
    await assert.rejects(pending, /cancelled by the user/);
    assert.deepEqual(await leftovers(runId), { containers: [], networks: [] });
    assert.match(readFileSync(join(workDir, `${runId}.log`), "utf8"), /cancelled; removing what this stage created/);
  });

  it("never writes a fromEnv secret into the log or the report, even when the service prints it", async () => {
    const secret = `s3cr3t-${randomBytes(8).toString("hex")}`;
    const { report, log } = await run({
      hostEnv: { E2E_API_TOKEN: secret },
      service: service({
        env: { VERSION: "1.2.3", API_TOKEN: { fromEnv: "E2E_API_TOKEN" } },
        containerTests: [{ name: "token", http: { path: "/token", expect: { json: { "$.token": "wrong" }, bodyContains: "nothing-like-this" } } }],
      }),
    });
    assert.equal(report.passed, false);
    assert.match(report.results[0]?.detail ?? "", /\$\.token: expected "wrong", got "\*\*\*\*"/);
    assert.match(log, /\[echo stdout\] echo starting, token \*\*\*\*/);
    assert.ok(!log.includes(secret), "the secret is in the log file");
    assert.ok(!JSON.stringify(report).includes(secret), "the secret is in the report");
  });

  it("refuses to start when a fromEnv variable is not set, naming the service and the variable", async () => {
    const runId = `e2e-${suffix}-noenv`;
    await assert.rejects(
      runContainerTests({
        engine,
        image: ECHO_IMAGE,
        system: "e2e",
        runId,
        logFile: join(workDir, `${runId}.log`),
        signal: new AbortController().signal,
        hostEnv: {},
        service: service({ env: { API_TOKEN: { fromEnv: "E2E_UNSET_TOKEN" } } }),
      }),
      (err: unknown) => err instanceof Error && /service "echo": env\.API_TOKEN reads E2E_UNSET_TOKEN/.test(err.message),
    );
    assert.deepEqual(await leftovers(runId), { containers: [], networks: [] });
  });
});

describe("probes against loopback servers", () => {
  async function listen(server: Server): Promise<number> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return (server.address() as AddressInfo).port;
  }

  it("http: 200–399 is ready, redirects are not followed, 4xx/5xx and silence are not", async () => {
    const server = createHttpServer((req, res) => {
      if (req.url === "/slow") return; // never answers
      const status = Number(req.url?.slice(1));
      res.writeHead(status, status === 302 ? { location: "/500" } : {}).end();
    });
    const port = await listen(server);
    try {
      const probe = (path: string) => httpGetProbe(`http://127.0.0.1:${port}${path}`)(300);
      assert.deepEqual(await probe("/200"), { ok: true, detail: "HTTP 200" });
      assert.deepEqual(await probe("/302"), { ok: true, detail: "HTTP 302" });
      assert.deepEqual(await probe("/399"), { ok: true, detail: "HTTP 399" });
      assert.deepEqual(await probe("/404"), { ok: false, detail: "HTTP 404" });
      assert.deepEqual(await probe("/503"), { ok: false, detail: "HTTP 503" });
      assert.deepEqual(await probe("/slow"), { ok: false, detail: "no answer within 300 ms" });
    } finally {
      server.closeAllConnections();
      server.close();
    }
    assert.deepEqual(await httpGetProbe(`http://127.0.0.1:${port}/200`)(300), { ok: false, detail: "connection refused" });
  });

  it("tcp: a listener that keeps the connection is ready; one that closes at once, like Docker's proxy with nothing behind it, is not", async () => {
    const keeps = createTcpServer(() => undefined);
    const closes = createTcpServer((socket) => socket.destroy());
    const [keepPort, closePort] = [await listen(keeps), await listen(closes)];
    try {
      assert.deepEqual(await tcpConnectProbe("127.0.0.1", keepPort)(1000), { ok: true, detail: "connected" });
      assert.equal((await tcpConnectProbe("127.0.0.1", closePort)(1000)).ok, false);
    } finally {
      keeps.close();
      closes.close();
    }
    assert.deepEqual(await tcpConnectProbe("127.0.0.1", keepPort)(1000), { ok: false, detail: "connection refused" });
  });
});
