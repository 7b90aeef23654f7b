import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { ConfigError, formatPosition, SlipwayError } from "../domain/errors.js";
import { loadSystem } from "./load-system.js";

const scratch = mkdtempSync(join(tmpdir(), "slipway-config-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const SYSTEM = `system: shop
registries:
  dev: { url: 127.0.0.1:5101 }
  prod: { url: 127.0.0.1:5102 }
environments:
  - { name: test, registry: dev }
  - { name: prod, registry: prod }
services: [services/*]
`;

/** SYSTEM with a third environment on Kubernetes whose gateway listens on 23085-23089, and these endpointPorts. */
function withK8s(endpointPorts: string): string {
  return SYSTEM.replace(
    "  - { name: prod, registry: prod }\n",
    `  - { name: prod, registry: prod }\n  - { name: k8s, registry: dev, runtime: kubernetes, endpointPorts: ${endpointPorts}, kubernetes: { gateway: { className: traefik, listenerPorts: "23085-23089" } } }\n`,
  );
}

/** Two people, so the default major rule (two owner approvals) can be met. */
const TEAM_A = "teams:\n  team-a: [alice@shop.example, bob@shop.example]\n";

const POLICY = `releasePolicy:
  tiers:
    critical: { minor: { approvals: 2 } }
`;

function service(name: string, extra = ""): string {
  return `name: ${name}
owners: [team-${name}]
build: { image: node:20-bookworm-slim }
port: 8080
readiness:
  http: { path: /healthz }
${extra}`;
}

/** One analysis metric named errors; `condition` is its condition line(s), indented by the helper. */
function metric(condition: string, provider = "{ router: { metric: errorRate } }"): string {
  return `analysis:\n  metrics:\n    - name: errors\n      provider: ${provider}\n      ${condition}\n`;
}

const CONDITION_HINT =
  "conditions compare result (and baseline) with numbers or strings, e.g. result < 0.01, result[0] >= 0.95 && len(result) == 1, isNaN(result) || result <= baseline * 1.2";

let counter = 0;
/**
 * Writes a system into a fresh folder; returns the path of its slipway.yaml.
 * Each service folder gets a Dockerfile unless `files` maps it to null.
 */
function writeSystem(files: Record<string, string | null>): string {
  const root = join(scratch, String(counter++));
  const dockerfiles = Object.keys(files)
    .filter((path) => path.endsWith("/slipway.service.yaml"))
    .map((path): [string, string] => [path.replace(/slipway\.service\.yaml$/, "Dockerfile"), "FROM scratch\n"]);
  for (const [path, text] of Object.entries({ "slipway.yaml": SYSTEM, ...Object.fromEntries(dockerfiles), ...files })) {
    if (text === null) continue;
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return join(root, "slipway.yaml");
}

async function problemsOf(files: Record<string, string | null>): Promise<string[]> {
  try {
    await loadSystem(writeSystem(files));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    // Positions relative to the system root keep the expectations short.
    return err.problems.map((p) => `${formatPosition(p.position).replace(/^.*?\/\d+\//, "")} ${p.path}: ${p.message}${p.hint ? ` | ${p.hint}` : ""}`);
  }
  assert.fail("expected configuration errors, got none");
}

describe("loadSystem", () => {
  it("loads a valid system with defaults filled in and services in dependency order", async () => {
    const system = await loadSystem(
      writeSystem({
        "services/web/slipway.service.yaml": service("web", "dependsOn: [api]\n"),
        "services/api/slipway.service.yaml": service("api"),
      }),
    );
    assert.deepEqual(system.graph.topologicalOrder(), ["api", "web"]);
    const web = system.services.find((s) => s.config.name === "web");
    assert.equal(web?.config.replicas, 1);
    assert.equal(web?.config.readiness.periodSeconds, 10);
    assert.deepEqual(web?.config.strategy.rolling?.maxSurge, "25%");
    assert.equal(system.config.conventions.tags.dev, "{version}-dev.{n}");
    assert.ok(system.stateDir.endsWith(".slipway"));
  });

  it("loads teams and release policies, keeping freeze times as written", async () => {
    const system = await loadSystem(
      writeSystem({
        "slipway.yaml":
          SYSTEM +
          "teams:\n  team-api: [alice@shop.example, bob]\n" +
          POLICY +
          "  freeze:\n    - { from: 2025-12-20T00:00:00Z, to: 2025-12-27T00:00:00+01:00, reason: holidays, allow: [patch] }\n",
        "services/api/slipway.service.yaml": service("api", "tier: critical\nreleasePolicy:\n  major: { approvals: 1, requireStrategy: any }\n"),
      }),
    );
    assert.deepEqual(system.config.teams, { "team-api": ["alice@shop.example", "bob"] });
    assert.deepEqual(system.config.releasePolicy?.freeze, [{ from: "2025-12-20T00:00:00Z", to: "2025-12-27T00:00:00+01:00", reason: "holidays", allow: ["patch"] }]);
    assert.deepEqual(system.config.releasePolicy?.default, {});
    assert.equal(system.services[0]?.config.tier, "critical");
  });

  it("reads durations in seconds or with units (ms, s, m, h), as seconds", async () => {
    const system = await loadSystem(
      writeSystem({
        "services/a/slipway.service.yaml": service(
          "a",
          "analysis:\n  metrics:\n    - { name: errors, provider: { router: { metric: errorRate } }, successCondition: result < 0.01, interval: 5s }\n" +
            "strategy:\n  canary:\n    steps: [{ setWeight: 10 }, { pause: { duration: 1m30s } }, { analysis: { metrics: [errors] } }]\n    scaleDownDelaySeconds: 500ms\n" +
            "terminationGracePeriodSeconds: 2m\n",
        ).replace("http: { path: /healthz }", "http: { path: /healthz }\n  periodSeconds: 0.5"),
      }),
    );
    const a = system.services[0]?.config;
    assert.equal(a?.analysis?.metrics[0]?.interval, 5);
    assert.equal(a?.strategy.canary?.steps[1]?.pause?.duration, 90);
    assert.equal(a?.strategy.canary?.scaleDownDelaySeconds, 0.5);
    assert.equal(a?.terminationGracePeriodSeconds, 120);
    assert.equal(a?.readiness.periodSeconds, 0.5);
  });

  it("warns about secrets written as literals in env, pointing at fromEnv, without printing them", async () => {
    const files = {
      "services/a/slipway.service.yaml": service("a", "env:\n  LOG_LEVEL: info\n  DB_PASSWORD: hunter2\n  DATABASE_URL: postgres://app:hunter2@db/app\n  API_TOKEN: { fromEnv: A_TOKEN }\n"),
    };
    const system = await loadSystem(writeSystem(files));
    const warnings = system.warnings.map((w) => `${formatPosition(w.position).replace(/^.*?\/\d+\//, "")} ${w.path}: ${w.message} | ${w.hint ?? ""}`);
    assert.deepEqual(warnings, [
      "services/a/slipway.service.yaml:9:16 env.DB_PASSWORD: looks like a secret written as a literal (its name says it holds a secret): it is stored in plain text in the state store, system locks and rendered manifests | export it on the host and write DB_PASSWORD: { fromEnv: DB_PASSWORD }; slipway reads it at deploy time and never stores or prints it",
      "services/a/slipway.service.yaml:10:17 env.DATABASE_URL: looks like a secret written as a literal (its URL carries a password): it is stored in plain text in the state store, system locks and rendered manifests | export it on the host and write DATABASE_URL: { fromEnv: DATABASE_URL }; slipway reads it at deploy time and never stores or prints it",
    ]);
    assert.ok(!JSON.stringify(system.warnings).includes("hunter2"));
    // Beside errors, the warnings still come with the error.
    await assert.rejects(loadSystem(writeSystem({ ...files, "services/b/slipway.service.yaml": service("b", "replica: 2\n") })), (err: unknown) => err instanceof ConfigError && err.warnings.length === 2 && /\n2 warnings:\n/.test(err.explain()));
  });

  it("finds slipway.yaml from a folder below it", async () => {
    const file = writeSystem({ "services/api/slipway.service.yaml": service("api") });
    const system = await loadSystem(join(dirname(file), "services", "api"));
    assert.equal(system.config.system, "shop");
  });

  it("says where to look when there is no slipway.yaml", async () => {
    const empty = mkdtempSync(join(scratch, "empty-"));
    await assert.rejects(loadSystem(empty), (err: unknown) => err instanceof SlipwayError && err.code === "CONFIG_NOT_FOUND");
  });

  // One row per class of error: the files, and the exact problems with their positions.
  const rows: { name: string; files: Record<string, string | null>; expected: string[] }[] = [
    {
      name: "YAML syntax error",
      files: { "services/api/slipway.service.yaml": "name: api\nowners: [a\n" },
      expected: [/services\/api\/slipway.service.yaml:3:1 : YAML: Flow sequence in block collection must be sufficiently indented/.source],
    },
    {
      name: "misspelled key, with a did-you-mean",
      files: { "services/api/slipway.service.yaml": service("api", "replica: 2\n") },
      expected: ['services/api/slipway.service.yaml:7:1 replica: unknown field "replica" | did you mean "replicas"?'],
    },
    {
      name: "wrong type, saying what was expected and what was found",
      files: { "services/api/slipway.service.yaml": service("api").replace("port: 8080", 'port: "8080"') },
      expected: ['services/api/slipway.service.yaml:4:7 port: expected a number, found string "8080"'],
    },
    {
      name: "missing required field points at the object that lacks it",
      files: { "services/api/slipway.service.yaml": service("api").replace("port: 8080\n", "") },
      expected: ["services/api/slipway.service.yaml:1:1 port: is required (expected a number)"],
    },
    {
      name: "enum value with a did-you-mean",
      files: { "slipway.yaml": SYSTEM.replace("{ name: test, registry: dev }", "{ name: test, registry: dev, runtime: dokcer }"), "services/api/slipway.service.yaml": service("api") },
      expected: ['slipway.yaml:6:43 environments[0].runtime: expected one of "docker", "kubernetes", found string "dokcer" | did you mean "docker"?'],
    },
    {
      name: "value out of range",
      files: { "services/api/slipway.service.yaml": service("api", "strategy:\n  canary:\n    steps:\n      - setWeight: 101\n") },
      expected: ["services/api/slipway.service.yaml:10:20 strategy.canary.steps[0].setWeight: must be at most 100, found number 101"],
    },
    {
      name: "autoPromotionSeconds beside autoPromote: false (Argo Rollouts would ignore it silently)",
      files: { "services/api/slipway.service.yaml": service("api", "strategy:\n  blueGreen: { autoPromote: false, autoPromotionSeconds: 10 }\n") },
      expected: [
        "services/api/slipway.service.yaml:8:58 strategy.blueGreen.autoPromotionSeconds: has no effect with autoPromote: false (the switch then waits for `slipway rollout promote`); remove `autoPromote: false` to switch automatically after it, or remove autoPromotionSeconds",
      ],
    },
    {
      name: "a probe must be exactly one kind",
      files: { "services/api/slipway.service.yaml": service("api").replace("http: { path: /healthz }", "http: { path: /healthz }\n  tcp: {}") },
      expected: ["services/api/slipway.service.yaml:6:3 readiness: has http and tcp; a probe is exactly one of http, tcp or exec"],
    },
    {
      name: "credentials only by env-var name",
      files: { "slipway.yaml": SYSTEM.replace("dev: { url: 127.0.0.1:5101 }", "dev: { url: 127.0.0.1:5101, credentials: { usernameEnv: ci, passwordEnv: hunter 2 } }"), "services/api/slipway.service.yaml": service("api") },
      expected: ['slipway.yaml:3:76 registries.dev.credentials.passwordEnv: must be an environment variable name such as REGISTRY_PASSWORD, found string "hunter 2"'],
    },
    {
      name: "unknown dependsOn target, with a did-you-mean",
      files: { "services/api/slipway.service.yaml": service("api", "dependsOn: [dbb]\n"), "services/db/slipway.service.yaml": service("db") },
      expected: ['services/api/slipway.service.yaml:7:13 dependsOn[0]: unknown service "dbb" | did you mean "db"?'],
    },
    {
      name: "dependency cycle, printed",
      files: {
        "services/a/slipway.service.yaml": service("a", "dependsOn: [b]\n"),
        "services/b/slipway.service.yaml": service("b", "dependsOn: [c]\n"),
        "services/c/slipway.service.yaml": service("c", "dependsOn: [a]\n"),
      },
      expected: ["services/a/slipway.service.yaml:7:13 dependsOn[0]: dependency cycle: a → b → c → a | remove one of these dependsOn entries"],
    },
    {
      name: "build dependency cycle and unknown build dependency",
      files: {
        "services/a/slipway.service.yaml": service("a").replace("build: { image: node:20-bookworm-slim }", "build: { image: node:20-bookworm-slim, dependsOn: [b, zz] }"),
        "services/b/slipway.service.yaml": service("b").replace("build: { image: node:20-bookworm-slim }", "build: { image: node:20-bookworm-slim, dependsOn: [a] }"),
      },
      expected: [
        "services/a/slipway.service.yaml:3:52 build.dependsOn[0]: dependency cycle: a → b → a | remove one of these build.dependsOn entries",
        'services/a/slipway.service.yaml:3:55 build.dependsOn[1]: unknown service "zz" | known services: a, b',
      ],
    },
    {
      name: "duplicate service names",
      files: { "services/a/slipway.service.yaml": service("api"), "services/b/slipway.service.yaml": service("api") },
      expected: [/services\/b\/slipway.service.yaml:1:7 name: service name "api" is already used by .*services\/a\/slipway.service.yaml:1:7/.source],
    },
    {
      name: "clashing endpoint ports",
      files: { "services/a/slipway.service.yaml": service("a", "endpoint: { port: 9000 }\n"), "services/b/slipway.service.yaml": service("b", "endpoint: { port: 9000 }\n") },
      expected: [
        'services/b/slipway.service.yaml:7:19 endpoint.port: port 9000 for service "b" in environment "test" clashes with service "a" in environment "test" | choose another endpoint.port, or another port for service "a"',
        'services/b/slipway.service.yaml:7:19 endpoint.port: port 10000 for service "b" in environment "prod" clashes with service "a" in environment "prod" | choose another endpoint.port, or another port for service "a"',
      ],
    },
    {
      name: "a preview port on another service's endpoint",
      files: { "services/a/slipway.service.yaml": service("a", "endpoint: { port: 9000 }\n"), "services/b/slipway.service.yaml": service("b", "endpoint: { port: 9100, previewPort: 9000 }\n") },
      expected: [
        'services/b/slipway.service.yaml:7:38 endpoint.previewPort: port 9000 for the preview of service "b" in environment "test" clashes with service "a" in environment "test" | choose another endpoint.previewPort, or another port for service "a"',
        'services/b/slipway.service.yaml:7:38 endpoint.previewPort: port 10000 for the preview of service "b" in environment "prod" clashes with service "a" in environment "prod" | choose another endpoint.previewPort, or another port for service "a"',
      ],
    },
    {
      name: "an endpoint on a router's control port",
      files: {
        "slipway.yaml": SYSTEM.replace("{ name: test, registry: dev }", "{ name: test, registry: dev, routerPort: 5000 }"),
        "services/a/slipway.service.yaml": service("a", "endpoint: { port: 5000 }\n"),
      },
      expected: [
        'services/a/slipway.service.yaml:7:19 endpoint.port: port 5000 for service "a" in environment "test" clashes with the router of environment "test" | choose another endpoint.port, or set routerPort on environment "test" in slipway.yaml',
      ],
    },
    {
      name: "a default preview port on another environment's router",
      files: {
        "slipway.yaml": SYSTEM.replace("{ name: prod, registry: prod }", "{ name: prod, registry: prod, routerPort: 19000 }"),
        "services/a/slipway.service.yaml": service("a", "endpoint: { port: 9000 }\nstrategy: { blueGreen: {} }\n"),
      },
      expected: [
        'services/a/slipway.service.yaml:7:19 endpoint.previewPort: port 19000 for the preview of service "a" in environment "test" clashes with the router of environment "prod" | set endpoint.previewPort (default: the endpoint port + 10000), or set routerPort on environment "prod" in slipway.yaml',
      ],
    },
    {
      name: "two environments on one router port",
      files: {
        "slipway.yaml": SYSTEM.replace("{ name: test, registry: dev }", "{ name: test, registry: dev, routerPort: 7000 }").replace("{ name: prod, registry: prod }", "{ name: prod, registry: prod, routerPort: 7000 }"),
        "services/a/slipway.service.yaml": service("a"),
      },
      expected: ['slipway.yaml:7:47 environments[1].routerPort: port 7000 for the router of environment "prod" clashes with the router of environment "test" | give each environment its own routerPort'],
    },
    {
      name: "two environments on one portOffset: one problem at the offset, not one per service",
      files: {
        "slipway.yaml": SYSTEM.replace("{ name: test, registry: dev }", "{ name: test, registry: dev, portOffset: 0 }").replace("{ name: prod, registry: prod }", "{ name: prod, registry: prod, portOffset: 0 }"),
        "services/a/slipway.service.yaml": service("a", "endpoint: { port: 9000 }\n"),
        "services/b/slipway.service.yaml": service("b", "endpoint: { port: 9100 }\n"),
        "services/c/slipway.service.yaml": service("c"),
      },
      expected: [
        'slipway.yaml:7:47 environments[1].portOffset: environment "prod" puts its ports on those of environment "test" (portOffset 0, "test" 0): port 1999 for the router of environment "prod" (portOffset + 1999) is also the router of environment "test" (portOffset + 1999) (and 3 more ports) | give environment "prod" a portOffset that keeps its ports apart, e.g. portOffset: 1000',
      ],
    },
    {
      name: "environments whose default offsets put one's endpoints on the other's",
      files: { "services/a/slipway.service.yaml": service("a", "endpoint: { port: 5000 }\n"), "services/b/slipway.service.yaml": service("b", "endpoint: { port: 6000 }\n") },
      expected: [
        'slipway.yaml:7:13 environments[1].portOffset: environment "prod" puts its ports on those of environment "test" (portOffset 1000 by default, "test" 0): port 6000 for service "a" in environment "prod" is also service "b" in environment "test" | give environment "prod" a portOffset that keeps its ports apart, e.g. portOffset: 2000',
      ],
    },
    {
      name: "an endpoint port above 65535 once offset",
      files: { "slipway.yaml": SYSTEM.replace("{ name: prod, registry: prod }", "{ name: prod, registry: prod, portOffset: 60000 }"), "services/a/slipway.service.yaml": service("a", "endpoint: { port: 9000 }\n") },
      expected: [
        `services/a/slipway.service.yaml:7:19 endpoint.port: in environment "prod": a's endpoint would be port 69000, above 65535 | lower endpoint.port, or the portOffset of environment "prod" in slipway.yaml`,
      ],
    },
    {
      name: "an unquoted version YAML reads as a number, with how to quote it",
      files: { "services/a/slipway.service.yaml": service("a", "version: 1.0\n") },
      expected: ['services/a/slipway.service.yaml:7:10 version: expected a string, found number 1.0 | YAML reads 1.0 as a number; write a semantic version in quotes, e.g. version: "1.0.0"'],
    },
    {
      name: "a yes-like word where a string is wanted",
      files: { "services/a/slipway.service.yaml": service("a", "build: { image: node:20-bookworm-slim, commands: [true] }\n").replace("build: { image: node:20-bookworm-slim }\n", "") },
      expected: ['services/a/slipway.service.yaml:6:51 build.commands[0]: expected a string, found boolean true | YAML reads true as a boolean; quote it: "true"'],
    },
    {
      name: "a misspelled team among the owners, with a did-you-mean",
      files: { "slipway.yaml": SYSTEM + "teams:\n  team-payments: [alice@shop.example, bob@shop.example]\n", "services/a/slipway.service.yaml": service("a").replace("[team-a]", "[team-paymnts, carol@shop.example]") },
      expected: ['services/a/slipway.service.yaml:2:10 owners[0]: "team-paymnts" is not a team of slipway.yaml | did you mean "team-payments"? (a person who owns the service is written as an e-mail address)'],
    },
    {
      name: "a duration that is neither seconds nor a number with a unit",
      files: { "services/a/slipway.service.yaml": service("a").replace("http: { path: /healthz }", "http: { path: /healthz }\n  periodSeconds: 5 sec") },
      expected: ['services/a/slipway.service.yaml:7:18 readiness.periodSeconds: must be a duration: seconds as a number (30) or with a unit ("500ms", "30s", "5m", "1h"), found string "5 sec"'],
    },
    {
      name: "a zero duration where it must be positive, also with a unit",
      files: { "services/a/slipway.service.yaml": service("a").replace("http: { path: /healthz }", "http: { path: /healthz }\n  periodSeconds: 0s") },
      expected: ['services/a/slipway.service.yaml:7:18 readiness.periodSeconds: must be more than 0, found string "0s"'],
    },
    {
      name: "a nested mapping as an env value",
      files: { "services/a/slipway.service.yaml": service("a", "env:\n  DB: { host: db, port: 5432 }\n") },
      expected: ['services/a/slipway.service.yaml:8:7 env.DB: a nested mapping (host, port) is not an environment variable value; give each value its own variable, or quote the whole value as one string (a value is a string, number or boolean, or { fromEnv: HOST_VARIABLE } to read a secret from the host)'],
    },
    {
      name: "a secret reference with more beside it, and an env value that is a list",
      files: { "services/a/slipway.service.yaml": service("a", "env:\n  DB_PASSWORD: { fromEnv: DB_PASSWORD, default: x }\n  HOSTS: [a, b]\n") },
      expected: [
        'services/a/slipway.service.yaml:8:40 env.DB_PASSWORD.default: unknown field "default" | allowed here: fromEnv',
        'services/a/slipway.service.yaml:9:10 env.HOSTS: a list is not an environment variable value; write it as one string, e.g. "a,b,c" (a value is a string, number or boolean, or { fromEnv: HOST_VARIABLE } to read a secret from the host)',
      ],
    },
    {
      name: "an integration test naming an unknown service",
      files: { "slipway.yaml": SYSTEM + "integrationTests:\n  - name: smoke\n    http: { service: aa, path: /healthz }\n", "services/a/slipway.service.yaml": service("a") },
      expected: ['slipway.yaml:11:22 integrationTests[0].http.service: unknown service "aa" | did you mean "a"?'],
    },
    {
      name: "load tests: an unknown target service and a duplicate scenario name",
      files: {
        "slipway.yaml": SYSTEM + "loadTests:\n  - name: get\n    target: { service: aa, path: / }\n  - name: get\n    target: { service: a, path: / }\n",
        "services/a/slipway.service.yaml": service("a"),
      },
      expected: ['slipway.yaml:11:24 loadTests[0].target.service: unknown service "aa" | did you mean "a"?', 'slipway.yaml:12:11 loadTests[1].name: load test "get" is defined twice; give each scenario its own name'],
    },
    {
      name: "a load test longer than the bound",
      files: { "slipway.yaml": SYSTEM + "loadTests:\n  - name: get\n    target: { service: a, path: / }\n    durationSeconds: 600\n", "services/a/slipway.service.yaml": service("a") },
      expected: ["slipway.yaml:12:22 loadTests[0].durationSeconds: must be at most 300, found number 600"],
    },
    {
      name: "a readiness probe on another port where instances run on the host network",
      files: { "services/a/slipway.service.yaml": service("a").replace("http: { path: /healthz }", "http: { path: /healthz, port: 9090 }") },
      expected: ['services/a/slipway.service.yaml:6:33 readiness.http.port: probes port 9090, but in test, prod (network: host) an instance listens only on the port slipway gives it in PORT | drop readiness.http.port to probe the service port, or set network: bridge on those environments in slipway.yaml'],
    },
    {
      name: "registries on the same port",
      files: { "slipway.yaml": SYSTEM.replace("5102", "5101"), "services/a/slipway.service.yaml": service("a") },
      expected: ["slipway.yaml:4:16 registries.prod.url: port 5101 for the prod registry clashes with the dev registry | give each registry its own port"],
    },
    {
      name: "a naming template that is not immutable",
      files: { "slipway.yaml": SYSTEM + "conventions:\n  tags:\n    immutable: 'v{version}'\n", "services/a/slipway.service.yaml": service("a") },
      expected: ['slipway.yaml:11:16 conventions.tags.immutable: "v{version}": an immutable tag must contain {hash} or {commit}, or two builds would share it'],
    },
    {
      name: "a services pattern that matches nothing",
      files: { "slipway.yaml": SYSTEM.replace("[services/*]", "[services/*, apps/*]"), "services/a/slipway.service.yaml": service("a") },
      expected: ['slipway.yaml:8:24 services[1]: "apps/*" matches no folder with a slipway.service.yaml | give a path or glob relative to slipway.yaml, e.g. services/*'],
    },
    {
      name: "unknown analysis metric",
      files: {
        "services/a/slipway.service.yaml": service(
          "a",
          "analysis:\n  metrics:\n    - name: error-rate\n      provider: { router: { metric: errorRate } }\nstrategy:\n  canary:\n    steps:\n      - analysis: { metrics: [eror-rate] }\n",
        ),
      },
      expected: ['services/a/slipway.service.yaml:14:31 strategy.canary.steps[0].analysis.metrics[0]: unknown analysis metric "eror-rate" | did you mean "error-rate"?'],
    },
    {
      name: "a condition with a syntax error, at its column",
      files: { "services/a/slipway.service.yaml": service("a", metric("successCondition: result <")) },
      expected: [`services/a/slipway.service.yaml:11:33 analysis.metrics[0].successCondition: expected a value (a number, a string, result, baseline, a function or "("), found the end of the condition | ${CONDITION_HINT}`],
    },
    {
      name: "a condition naming an unknown variable, with a did-you-mean",
      files: { "services/a/slipway.service.yaml": service("a", metric('successCondition: "reslt < 0.01"')) },
      expected: [`services/a/slipway.service.yaml:11:26 analysis.metrics[0].successCondition: unknown name "reslt" (did you mean result?); a condition reads result and baseline | ${CONDITION_HINT}`],
    },
    {
      name: "a condition that indexes a router metric's number",
      files: { "services/a/slipway.service.yaml": service("a", metric("failureCondition: result[0] > 0.05")) },
      expected: [`services/a/slipway.service.yaml:11:25 analysis.metrics[0].failureCondition: result is a number here, which cannot be indexed | ${CONDITION_HINT}`],
    },
    {
      name: "a condition that is a number, not true or false",
      files: { "services/a/slipway.service.yaml": service("a", metric("successCondition: result")) },
      expected: [`services/a/slipway.service.yaml:11:25 analysis.metrics[0].successCondition: a condition must be true or false, but this one is a number (compare it, e.g. result < 0.01) | ${CONDITION_HINT}`],
    },
    {
      name: "a condition comparing a router metric's number with a string",
      files: { "services/a/slipway.service.yaml": service("a", metric("successCondition: result < 0.01 || result == 'none'")) },
      expected: [`services/a/slipway.service.yaml:11:42 analysis.metrics[0].successCondition: result is a number and "none" is a string, so == is always false | ${CONDITION_HINT}`],
    },
    {
      name: "a job metric's condition reading a baseline it never has",
      files: { "services/a/slipway.service.yaml": service("a", metric("successCondition: result == true && baseline", "{ job: { image: debian:bookworm-slim, command: ['true'] } }")) },
      expected: ["services/a/slipway.service.yaml:11:43 analysis.metrics[0].successCondition: reads baseline, but a job metric's result is whether its container exited 0 | compare result with true or false"],
    },
    {
      name: "a condition the router's judge never evaluates",
      files: { "services/a/slipway.service.yaml": service("a", metric("successCondition: result < 1.5", "{ router: { metric: latencyP95, compareWithStable: true } }")) },
      expected: ["services/a/slipway.service.yaml:11:25 analysis.metrics[0].successCondition: is never evaluated: with compareWithStable: true the router judges the canary against the stable itself | remove successCondition, or set compareWithStable: false to judge by it"],
    },
    {
      name: "latency judge settings on an error-rate metric",
      files: { "services/a/slipway.service.yaml": service("a", metric("interval: 1", "{ router: { metric: errorRate, compareWithStable: true, judge: { minDifferenceMs: 50 } } }")) },
      expected: ["services/a/slipway.service.yaml:10:27 analysis.metrics[0].provider.router: maxRatio and minDifferenceMs judge latencies, not errorRate: judge an error rate with tolerance and confidence"],
    },
    {
      name: "a misspelled placeholder in a Prometheus query",
      files: { "services/a/slipway.service.yaml": service("a", metric("successCondition: result[0] < 0.01", "{ prometheus: { address: 'http://127.0.0.1:9090', query: 'rate(errors{rev=\"{{revison}}\"}[1m])' } }")) },
      expected: ['services/a/slipway.service.yaml:10:92 analysis.metrics[0].provider.prometheus.query: {{revison}} is not a placeholder slipway fills | did you mean {{revision}}?'],
    },
    {
      name: "a metric defined twice, and named twice in one analysis",
      files: {
        "services/a/slipway.service.yaml": service(
          "a",
          metric("successCondition: result < 0.01") +
            "    - { name: errors, provider: { router: { metric: errorRate } } }\nstrategy:\n  canary:\n    steps:\n      - analysis: { metrics: [errors, errors] }\n",
        ),
      },
      expected: [
        'services/a/slipway.service.yaml:12:15 analysis.metrics[1].name: metric "errors" is defined twice (first at analysis.metrics[0]) | give each metric its own name',
        'services/a/slipway.service.yaml:16:39 strategy.canary.steps[0].analysis.metrics[1]: names metric "errors" twice | name each metric once per analysis',
      ],
    },
    {
      name: "a deleted Dockerfile",
      files: { "services/a/slipway.service.yaml": service("a"), "services/a/Dockerfile": null },
      expected: ["services/a/slipway.service.yaml:1:1 image.dockerfile: the Dockerfile services/a/Dockerfile does not exist | add a Dockerfile to services/a, or set image.dockerfile to the one the service uses (relative to image.context)"],
    },
    {
      name: "image.dockerfile naming a file that does not exist, a context that is no folder, a build input that is not there",
      files: {
        "services/a/slipway.service.yaml": service("a", "image: { dockerfile: docker/Dockerfile.prod }\n").replace("build: { image: node:20-bookworm-slim }", "build: { image: node:20-bookworm-slim, inputs: [libs/geo] }"),
        "services/b/slipway.service.yaml": service("b", "image: { context: app }\n"),
      },
      expected: [
        "services/a/slipway.service.yaml:3:49 build.inputs[0]: the build input libs/geo does not exist | build.inputs are paths relative to slipway.yaml",
        "services/a/slipway.service.yaml:7:22 image.dockerfile: the Dockerfile services/a/docker/Dockerfile.prod does not exist | set image.dockerfile to a file relative to image.context (services/a)",
        "services/b/slipway.service.yaml:7:19 image.context: the image context services/b/app is not a folder | set image.context to a folder relative to the service's folder (default: the service's folder)",
      ],
    },
    {
      name: "unknown release tier, with a did-you-mean",
      files: { "slipway.yaml": SYSTEM + TEAM_A + POLICY, "services/a/slipway.service.yaml": service("a", "tier: critcal\n") },
      expected: ['services/a/slipway.service.yaml:7:7 tier: unknown tier "critcal" | did you mean "critical"?'],
    },
    {
      name: "a tier when slipway.yaml defines none",
      files: { "services/a/slipway.service.yaml": service("a", "tier: critical\n") },
      expected: ['services/a/slipway.service.yaml:7:7 tier: unknown tier "critical" | define it under releasePolicy.tiers in slipway.yaml'],
    },
    {
      name: "a team without members",
      files: { "slipway.yaml": SYSTEM + "teams:\n  team-a: []\n", "services/a/slipway.service.yaml": service("a") },
      expected: ['slipway.yaml:10:11 teams.team-a: team "team-a" has no members | list its people (e-mail addresses or user names), or remove the team'],
    },
    {
      name: "a freeze window that ends before it starts",
      files: {
        "slipway.yaml": SYSTEM + TEAM_A + "releasePolicy:\n  freeze:\n    - { from: 2025-12-27T00:00:00Z, to: 2025-12-20T00:00:00Z, reason: holidays }\n",
        "services/a/slipway.service.yaml": service("a"),
      },
      expected: ["slipway.yaml:13:41 releasePolicy.freeze[0].to: the freeze ends (2025-12-20T00:00:00Z) before it starts (2025-12-27T00:00:00Z) | set `to` after `from`"],
    },
    {
      name: "a freeze date without a zone",
      files: { "slipway.yaml": SYSTEM + "releasePolicy:\n  freeze:\n    - { from: 2025-12-20, to: 2025-12-27T00:00:00Z, reason: holidays }\n", "services/a/slipway.service.yaml": service("a") },
      expected: ['slipway.yaml:11:15 releasePolicy.freeze[0].from: must be an ISO 8601 date-time with a zone, such as 2025-12-20T00:00:00Z, found string "2025-12-20"'],
    },
    {
      name: "a misspelled rule field and an unknown CI stage",
      files: { "slipway.yaml": SYSTEM + "releasePolicy:\n  default:\n    minor: { aprovals: 1 }\n    requireStages: [build, unit-tests]\n", "services/a/slipway.service.yaml": service("a") },
      expected: [
        'slipway.yaml:11:14 releasePolicy.default.minor.aprovals: unknown field "aprovals" | did you mean "approvals"?',
        'slipway.yaml:12:28 releasePolicy.default.requireStages[1]: expected one of "build", "unit-test", "image", "container-test", "push", "integration-test", "load-test", "compatibility", found string "unit-tests" | did you mean "unit-test"?',
      ],
    },
    {
      name: "a major release needing more owner approvals than the owners are people",
      files: { "slipway.yaml": SYSTEM + "teams:\n  team-a: [alice@shop.example]\n" + POLICY, "services/a/slipway.service.yaml": service("a") },
      expected: [
        "services/a/slipway.service.yaml:2:9 owners: service \"a\": a major release needs 2 approvals from its owners, but its owners (team-a) are 1 person | add people to its owners or their teams in slipway.yaml, or lower releasePolicy.default.major.approvals (built-in default); keep more owners than approvals, since no one approves their own release",
      ],
    },
    {
      name: "one approval that owners who are no one cannot give (singular)",
      files: { "slipway.yaml": SYSTEM + "teams:\n  team-a: []\n" + POLICY, "services/a/slipway.service.yaml": service("a", "releasePolicy:\n  major: { approvals: 1 }\n") },
      expected: [
        "services/a/slipway.service.yaml:2:9 owners: service \"a\": a major release needs 1 approval from its owners, but its owners (team-a) are 0 people | add people to its owners or their teams in slipway.yaml, or lower releasePolicy.major.approvals in slipway.service.yaml; keep more owners than approvals, since no one approves their own release",
        "services/a/slipway.service.yaml:2:9 owners: service \"a\": a minor release needs 1 approval from its owners, but its owners (team-a) are 0 people | add people to its owners or their teams in slipway.yaml, or lower releasePolicy.default.minor.approvals (built-in default); keep more owners than approvals, since no one approves their own release",
        'slipway.yaml:10:11 teams.team-a: team "team-a" has no members | list its people (e-mail addresses or user names), or remove the team',
      ],
    },
    {
      name: "a service's own policy needing more approvals than its owners can give",
      files: {
        "slipway.yaml": SYSTEM + "teams:\n  team-a: [alice@shop.example, bob@shop.example, Alice@shop.example]\n",
        "services/a/slipway.service.yaml": service("a", "releasePolicy:\n  minor: { approvals: 3 }\n"),
      },
      expected: [
        "services/a/slipway.service.yaml:2:9 owners: service \"a\": a minor release needs 3 approvals from its owners, but its owners (team-a) are 2 people | add people to its owners or their teams in slipway.yaml, or lower releasePolicy.minor.approvals in slipway.service.yaml; keep more owners than approvals, since no one approves their own release",
      ],
    },
    {
      name: "a promotedFrom naming no environment, with did-you-mean",
      files: { "slipway.yaml": SYSTEM.replace("{ name: prod, registry: prod }", "{ name: prod, registry: prod, promotedFrom: tset }"), "services/a/slipway.service.yaml": service("a") },
      expected: ['slipway.yaml:7:49 environments[1].promotedFrom: there is no environment "tset" to promote "prod" from | did you mean "test"?'],
    },
    {
      name: "a promotion cycle",
      files: {
        "slipway.yaml": SYSTEM.replace("{ name: prod, registry: prod }", "{ name: staging, registry: dev, promotedFrom: prod }\n  - { name: prod, registry: prod, promotedFrom: staging }"),
        "services/a/slipway.service.yaml": service("a"),
      },
      expected: ['slipway.yaml:7:51 environments[1].promotedFrom: promotion cycle: staging → prod → staging | each environment is promoted from one earlier in the path; the first environment is the root'],
    },
    {
      name: "a rule naming an unknown kind of evidence",
      files: { "slipway.yaml": SYSTEM.replace("{ name: prod, registry: prod }", "{ name: prod, registry: prod, promotion: { requirePassed: [integration-tests] } }"), "services/a/slipway.service.yaml": service("a") },
      expected: ['slipway.yaml:7:64 environments[1].promotion.requirePassed[0]: expected one of "integration-test", "load-test", "compatibility", found string "integration-tests" | did you mean "integration-test"?'],
    },
    {
      name: "a rule requiring evidence the system has no tests for, and a soak metric no service defines",
      files: {
        "slipway.yaml": SYSTEM.replace("{ name: prod, registry: prod }", "{ name: prod, registry: prod, promotion: { requirePassed: [load-test], soak: { minutes: 5, analysis: { metrics: [error] } } } }"),
        "services/a/slipway.service.yaml": service("a", metric("successCondition: result < 0.01")),
      },
      expected: [
        'slipway.yaml:7:64 environments[1].promotion.requirePassed[0]: load-test can never pass: slipway.yaml has no loadTests for `slipway loadtest --env` to run | add loadTests, or remove "load-test"',
        'slipway.yaml:7:118 environments[1].promotion.soak.analysis.metrics[0]: no service defines the analysis metric "error" | did you mean "errors"?',
      ],
    },
    {
      name: "a soak metric that is not a router metric (a soak judges its window from the router's counters)",
      files: {
        "slipway.yaml": SYSTEM.replace("{ name: prod, registry: prod }", "{ name: prod, registry: prod, promotion: { soak: { minutes: 5, analysis: { metrics: [errors] } } } }"),
        "services/a/slipway.service.yaml": service("a", metric("successCondition: result == true", "{ web: { url: http://127.0.0.1:9/ok, jsonPath: $.ok } }")),
      },
      expected: ['slipway.yaml:7:90 environments[1].promotion.soak.analysis.metrics[0]: "errors" is not a router metric; a soak is judged over its window from the router\'s counters | name a router metric (provider: { router: … })'],
    },
    {
      name: "a service of a Kubernetes environment on a port the gateway does not listen on, with a free one to take",
      files: { "slipway.yaml": withK8s("{ a: 23085 }"), "services/a/slipway.service.yaml": service("a"), "services/b/slipway.service.yaml": service("b") },
      expected: [
        'slipway.yaml:8:13 environments[2].endpointPorts.b: service "b" would listen on port 5077 (its derived endpoint port), which is not one of the gateway\'s listener ports (23085-23089) in Kubernetes environment "k8s" | add endpointPorts: { b: 23086 } on environment "k8s"',
      ],
    },
    {
      name: "endpointPorts naming no service, and two services on one Gateway listener",
      files: { "slipway.yaml": withK8s("{ a: 23085, b: 23085, bee: 23087 }"), "services/a/slipway.service.yaml": service("a"), "services/b/slipway.service.yaml": service("b") },
      expected: [
        'slipway.yaml:8:84 environments[2].endpointPorts.b: service "b" and service "a" would share the Gateway listener on port 23085 in environment "k8s"; the gateway gives hostname-less routes on one port to one route only | set endpointPorts: { b: 23086 } on environment "k8s"',
        'slipway.yaml:8:96 environments[2].endpointPorts.bee: unknown service "bee" | known services: a, b',
      ],
    },
  ];

  for (const row of rows) {
    it(`reports ${row.name}`, async () => {
      const problems = await problemsOf(row.files);
      assert.equal(problems.length, row.expected.length, `got:\n${problems.join("\n")}`);
      row.expected.forEach((expected, i) => {
        const actual = problems[i] ?? "";
        if (expected.includes("\\") || expected.includes(".*")) assert.match(actual, new RegExp(expected));
        else assert.equal(actual, expected);
      });
    });
  }

  it("does not call a service unknown because its own file has errors", async () => {
    const problems = await problemsOf({
      "services/a/slipway.service.yaml": service("a", "replica: 2\n"),
      "services/b/slipway.service.yaml": service("b", "dependsOn: [a]\n"),
    });
    assert.deepEqual(problems, ['services/a/slipway.service.yaml:7:1 replica: unknown field "replica" | did you mean "replicas"?']);
  });

  it("reports a YAML syntax error alone, not also an unknown service where others depend on it", async () => {
    const dependents = {
      "services/web/slipway.service.yaml": service("web", "dependsOn: [api]\n"),
      "services/jobs/slipway.service.yaml": service("jobs").replace("build: { image: node:20-bookworm-slim }", "build: { image: node:20-bookworm-slim, dependsOn: [api] }"),
      "slipway.yaml": SYSTEM + "integrationTests:\n  - { name: smoke, http: { service: api, path: /healthz } }\n",
    };
    // The name above the error is read from what parsed; below it, or swallowed by an open quote, no name is known.
    for (const broken of ["name: api\nowners: [a\n", "owners: [a]\n\tname: api\n", "name: 'api\nowners: [a]\n"]) {
      const problems = await problemsOf({ ...dependents, "services/api/slipway.service.yaml": broken });
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.match(problems[0] ?? "", /^services\/api\/slipway.service.yaml:\d+:\d+ : YAML: /);
    }
  });

  it("reports every error of every file in one run, in file order", async () => {
    const problems = await problemsOf({
      "slipway.yaml": SYSTEM.replace("system: shop", "system: Shop_1"),
      "services/a/slipway.service.yaml": service("a", "replicas: -1\nreplica: 2\n"),
      "services/b/slipway.service.yaml": service("b", "dependsOn: [nope]\n"),
    });
    assert.deepEqual(
      problems.map((p) => p.split(" ")[0]),
      ["services/a/slipway.service.yaml:7:11", "services/a/slipway.service.yaml:8:1", "services/b/slipway.service.yaml:7:13", "slipway.yaml:1:9"],
    );
  });
});
