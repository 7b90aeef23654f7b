import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ContainerDetails, type ContainerSummary, instanceFromDetails, instanceFromSummary, livenessOf, phaseOf } from "./instance-state.js";

const labels = {
  "org.slipway.system": "shop",
  "org.slipway.environment": "prod",
  "org.slipway.service": "api",
  "org.slipway.revision": "r4",
  "org.slipway.purpose": "instance",
  "org.slipway.port": "8080",
};

const summary = (overrides: Partial<ContainerSummary>): ContainerSummary => ({
  Id: "c1",
  Names: ["/shop-prod-api-r4-x7k2q"],
  Image: "shop/api@sha256:abc",
  Created: 1_700_000_000,
  State: "running",
  Status: "Up 3 seconds",
  Labels: labels,
  Ports: [{ IP: "127.0.0.1", PrivatePort: 8080, PublicPort: 41234, Type: "tcp" }],
  ...overrides,
});

const details = (state: Partial<ContainerDetails["State"]>, restartCount = 0): ContainerDetails => ({
  Id: "c1",
  Name: "/shop-prod-api-r4-x7k2q",
  Created: "2024-01-01T00:00:00.987654321Z",
  RestartCount: restartCount,
  Config: { Image: "shop/api@sha256:abc", Labels: labels },
  State: { Status: "running", Running: true, Restarting: false, OOMKilled: false, ExitCode: 0, ...state },
  HostConfig: { Memory: 67_108_864, PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "41234" }] } },
});

describe("instance state", () => {
  it("maps Docker states to phases", () => {
    assert.deepEqual(
      ["created", "running", "restarting", "paused", "exited", "dead", "removing"].map(phaseOf),
      ["starting", "running", "exited", "exited", "exited", "exited", "exited"],
    );
  });

  it("reads a listed container as an instance", () => {
    assert.deepEqual(instanceFromSummary(summary({})), {
      system: "shop",
      environment: "prod",
      service: "api",
      revision: "r4",
      id: "c1",
      name: "shop-prod-api-r4-x7k2q",
      image: "shop/api@sha256:abc",
      phase: "running",
      address: { host: "127.0.0.1", port: 41234 },
      createdAt: "2023-11-14T22:13:20.000Z",
    });
  });

  it("reads an instance on the host network at the port it was told to listen on, listed or inspected", () => {
    const onHost = { ...labels, "org.slipway.host-port": "41999" };
    assert.deepEqual(instanceFromSummary(summary({ Labels: onHost, Ports: [] }))?.address, { host: "127.0.0.1", port: 41999 });
    const inspected = { ...details({}), Config: { Image: "shop/api@sha256:abc", Labels: onHost }, HostConfig: { PortBindings: {} } };
    assert.deepEqual(instanceFromDetails(inspected)?.address, { host: "127.0.0.1", port: 41999 });
    assert.equal(instanceFromSummary(summary({ Labels: onHost, Ports: [], State: "exited", Status: "Exited (0) 1 second ago" }))?.address.port, 0);
  });

  it("reads the exit code from the status of an exited or restarting container, which has no address", () => {
    const exited = instanceFromSummary(summary({ State: "exited", Status: "Exited (3) 2 seconds ago", Ports: [] }));
    assert.equal(exited?.phase, "exited");
    assert.equal(exited?.exitCode, 3);
    assert.equal(exited?.address.port, 0);
    assert.equal(instanceFromSummary(summary({ State: "restarting", Status: "Restarting (137) Less than a second ago", Ports: null }))?.exitCode, 137);
  });

  it("ignores containers without an instance's labels", () => {
    assert.equal(instanceFromSummary(summary({ Labels: { "org.slipway.system": "shop" } })), undefined);
    assert.equal(instanceFromSummary(summary({ Labels: null })), undefined);
  });

  it("reads an inspected container: its address from its bindings while it runs, its creation to the second like a listing", () => {
    assert.equal(instanceFromDetails(details({}))?.createdAt, "2024-01-01T00:00:00.000Z");
    assert.deepEqual(instanceFromDetails(details({}))?.address, { host: "127.0.0.1", port: 41234 });
    const down = instanceFromDetails(details({ Status: "exited", Running: false, ExitCode: 1 }));
    assert.equal(down?.phase, "exited");
    assert.equal(down?.exitCode, 1);
    assert.equal(down?.address.port, 0);
    assert.equal(instanceFromDetails(details({ Status: "running", Running: true, Restarting: true }))?.phase, "exited");
  });

  it("is alive while it runs and has not restarted since the baseline", () => {
    assert.deepEqual(livenessOf(details({}, 2), 2), { alive: true });
    assert.deepEqual(livenessOf(undefined, 0), { alive: false, detail: "was removed" });
    assert.deepEqual(livenessOf(details({ Status: "exited", Running: false, ExitCode: 3 }), 0), { alive: false, detail: "exited with code 3" });
    assert.match(livenessOf(details({ Running: true, Restarting: true, ExitCode: 3 }, 1), 0).detail ?? "", /^exited with code 3; its restart policy starts it again \(restart count 1\)$/);
    assert.match(livenessOf(details({}, 1), 0).detail ?? "", /crashed and was restarted by its restart policy/);
    assert.match(livenessOf(details({ Status: "exited", Running: false, ExitCode: 137, OOMKilled: true }), 0).detail ?? "", /code 137 after running out of memory \(limit 67108864 bytes\)/);
  });
});
