// Analysis against real things on loopback: the web provider against a local
// HTTP server; the prometheus provider against Debian's Prometheus server
// scraping an in-test app (port 12090); the job provider with real containers in Docker Engine; the
// router provider with a fake counter function (the HAProxy adapter is
// another issue). Runs use the real clock with short intervals.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { type ServiceConfigInput, ServiceConfigSchema } from "../../src/domain/config-schema.js";
import { type AnalysisMetric, type AnalysisOutcome, type AnalysisRunOptions, runAnalysis } from "../../src/delivery/analysis/analysis-run.js";
import { analysisMetricsFor, type ProviderDependencies } from "../../src/delivery/analysis/create-provider.js";
import { CommandJobProvider, ContainerJobProvider } from "../../src/delivery/analysis/job-provider.js";
import type { Measurement } from "../../src/delivery/analysis/metric-provider.js";
import { PrometheusMetricProvider } from "../../src/delivery/analysis/prometheus-provider.js";
import { type RevisionCounters, RouterMetricProvider } from "../../src/delivery/analysis/router-provider.js";
import { type RealPrometheus, startPrometheus } from "./real-prometheus.js";

const JOB_IMAGE = "python:3.11-slim-bookworm";
const PROMETHEUS_PORT = 12090;
const system = `e2e-analysis-${randomBytes(3).toString("hex")}`;
const engine = new DockerEngine();

