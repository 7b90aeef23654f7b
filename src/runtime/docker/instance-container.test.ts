import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReadinessProbe } from "../../domain/config-schema.js";
import type { InstanceSpec } from "../types.js";
import { containerCreateRequest, instanceLabels, instanceName, instancePorts, instanceSelector, nameSuffix, wholeSeconds } from "./instance-container.js";

const readiness: ReadinessProbe = { http: { path: "/healthz" }, initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 };
const spec: InstanceSpec = {
  system: "shop",
  environment: "prod",
  service: "api",
  revision: "r4-3f9c2a1b",
  image: "127.0.0.1:5102/shop/api@sha256:" + "a".repeat(64),
  port: 8080,
  env: { LOG_LEVEL: "info", GREETING: "a=b" },
  resources: { memory: "128Mi", cpus: 0.5 },
  readiness,
  terminationGracePeriodSeconds: 2.5,
  labels: { team: "payments", "org.slipway.system": "spoofed" },
};

describe("instance containers", () => {
  it("labels an instance with its revision ref and purpose, never a pid, and keeps extra labels without letting them override", () => {
    assert.deepEqual(instanceLabels(spec), {
      team: "payments",
      "org.slipway.system": "shop",
      "org.slipway.environment": "prod",
      "org.slipway.service": "api",
      "org.slipway.revision": "r4-3f9c2a1b",
      "org.slipway.purpose": "instance",
      "org.slipway.port": "8080",
    });
  });

  it("selects by system and environment, and by service and revision when given", () => {
    assert.deepEqual(instanceSelector({ system: "shop", environment: "prod" }), ["org.slipway.purpose=instance", "org.slipway.system=shop", "org.slipway.environment=prod"]);
    assert.deepEqual(instanceSelector({ system: "shop", environment: "prod", service: "api", revision: "r4" }).slice(3), ["org.slipway.service=api", "org.slipway.revision=r4"]);
  });

  it("names an instance like a pod: the ReplicaSet's name and five random characters, a DNS label", () => {
    const suffix = nameSuffix(() => 0);
    assert.equal(suffix, "bbbbb");
    assert.equal(instanceName(spec, "x7k2q"), "shop-prod-api-r4-3f9c2a1b-x7k2q");
    const long = instanceName({ ...spec, service: "a-very-long-service-name-that-goes-on", revision: "r12-0123456789ab" }, "x7k2q");
    assert.ok(long.length <= 63 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(long), long);
    assert.notEqual(long, instanceName({ ...spec, service: "a-very-long-service-name-that-goes-on", revision: "r12-0123456789ab" }, "bbbbb"));
  });

  it("publishes the service port, and the probe's port when it names another", () => {
    assert.deepEqual(instancePorts(spec), [8080]);
    assert.deepEqual(instancePorts({ ...spec, readiness: { ...readiness, http: { path: "/healthz", port: 9090 } } }), [8080, 9090]);
    assert.deepEqual(instancePorts({ ...spec, readiness: { ...readiness, http: undefined, exec: { command: ["true"] } } }), [8080]);
  });

  it("creates the container with loopback ports, restart policy, limits, env and the stop signal", () => {
    const body = containerCreateRequest(spec, new Map([[8080, 41234]]));
    assert.equal(body.Image, spec.image);
    assert.deepEqual(body.Env, ["LOG_LEVEL=info", "GREETING=a=b"]);
    assert.deepEqual(body.ExposedPorts, { "8080/tcp": {} });
    assert.equal(body.StopSignal, "SIGTERM");
    assert.equal(body.StopTimeout, 3);
    assert.deepEqual(body.HostConfig.PortBindings, { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "41234" }] });
    assert.deepEqual(body.HostConfig.RestartPolicy, { Name: "unless-stopped" });
    assert.equal(body.HostConfig.Memory, 134_217_728);
    assert.equal(body.HostConfig.MemorySwap, 134_217_728);
    assert.equal(body.HostConfig.NanoCpus, 500_000_000);
  });

  it("on the host network publishes nothing and tells the process its port and bind address, over the service's own PORT", () => {
    const body = containerCreateRequest({ ...spec, env: { PORT: "1", LOG_LEVEL: "info" } }, new Map([[8080, 41234]]), "host");
    assert.equal(body.HostConfig.NetworkMode, "host");
    assert.deepEqual(body.HostConfig.PortBindings, {});
    assert.deepEqual(body.ExposedPorts, {});
    assert.deepEqual(body.Env, ["PORT=41234", "LOG_LEVEL=info", "HOST=127.0.0.1"]);
    assert.equal(body.Labels["org.slipway.host-port"], "41234");
    assert.equal(containerCreateRequest(spec, new Map([[8080, 41234]])).HostConfig.NetworkMode, "bridge");
  });

  it("refuses a probe on another port on the host network, saying how to fix it", () => {
    const probingElsewhere = { ...spec, readiness: { ...readiness, http: { path: "/healthz", port: 9090 } } };
    assert.throws(() => containerCreateRequest(probingElsewhere, new Map([[8080, 41234]]), "host"), (err: Error & { hint?: string }) => {
      assert.match(err.message, /service api: readiness probes port 9090/);
      assert.match(err.hint ?? "", /network: bridge/);
      return true;
    });
    assert.doesNotThrow(() => containerCreateRequest(probingElsewhere, new Map([[8080, 41234], [9090, 41235]]), "bridge"));
  });

  it("sets no limits when resources name none", () => {
    const body = containerCreateRequest({ ...spec, resources: {} }, new Map());
    assert.equal("Memory" in body.HostConfig, false);
    assert.equal("NanoCpus" in body.HostConfig, false);
  });

  it("rounds grace periods up to whole seconds", () => {
    assert.deepEqual([0, 0.2, 1, 29.5].map(wholeSeconds), [0, 1, 1, 30]);
  });
});
