// `slipway render kubernetes --lock` through the compiled CLI, on a scratch
// system and a lock written here: no Docker, no cluster, no state store.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { runCli, scratchSystem } from "../e2e/helpers.js";

const digest = `sha256:${"b".repeat(64)}`;
const readiness = { tcp: {}, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };

function lockOf(system: string): string {
  const template = (port: number, secretEnv: Record<string, string> = {}) => ({ port, env: {}, secretEnv, resources: {}, readiness, terminationGracePeriodSeconds: 10 });
  return JSON.stringify({
    kind: "slipway-system-lock",
    formatVersion: 1,
    system,
    environment: "test",
    takenAt: "2026-01-02T03:04:05.000Z",
    services: [
      { service: "web", image: `127.0.0.1:5101/e2e/web@${digest}`, revision: "r-web", dependsOn: ["hello"], template: template(3000, { API_KEY: "WEB_API_KEY" }), replicas: 2, strategy: "rolling" },
      { service: "hello", version: "0.1.0", image: `127.0.0.1:5101/e2e/hello@${digest}`, revision: "r-hello", dependsOn: [], template: template(8080), replicas: 1, strategy: "canary" },
    ],
  });
}

describe("slipway render kubernetes --lock (the compiled CLI)", () => {
  let root = "";
  before(() => {
    root = scratchSystem(1, 2);
    mkdirSync(join(root, "services", "web"), { recursive: true });
    writeFileSync(join(root, "services", "web", "slipway.service.yaml"), "name: web\nowners: [e2e]\nbuild: { image: debian:bookworm-slim }\nport: 3000\nreadiness: { tcp: {} }\ndependsOn: [hello]\n");
    // validate requires the Dockerfile a service is built from.
    writeFileSync(join(root, "services", "web", "Dockerfile"), "FROM scratch\n");
    writeFileSync(join(root, "lock.json"), lockOf("e2e"));
    writeFileSync(join(root, "other.json"), lockOf("other"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("writes YAML that parses into a Namespace, a Gateway and per service, dependencies first, the revision's ReplicaSet and Service, the stable Service and an HTTPRoute", async () => {
    const result = await runCli(["-c", root, "render", "kubernetes", "--env", "test", "--lock", join(root, "lock.json")], { WEB_API_KEY: "value-that-must-not-appear" });
    assert.equal(result.code, 0, result.stderr);
    const docs = parseAllDocuments(result.stdout, { version: "1.1" });
    assert.ok(Array.isArray(docs));
    const objects = docs.map((d) => d.toJS() as { kind: string; metadata: { name: string; namespace?: string } });
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ["Namespace/e2e-test", "Gateway/e2e", "ReplicaSet/hello-r-hello", "Service/hello-r-hello", "Service/hello", "HTTPRoute/hello", "ReplicaSet/web-r-web", "Service/web-r-web", "Service/web", "HTTPRoute/web"],
    );
    assert.ok(objects.slice(1).every((o) => o.metadata.namespace === "e2e-test"), "the namespace defaults to <system>-<environment>");
    assert.match(result.stdout, /^# Kubernetes manifests of system e2e, environment test, rendered by slipway \d+\.\d+\.\d+/);
    assert.match(result.stdout, /value: http:\/\/hello\.e2e-test\.svc\.cluster\.local:8080/);
    assert.match(result.stdout, /secretKeyRef:\n\s+name: web-secrets\n\s+key: WEB_API_KEY/);
    assert.doesNotMatch(result.stdout, /value-that-must-not-appear/);
  });

  it("-o writes the file; --namespace and --gateway-class are used", async () => {
    const out = join(root, "manifests.yaml");
    const result = await runCli(["-c", root, "--json", "render", "kubernetes", "--env", "test", "--lock", join(root, "lock.json"), "--namespace", "apps", "--gateway-class", "istio", "-o", out]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { namespace: string }).namespace, "apps");
    const text = readFileSync(out, "utf8");
    assert.match(text, /gatewayClassName: istio/);
    assert.match(text, /^kind: Namespace\nmetadata:\n {2}name: apps$/m);
  });

  it("refuses a lock of another system, and a namespace that is not a DNS label", async () => {
    const other = await runCli(["-c", root, "render", "kubernetes", "--env", "test", "--lock", join(root, "other.json")]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /the lock is of system "other"/);
    const bad = await runCli(["-c", root, "render", "kubernetes", "--env", "test", "--lock", join(root, "lock.json"), "--namespace", "Not_A_Label"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"Not_A_Label" is not a valid Kubernetes name/);
    assert.equal(bad.stdout, "");
  });
});