/** A loopback port nothing listens on: taken, then released. */
async function closedPort(): Promise<number> {
  const { server } = await listen(() => undefined);
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

type Handler = (req: IncomingMessage, url: URL, res: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; base: string; requests: URL[] }> {
  const requests: URL[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push(url);
    handler(req, url, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(data) }).end(data);
}

/** Metrics as a user writes them in slipway.service.yaml, through the real schema and provider factory. */
function metricsFromConfig(metrics: NonNullable<ServiceConfigInput["analysis"]>["metrics"], deps: Partial<ProviderDependencies> = {}): AnalysisMetric[] {
  const service = ServiceConfigSchema.parse({ name: "api", owners: ["e2e"], build: { image: "debian:bookworm-slim" }, port: 8080, readiness: { tcp: {} }, analysis: { metrics } });
  const defined = service.analysis?.metrics ?? [];
  return analysisMetricsFor(
    defined.map((m) => m.name),
    defined,
    { system, engine, ...deps },
  );
}

async function analyse(metrics: AnalysisMetric[], overrides: Partial<AnalysisRunOptions> = {}): Promise<{ outcome: AnalysisOutcome; measurements: Measurement[]; ms: number }> {
  const measurements: Measurement[] = [];
  const started = performance.now();
  const outcome = await runAnalysis({ metrics, revision: "r2", stableRevision: "r1", signal: AbortSignal.timeout(60_000), onMeasurement: (m) => void measurements.push(m), ...overrides });
  return { outcome, measurements, ms: performance.now() - started };
}

async function containersLeft(): Promise<string[]> {
  const list = await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${system}`] } });
  return list.flatMap((c) => c.Names);
}

describe("web provider against a local HTTP server", () => {
  let web: Awaited<ReturnType<typeof listen>>;
  let errorRate = 0.002;
  before(async () => {
    web = await listen((req, url, res) => {
      if (req.headers["authorization"] !== "Bearer e2e") return json(res, 401, { error: "who are you?" });
      if (url.pathname === "/health/r2") return json(res, 200, { revision: "r2", checks: { errorRate, "p99 ms": 120 }, samples: [3, 4] });
      if (url.pathname === "/broken") return json(res, 503, { error: "warming up" });
      if (url.pathname === "/html") return void res.writeHead(200, { "content-type": "text/html" }).end("<h1>hi</h1>");
      json(res, 404, { error: "no route" });
    });
  });
  after(() => web.server.close());

  it("reads a value by JSON path, with headers and {{revision}}, and succeeds", async () => {
    const metrics = metricsFromConfig([
      {
        name: "web-error-rate",
        provider: { web: { url: `${web.base}/health/{{revision}}`, jsonPath: "$.checks.errorRate", headers: { Authorization: "Bearer e2e" } } },
        successCondition: "result < 0.01",
        interval: 0.05,
        count: 3,
      },
      { name: "web-p99", provider: { web: { url: `${web.base}/health/{{revision}}`, jsonPath: "$.checks['p99 ms']", headers: { Authorization: "Bearer e2e" } } }, failureCondition: "result > 250", interval: 0.05, count: 2 },
    ]);
    const { outcome, measurements } = await analyse(metrics);
    assert.equal(outcome.phase, "successful", outcome.message);
    assert.equal(measurements.filter((m) => m.metric === "web-error-rate").length, 3);
    assert.equal(measurements[0]?.value, 0.002);
    assert.ok(web.requests.every((u) => u.pathname === "/health/r2"));
  });

  it("fails once the value crosses the condition, within interval × failureLimit", async () => {
    errorRate = 0.2;
    const metrics = metricsFromConfig([
      { name: "web-error-rate", provider: { web: { url: `${web.base}/health/r2`, jsonPath: "$.checks.errorRate", headers: { Authorization: "Bearer e2e" } } }, successCondition: "result < 0.01", interval: 0.2, count: 10, failureLimit: 2 },
    ]);
    const { outcome, measurements, ms } = await analyse(metrics);
    errorRate = 0.002;
    assert.equal(outcome.phase, "failed");
    assert.equal(measurements.length, 3);
    assert.ok(ms >= 400 && ms < 2000, `${ms} ms`);
    assert.equal(outcome.message, 'metric "web-error-rate" is failed: failed (3) > failureLimit (2); last measurement: result 0.2: successCondition result < 0.01 does not hold');
  });

  it("makes a missing path, an error status, non-JSON and a refused connection measurement errors that say why", async () => {
    const cases: [string, string, RegExp][] = [
      [`${web.base}/health/r2`, "$.checks.latency", /\$\.checks\.latency is not in the answer: \$\.checks has no key "latency" \(it has errorRate, p99 ms\)/],
      [`${web.base}/broken`, "$.x", /answered 503 with "\{\\"error\\":\\"warming up\\"\}"/],
      [`${web.base}/html`, "$.x", /answered with "<h1>hi<\/h1>", which is not JSON/],
      [`http://127.0.0.1:${await closedPort()}/metrics`, "$.x", /^GET http:\/\/127\.0\.0\.1:\d+\/metrics: connection refused$/],
    ];
    for (const [url, jsonPath, message] of cases) {
      const metrics = metricsFromConfig([{ name: "web", provider: { web: { url, jsonPath, headers: { Authorization: "Bearer e2e" } } }, successCondition: "result < 1", interval: 0.02, count: 1 }]);
      const { outcome, measurements } = await analyse(metrics);
      assert.equal(outcome.phase, "failed");
      assert.equal(outcome.metrics[0]?.phase, "error");
      assert.equal(measurements.length, 5, "consecutiveErrorLimit 4: the fifth error in a row decides");
      assert.match(measurements[0]?.message ?? "", message);
    }
  });
});

