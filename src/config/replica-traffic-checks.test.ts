// validate on an environment whose traffic is split by replicas (ADR 26):
// what each canary step becomes, what cannot be split, and router metrics
// refused where no router sees the revisions apart. Through loadSystem, so
// positions are those of the real files.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError, type ConfigProblem, formatPosition } from "../domain/errors.js";
import { loadSystem } from "./load-system.js";

const scratch = mkdtempSync(join(tmpdir(), "slipway-replica-traffic-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const systemYaml = (traffic: string): string => `system: shop
registries:
  dev: { url: 127.0.0.1:5101 }
  prod: { url: 127.0.0.1:5102 }
environments:
  - { name: test, registry: dev }
  - { name: k8s, registry: dev, runtime: kubernetes, kubernetes: { traffic: ${traffic} } }
`;

const serviceYaml = (replicas: number, steps: string, analysis = ""): string => `name: api
owners: [alice@shop.example]
build: { image: node:20-bookworm-slim }
port: 8080
readiness: { http: { path: /healthz } }
replicas: ${replicas}
strategy:
  canary:
    steps: ${steps}
${analysis}`;

let n = 0;
function write(traffic: string, service: string): string {
  const root = join(scratch, String(n++));
  mkdirSync(join(root, "services", "api"), { recursive: true });
  writeFileSync(join(root, "slipway.yaml"), systemYaml(traffic));
  writeFileSync(join(root, "services", "api", "slipway.service.yaml"), service);
  writeFileSync(join(root, "services", "api", "Dockerfile"), "FROM scratch\n");
  return join(root, "slipway.yaml");
}

const line = (p: ConfigProblem): string => `${formatPosition(p.position).replace(/^.*?\/\d+\//, "")} ${p.path}: ${p.message} | ${p.hint ?? ""}`;

async function problemsOf(file: string): Promise<string[]> {
  try {
    await loadSystem(file);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems.map(line);
  }
  return assert.fail("expected configuration errors");
}

describe("validate: kubernetes.traffic: replicas", () => {
  it("warns where a setWeight runs as the nearest replica ratio, naming the weights that are exact", async () => {
    const system = await loadSystem(write("replicas", serviceYaml(4, "[{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }]")));
    assert.deepEqual(system.warnings.map(line), [
      'services/api/slipway.service.yaml:9:26 strategy.canary.steps[0].setWeight: in environment "k8s" (kubernetes.traffic: replicas) setWeight 10 runs as 1 of 4 pods: 25% of the traffic | 4 replicas give exactly 25%, 50%, 75%; write one of them, or raise replicas (10 gives every multiple of 10%)',
    ]);
  });

  it("says nothing on a gateway environment", async () => {
    const system = await loadSystem(write("gateway", serviceYaml(1, "[{ setWeight: 10 }]")));
    assert.deepEqual(system.warnings, []);
  });

  it("refuses a weight one replica cannot split, at the step", async () => {
    assert.deepEqual(await problemsOf(write("replicas", serviceYaml(1, "[{ setWeight: 20 }, { pause: {} }]"))), [
      'services/api/slipway.service.yaml:9:26 strategy.canary.steps[0].setWeight: setWeight 20 cannot be a replica ratio of 1 replica in environment "k8s" (kubernetes.traffic: replicas): both revisions need a pod of their own | set replicas to 2 or more (10 gives every multiple of 10%), or give the environment a Gateway API implementation (kubernetes.traffic: gateway)',
    ]);
  });

  it("refuses a router metric the canary's analysis names; web and job metrics pass", async () => {
    const analysis = `analysis:
  metrics:
    - { name: errors, provider: { router: { metric: errorRate } }, successCondition: result < 0.01 }
    - { name: smoke, provider: { web: { url: "http://127.0.0.1:23080/healthz", jsonPath: "$.ok" } }, successCondition: result == true }
`;
    const problems = await problemsOf(write("replicas", serviceYaml(4, "[{ setWeight: 25 }, { analysis: { metrics: [errors, smoke] } }]", analysis)));
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0] ?? "", /^services\/api\/slipway\.service\.yaml:12:\d+ analysis\.metrics\[0\]\.provider\.router: metric "errors" reads the router's per-revision counters, which environment "k8s" \(kubernetes\.traffic: replicas\) does not have/);
    await loadSystem(write("gateway", serviceYaml(4, "[{ setWeight: 25 }, { analysis: { metrics: [errors, smoke] } }]", analysis)));
  });
});
