// Two systems in two folders on one machine, each with its own registries,
// offsets and router, on real Docker, HAProxy and registries. When their
// environments' router control ports are the same, `doctor` names the holder
// (the other system's HAProxy) and the key to change, and `deploy` refuses
// with PORT_IN_USE naming the router and `routerPort` (it used to say "give
// the registry another port"); with distinct routerPorts both serve side by
// side. Loopback ports 21000-21999 only:
//   system a: registries 21001/21002, test at portOffset 21000 → endpoint 21100, routerPort 21099
//   system b: registries 21003/21004, test at portOffset 21200 → endpoint 21300, routerPort 21099 (the clash), then 21199
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DockerEngine } from "../../src/docker/engine.js";
import { haproxyBinary } from "../../src/router/haproxy/haproxy-daemon.js";
import { assertSucceeded as ok, runCli, type CliResult } from "./helpers.js";
import { buildAndPushPython, pythonServer } from "./python-service.js";

interface Sys {
  name: string;
  root: string;
  registries: { dev: number; prod: number };
  portOffset: number;
  endpoint: number;
  digest?: string;
}

const engine = new DockerEngine();
const systems: Record<"a" | "b", Sys> = {
  a: { name: "e2e-two-a", root: mkdtempSync(join(tmpdir(), "slipway-two-a-")), registries: { dev: 21001, prod: 21002 }, portOffset: 21000, endpoint: 21100 },
  b: { name: "e2e-two-b", root: mkdtempSync(join(tmpdir(), "slipway-two-b-")), registries: { dev: 21003, prod: 21004 }, portOffset: 21200, endpoint: 21300 },
};
const serverPy = pythonServer('SYSTEM = os.environ["SYSTEM_NAME"]', `if self.path == "/healthz": status, body = 200, b"ok"
else: status, body = 200, SYSTEM.encode()`);

const cli = (sys: Sys, ...args: string[]): Promise<CliResult> => runCli(["--config", sys.root, ...args]);

function writeSystem(sys: Sys, routerPort: number): void {
  writeFileSync(
    join(sys.root, "slipway.yaml"),
    [
      `system: ${sys.name}`,
      "registries:",
      `  dev: { url: 127.0.0.1:${sys.registries.dev} }`,
      `  prod: { url: 127.0.0.1:${sys.registries.prod} }`,
      "environments:",
      `  - { name: test, registry: dev, portOffset: ${sys.portOffset}, routerPort: ${routerPort} }`,
      "services: [services/*]",
      "",
    ].join("\n"),
  );
}

async function answer(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
  return `${res.status} ${await res.text()}`;
}

describe("two systems on one machine", { skip: haproxyBinary() === undefined ? "haproxy is not installed" : false }, () => {
  before(async () => {
    for (const sys of Object.values(systems)) {
      mkdirSync(join(sys.root, "services", "hello"), { recursive: true });
      writeFileSync(
        join(sys.root, "services", "hello", "slipway.service.yaml"),
        `name: hello\nowners: [e2e]\nbuild: { image: debian:bookworm-slim }\nport: 8080\nendpoint: { port: 100 }\nreadiness: { http: { path: /healthz }, periodSeconds: 0.2 }\nterminationGracePeriodSeconds: 2\n`,
      );
      writeFileSync(join(sys.root, "services", "hello", "Dockerfile"), "FROM python:3.11-slim-bookworm\n");
      writeSystem(sys, 21099);
      ok(await cli(sys, "up"), `slipway up (${sys.name})`);
      sys.digest = await buildAndPushPython(engine, sys.root, `127.0.0.1:${sys.registries.dev}/${sys.name}/hello:v1`, serverPy, { SYSTEM_NAME: sys.name });
    }
    ok(await cli(systems.a, "deploy", "hello", "--env", "test", "--digest", systems.a.digest as string), "deploy of system a");
  });

  after(async () => {
    for (const sys of Object.values(systems)) {
      await cli(sys, "down");
      for (const c of await engine.api.listContainers({ all: true, filters: { label: [`org.slipway.system=${sys.name}`] } })) await engine.api.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      await engine.api.getImage(`127.0.0.1:${sys.registries.dev}/${sys.name}/hello:v1`).remove({ force: true }).catch(() => undefined);
      rmSync(sys.root, { recursive: true, force: true });
    }
  });

  it("a second system on the first one's router port: doctor names the holder and the key, deploy refuses naming the router and routerPort", async () => {
    assert.equal(await answer(systems.a.endpoint), `200 ${systems.a.name}`);
    // Each system alone is valid: the clash is between two systems, which only the machine sees.
    ok(await cli(systems.b, "validate"), "validate of system b");

    const doctor = await cli(systems.b, "doctor");
    assert.notEqual(doctor.code, 0, doctor.stdout);
    const holder = new RegExp(`✗ router \\(test\\) port 21099 +the router's control port is port 21099, held by pid \\d+ \\([^\\n]*${systems.a.root}/\\.slipway/routers/test/haproxy\\.cfg`);
    assert.match(doctor.stdout, holder);
    assert.match(doctor.stdout, /fix: stop that process, or change routerPort of environment "test" in slipway\.yaml/);

    const deploy = await cli(systems.b, "deploy", "hello", "--env", "test", "--digest", systems.b.digest as string);
    assert.equal(deploy.code, 3, deploy.stdout + deploy.stderr);
    assert.match(deploy.stderr, /PORT_IN_USE/);
    assert.match(deploy.stderr, /the router \(test\) needs port 21099, held by pid \d+/);
    assert.match(deploy.stderr, /change routerPort of environment "test" in slipway\.yaml/);
    assert.doesNotMatch(deploy.stderr, /registry/);
    // The first system was not disturbed.
    assert.equal(await answer(systems.a.endpoint), `200 ${systems.a.name}`);
  });

  it("with its own routerPort the second system deploys beside the first, and both serve", async () => {
    writeSystem(systems.b, 21199);
    ok(await cli(systems.b, "validate"), "validate of system b");
    const doctor = await cli(systems.b, "doctor");
    assert.match(doctor.stdout, /✓ router \(test\) ports +control port 21199 and 1 endpoint port: free, or held by this environment's router/);

    ok(await cli(systems.b, "deploy", "hello", "--env", "test", "--digest", systems.b.digest as string), "deploy of system b");
    assert.equal(await answer(systems.b.endpoint), `200 ${systems.b.name}`);
    assert.equal(await answer(systems.a.endpoint), `200 ${systems.a.name}`);
    for (const port of [21099, 21199]) assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) })).status, 200);

    // Each doctor now sees its own router on its ports.
    for (const sys of Object.values(systems)) assert.match((await cli(sys, "doctor")).stdout, /✓ router \(test\) ports/);
  });
});