describe("prometheus provider against Debian's Prometheus server", () => {
  let prometheus: RealPrometheus;
  let app: Awaited<ReturnType<typeof listen>>;
  /** What the scraped app exposes per revision: errors and requests, so errors/requests is the error ratio. */
  const counts: Record<string, { errors: number; requests: number }> = { r1: { errors: 1, requests: 100 }, r2: { errors: 11, requests: 1000 } };
  before(async () => {
    app = await listen((_req, url, res) => {
      if (url.pathname !== "/metrics") return json(res, 404, {});
      const lines = Object.entries(counts).flatMap(([revision, c]) => [`slipway_e2e_errors{revision="${revision}"} ${c.errors}`, `slipway_e2e_requests{revision="${revision}"} ${c.requests}`]);
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(lines.join("\n") + "\n");
    });
    prometheus = await startPrometheus(PROMETHEUS_PORT, [app.base.replace("http://", "")]);
    await prometheus.waitFor('slipway_e2e_requests{revision="r2"}', (v) => v === "1000");
  });
  after(async () => {
    await prometheus?.stop();
    app?.server.close();
  });

  const errorRatio = 'sum(slipway_e2e_errors{revision="{{revision}}"}) / sum(slipway_e2e_requests{revision="{{revision}}"})';

  it("runs PromQL over /api/v1/query; a vector is result[0], and the same query for stable is the baseline", async () => {
    const metrics = metricsFromConfig([
      { name: "prom-errors", provider: { prometheus: { address: prometheus.base, query: errorRatio } }, successCondition: "result[0] <= baseline[0] * 1.2", interval: 0.05, count: 2 },
    ]);
    const { outcome, measurements } = await analyse(metrics);
    assert.equal(outcome.phase, "successful", outcome.message);
    assert.deepEqual([measurements[0]?.value, measurements[0]?.baseline], [[0.011], [0.01]], "the canary query names r2, the baseline query the stable r1");
    assert.equal(measurements[0]?.detail?.["query"], errorRatio.replaceAll("{{revision}}", "r2"));
  });

  it("fails a canary whose ratio exceeds the baseline's by more than the condition allows", async () => {
    counts["r2"] = { errors: 50, requests: 1000 };
    await prometheus.waitFor('slipway_e2e_errors{revision="r2"}', (v) => v === "50");
    const metrics = metricsFromConfig([{ name: "prom-errors", provider: { prometheus: { address: prometheus.base, query: errorRatio } }, successCondition: "result[0] <= baseline[0] * 1.2", interval: 0.05, count: 3 }]);
    const { outcome, measurements } = await analyse(metrics);
    assert.equal(outcome.phase, "failed");
    assert.equal(measurements[0]?.message, "result [0.05], baseline [0.01]: successCondition result[0] <= baseline[0] * 1.2 does not hold");
  });

  it("reads scalars, NaN, and empty vectors the way conditions expect", async () => {
    const provider = new PrometheusMetricProvider({ address: prometheus.base, query: "scalar(up)" });
    assert.equal((await provider.measure({ revision: "r2", signal: AbortSignal.timeout(5000) })).value, 1);
    const metrics = metricsFromConfig([
      { name: "nan", provider: { prometheus: { address: prometheus.base, query: '(slipway_e2e_errors{revision="{{revision}}"} - slipway_e2e_errors{revision="{{revision}}"}) / 0' } }, successCondition: "isNaN(result[0]) || result[0] < 0.01", interval: 0.02, count: 1 },
      { name: "empty", provider: { prometheus: { address: prometheus.base, query: "absent_metric" } }, successCondition: "len(result) == 0 || result[0] < 0.01", interval: 0.02, count: 1 },
    ]);
    const { outcome, measurements } = await analyse(metrics);
    assert.equal(outcome.phase, "successful", outcome.message);
    assert.ok(measurements.some((m) => Array.isArray(m.value) && Number.isNaN(m.value[0])), "0/0 reached the condition as NaN");
  });

  it("makes a refused query, a range vector and an unreachable server measurement errors", async () => {
    const cases: [string, string, RegExp][] = [
      [prometheus.base, "rate(syntax error)", /refused the query "rate\(syntax error\)" \(HTTP 400\): bad_data: .*parse error/],
      [prometheus.base, "slipway_e2e_requests[5m]", /a range vector \(matrix\)/],
      [`http://127.0.0.1:${await closedPort()}`, "up", /^GET http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query\?query=up: connection refused$/],
    ];
    for (const [address, query, message] of cases) {
      const metrics = metricsFromConfig([{ name: "prom", provider: { prometheus: { address, query } }, successCondition: "result[0] < 1", interval: 0.02, count: 1 }]);
      const { measurements } = await analyse(metrics);
      assert.equal(measurements[0]?.phase, "error");
      assert.match(measurements[0]?.message ?? "", message);
    }
  });
});

