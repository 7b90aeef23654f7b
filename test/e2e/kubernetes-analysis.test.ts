// Analysis with the web and job providers on the real Kubernetes test cluster
// (scripts/test-cluster.sh), under a constant keep-alive load through the
// gateway: a job metric runs as a Kubernetes Job in the environment's
// namespace (reaching the canary by its Service's DNS name, its log read
// through the API, its exit code the result) and is deleted after; a web
// metric GETs JSON from the canary through the gateway's header rule.
//
// Loopback ports (k8s-a's range): registries 18592-18593; the gateway
// listener 23082 (portOffset 23000 + endpoint port 82). Setup and teardown:
// kubernetes-e2e.ts.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import { BatchV1Api } from "@kubernetes/client-node";
import Database from "better-sqlite3";
import { loadSystem } from "../../src/config/load-system.js";
import type { KubernetesCluster } from "../../src/kubernetes/cluster.js";
import { storePath } from "../../src/store/store-path.js";
import { until, type CliResult } from "./helpers.js";
import { assertNoFailures, describeLoad, startLoad as startLoadOn } from "./keepalive-load.js";
import { assertServes, assertSucceeded, KubernetesScratch, listenerAnswers, writeHelloService } from "./kubernetes-e2e.js";
import { pythonServer } from "./python-service.js";

const ENDPOINT = 23082;
const SYSTEM = "e2e-k8sa-analysis";
const NAMESPACE = `${SYSTEM}-k8s`;
const scratch = new KubernetesScratch({ system: SYSTEM, registries: { dev: 18592, prod: 18593 }, environment: ["portOffset: 23000"] });
const { root, images } = scratch;

/** `/` answers the version (the one called "bad" too, with 200: only the job tells it apart); `/stats` JSON. */
const serverPy = pythonServer(
  'import json\nVERSION = os.environ["APP_VERSION"]',
  `if self.path == "/healthz": status, body = 200, b"ok"
elif self.path == "/stats": status, body = 200, json.dumps({"version": VERSION, "ok": True}).encode()
else: status, body = 200, VERSION.encode()`,
);

/** The job: GETs the analysed revision's Service inside the cluster; passes when it answers a version (v…). */
const JOB_SCRIPT = "import os, sys, urllib.request; b = urllib.request.urlopen(os.environ['SLIPWAY_REVISION_URL'], timeout=10).read().decode(); print('revision ' + os.environ['SLIPWAY_REVISION'] + ' answered ' + b); sys.exit(0 if b.startswith('v') else 3)";

function writeService(jobImage: string): void {
  writeHelloService(
    root,
    82,
    "{ canary: { steps: [{ setWeight: 50 }, { analysis: { metrics: [smoke, stats] } }, { setWeight: 100 }], scaleDownDelaySeconds: 0 } }",
    `analysis:
  metrics:
    - name: smoke
      provider: { job: { image: "${jobImage}", command: [python, -c, "${JOB_SCRIPT}"] } }
      count: 1
    - name: stats
      provider: { web: { url: "http://127.0.0.1:${ENDPOINT}/stats", jsonPath: $.ok, headers: { X-Slipway-Canary: always } } }
      successCondition: result == true
      interval: 1
      count: 2
`,
  );
}

const cli = (...args: string[]): Promise<CliResult> => scratch.cli(...args);

/** The latest rollout's analysis measurements as the store keeps them (JSON text: values, summaries, a job's output). */
async function lastMeasurements(): Promise<string> {
  const db = new Database(storePath(await loadSystem(root)), { readonly: true });
  try {
    const rows = db.prepare("SELECT m.measurements FROM analysis_measurements m JOIN rollouts r ON r.id = m.rollout_id ORDER BY r.rowid DESC").all() as { measurements: string }[];
    return rows.map((r) => r.measurements).join("\n");
  } finally {
    db.close();
  }
}

describe("web and job analysis on a real Kubernetes cluster", { skip: scratch.skip }, () => {
  let cluster: KubernetesCluster;

  /** Analysis Jobs and their pods in the namespace now. */
  async function analysisJobs(): Promise<{ jobs: string[]; pods: string[] }> {
    const selector = "app.kubernetes.io/component=analysis-job";
    const jobs = (await cluster.config.makeApiClient(BatchV1Api).listNamespacedJob({ namespace: NAMESPACE, labelSelector: selector })).items;
    const pods = (await cluster.core.listNamespacedPod({ namespace: NAMESPACE, labelSelector: selector })).items;
    return { jobs: jobs.map((j) => j.metadata?.name ?? "?"), pods: pods.map((p) => p.metadata?.name ?? "?") };
  }

  /** Deploys under load while recording every analysis Job seen in the namespace. */
  async function deployWatchingJobs(version: string): Promise<{ deployed: CliResult; jobsSeen: Set<string> }> {
    const jobsSeen = new Set<string>();
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const name of (await analysisJobs().catch(() => ({ jobs: [] }))).jobs) jobsSeen.add(name);
        await sleep(250);
      }
    })();
    const deployed = await cli("deploy", "hello", "--env", "k8s", "--digest", images[version] as string);
    watching = false;
    await watcher;
    return { deployed, jobsSeen };
  }

  before(async () => {
    // The job's image is known once built; `up` needs the service first.
    writeService("later");
    cluster = await scratch.setUp();
    for (const version of ["v1", "v2", "bad"]) await scratch.buildAndPush("hello", version, serverPy, { APP_VERSION: version });
    // The job runs the service's own image (python), pulled by the cluster by digest.
    writeService(scratch.imageRef("hello", "v1"));
    assertSucceeded(await cli("deploy", "hello", "--env", "k8s", "--digest", images["v1"] as string), "first deploy of v1");
    await listenerAnswers(ENDPOINT, "v1");
  });

  after(() => scratch.tearDown());

  it("a canary passes a job analysis run as a Kubernetes Job (log through the API) and a web analysis through the gateway; the Job is deleted after", async () => {
    const load = startLoadOn(ENDPOINT, 100);
    const started = Date.now();
    const { deployed, jobsSeen } = await deployWatchingJobs("v2");
    const tookMs = Date.now() - started;
    await sleep(1000);
    const r = await load.stop();
    console.log(describeLoad("canary with job + web analysis", r));
    console.log(`# canary with a Kubernetes Job analysis: ${(tookMs / 1000).toFixed(1)} s; Jobs seen: ${[...jobsSeen].join(", ")}`);
    assertSucceeded(deployed, "canary deploy of v2");
    assertNoFailures(r, 500);
    assert.equal(jobsSeen.size, 1, `one Job for the one job measurement: ${[...jobsSeen].join(", ")}`);
    assert.match(await lastMeasurements(), /revision r-[0-9a-f]+ answered v2/, "the job's log, read through the API, is in the measurement");
    await until("the analysis Job and its pod are gone", async () => JSON.stringify(await analysisJobs()) === JSON.stringify({ jobs: [], pods: [] }), 30_000, 500);
    await assertServes(ENDPOINT, "v2");
  });

  it("a canary failing the job analysis (exit 3) is aborted; stable keeps all traffic, no failed request; the Job is deleted", async () => {
    const load = startLoadOn(ENDPOINT, 100);
    const { deployed, jobsSeen } = await deployWatchingJobs("bad");
    await sleep(1000);
    const r = await load.stop();
    console.log(describeLoad("canary failing its analyses", r));
    assert.equal(deployed.code, 1, deployed.stdout + deployed.stderr);
    assert.match(deployed.stdout, /aborted/);
    assertNoFailures(r, 500);
    assert.ok(jobsSeen.size >= 1, "the job ran as a Kubernetes Job");
    const measurements = await lastMeasurements();
    assert.match(measurements, /answered bad/);
    assert.match(measurements, /exited with code 3/);
    await until("the analysis Jobs and their pods are gone", async () => JSON.stringify(await analysisJobs()) === JSON.stringify({ jobs: [], pods: [] }), 30_000, 500);
    await assertServes(ENDPOINT, "v2");
  });
});