describe("job provider with real containers", () => {
  before(async () => {
    await engine.ping();
    assert.ok(await engine.imageExists(JOB_IMAGE), `${JOB_IMAGE} must be in the engine (it is never pulled)`);
  });
  after(async () => {
    for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${system}`] } })) {
      await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    }
  });

  it("exit code 0 is success; exit code 1 fails the analysis and keeps the output", async () => {
    // One stream (stderr), because Docker does not keep the order between stdout and stderr.
    const script = (code: number) =>
      `import os, sys; print("smoke test of", os.environ["SLIPWAY_REVISION"], "against", os.environ["SLIPWAY_STABLE_REVISION"], file=sys.stderr); print("step 2 failed" if ${code} else "all good", file=sys.stderr); sys.exit(${code})`;
    const metrics = metricsFromConfig([
      { name: "smoke-ok", provider: { job: { image: JOB_IMAGE, command: ["python", "-c", script(0)] } }, interval: 0.05, count: 1 },
      { name: "smoke-bad", provider: { job: { image: JOB_IMAGE, command: ["python", "-c", script(1)] } }, interval: 0.05, count: 1 },
    ]);
    // smoke-bad decides the run as soon as it fails; smoke-ok may or may not finish first.
    const { outcome, measurements } = await analyse(metrics);
    assert.equal(outcome.phase, "failed");
    const bad = measurements.find((m) => m.metric === "smoke-bad");
    assert.equal(bad?.phase, "failed");
    assert.equal(bad?.value, false);
    assert.equal(bad?.detail?.["exitCode"], 1);
    assert.equal(bad?.detail?.["output"], "smoke test of r2 against r1\nstep 2 failed");
    assert.match(bad?.message ?? "", /^job python:3\.11-slim-bookworm python -c .* exited with code 1 \(last output: step 2 failed\): the result is false$/);
    assert.deepEqual(await containersLeft(), []);

    const ok = await analyse([metrics[0] as AnalysisMetric]);
    assert.equal(ok.outcome.phase, "successful", ok.outcome.message);
    assert.equal(ok.measurements[0]?.value, true);
    assert.equal(ok.measurements[0]?.detail?.["output"], "smoke test of r2 against r1\nall good");
    assert.deepEqual(await containersLeft(), []);
  });

  it("stops a job past its time limit, counts it false, and removes the container", async () => {
    const provider = new ContainerJobProvider({ image: JOB_IMAGE, command: ["python", "-c", "import time; print('waiting', flush=True); time.sleep(60)"], timeoutMs: 1500 }, engine, { system, metric: "slow" });
    const started = performance.now();
    const result = await provider.measure({ revision: "r2", signal: AbortSignal.timeout(20_000) });
    assert.ok(performance.now() - started < 10_000);
    assert.equal(result.value, false);
    assert.equal(result.detail?.["timedOut"], true);
    assert.equal(result.detail?.["output"], "waiting");
    assert.match(result.summary ?? "", /ran past its 1\.5 s limit and was stopped/);
    assert.deepEqual(await containersLeft(), []);
  });

  it("says an image that is not in the engine is not pulled", async () => {
    const provider = new ContainerJobProvider({ image: `slipway-e2e/absent:${system}`, command: ["true"] }, engine, { system, metric: "absent" });
    await assert.rejects(provider.measure({ revision: "r2", signal: AbortSignal.timeout(10_000) }), /is not in Docker Engine, and slipway does not pull analysis images/);
  });

  it("removes the container when the analysis is aborted mid-job", async () => {
    const provider = new ContainerJobProvider({ image: JOB_IMAGE, command: ["sleep", "60"] }, engine, { system, metric: "aborted" });
    const controller = new AbortController();
    const measuring = provider.measure({ revision: "r2", signal: controller.signal });
    setTimeout(() => controller.abort(new Error("rollout aborted")), 1000);
    await assert.rejects(measuring, /rollout aborted/);
    assert.deepEqual(await containersLeft(), []);
  });

  it("runs a local command the same way", async () => {
    const pass = new CommandJobProvider({ command: [process.execPath, "-e", "console.log('checked', process.env.SLIPWAY_REVISION)"] });
    const fail = new CommandJobProvider({ command: [process.execPath, "-e", "console.error('nope'); process.exit(3)"] });
    const signal = AbortSignal.timeout(10_000);
    assert.deepEqual([(await pass.measure({ revision: "r2", signal })).value, (await pass.measure({ revision: "r2", signal })).detail?.["output"]], [true, "checked r2"]);
    const failed = await fail.measure({ revision: "r2", signal });
    assert.deepEqual([failed.value, failed.detail?.["exitCode"], failed.detail?.["output"]], [false, 3, "nope"]);
    await assert.rejects(new CommandJobProvider({ command: ["slipway-no-such-program"] }).measure({ revision: "r2", signal }), /slipway-no-such-program is not installed or not on PATH/);
  });
});

describe("router provider with a fake counter function", () => {
  /** Cumulative counters that grow on every read, at the given error ratios. */
  function growingCounters(perRead: Record<string, { requests: number; errors: number }>, history: RevisionCounters) {
    const state: Record<string, RevisionCounters> = {};
    return async (revision: string): Promise<RevisionCounters> => {
      const current = state[revision] ?? { ...history };
      const step = perRead[revision] ?? { requests: 0, errors: 0 };
      state[revision] = { ...current, requests: current.requests + step.requests, responses5xx: current.responses5xx + step.errors };
      return current;
    };
  }

  it("judges the error rate over each window, not the history; fixed threshold", async () => {
    // A bad history (half errors) must not fail a canary that is fine now.
    const readRouterCounters = growingCounters({ r2: { requests: 200, errors: 1 } }, { requests: 10_000, responses5xx: 5_000, connectionErrors: 0 });
    const metrics = metricsFromConfig([{ name: "router-errors", provider: { router: { metric: "errorRate" } }, successCondition: "result < 0.01", interval: 0.05, count: 3 }], { readRouterCounters });
    const { outcome, measurements } = await analyse(metrics, { stableRevision: undefined });
    assert.equal(outcome.phase, "successful", outcome.message);
    assert.deepEqual(measurements.map((m) => m.value), [0.005, 0.005, 0.005]);
  });

  it("pauses for a person when no requests arrive (inconclusive, no data)", async () => {
    const readRouterCounters = growingCounters({}, { requests: 10, responses5xx: 0, connectionErrors: 0 });
    const metrics = metricsFromConfig([{ name: "router-errors", provider: { router: { metric: "errorRate" } }, successCondition: "result < 0.01", interval: 0.05, count: 3 }], { readRouterCounters });
    const { outcome, measurements } = await analyse(metrics, { stableRevision: undefined });
    assert.equal(outcome.phase, "inconclusive");
    assert.match(measurements[0]?.message ?? "", /^no data: no requests reached r2 in the last 0\.\d+ s$/);
  });

  it("fails a canary much worse than stable with the judge (compareWithStable), saying why", async () => {
    const readRouterCounters = growingCounters({ r2: { requests: 500, errors: 60 }, r1: { requests: 4800, errors: 5 } }, { requests: 0, responses5xx: 0, connectionErrors: 0 });
    const [metric] = metricsFromConfig([{ name: "router-vs-stable", provider: { router: { metric: "errorRate" } }, interval: 0.05, count: 3 }], { readRouterCounters });
    assert.ok(metric !== undefined);
    // compareWithStable is not in the schema yet (see README.md); the provider takes it already.
    const judged = { ...metric, provider: new RouterMetricProvider({ metric: "errorRate", compareWithStable: true }, readRouterCounters) };
    const { outcome, measurements } = await analyse([judged]);
    assert.equal(outcome.phase, "failed");
    assert.match(measurements[0]?.message ?? "", /^canary 12\.0% errors vs stable 0\.1% over 500\/4800 requests: worse by more than 0\.5 points \(z = 22\.0, p < 0\.001\)$/);
  });
});
