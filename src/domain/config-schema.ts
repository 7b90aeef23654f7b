// The two configuration files, as zod schemas with strict objects: an unknown
// key is an error (with a did-you-mean), never silently ignored. Parsed once at
// load time; everything downstream works with the inferred types.
//
// Durations are seconds (whole or fractional) or strings with units ("500ms",
// "30s", "5m", "1h", "1m30s"), always seconds once parsed; ports are numbers;
// memory is a Kubernetes-style quantity ("128Mi", "1Gi", "500M").
import { z } from "zod";

/** Lowercase letters, digits and '-', at most 63 characters: a service's, system's or environment's name. */
export const dnsLabelPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const dnsLabel = z
  .string()
  .regex(dnsLabelPattern, {
    message: "must be a DNS label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters",
  });

const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an environment variable name such as REGISTRY_PASSWORD" });

const port = z.number().int().min(1).max(65535);

/** "500ms", "30s", "5m", "1h", "1m30s": one or more numbers with a unit each. */
export const durationPattern = /^(\d+(\.\d+)?(ms|s|m|h))+$/;
const unitSeconds: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** A duration with units in seconds; plain numbers are already seconds. */
export function durationSeconds(value: number | string): number {
  if (typeof value === "number") return value;
  let total = 0;
  for (const [, amount, unit] of value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(amount) * (unitSeconds[unit ?? "s"] ?? 1);
  // Rounded to the millisecond, so "0.1s" is 0.1 and not 0.1000000001.
  return Math.round(total * 1000) / 1000;
}

/** Seconds, or a string with units (Argo Rollouts writes "5m"); parsed to seconds, so everything downstream sees a number. */
function duration(positive: boolean) {
  const unitMessage = 'must be a duration: seconds as a number (30) or with a unit ("500ms", "30s", "5m", "1h")';
  return z
    .union([z.number(), z.string().regex(durationPattern, { message: unitMessage })], { error: unitMessage })
    .transform(durationSeconds)
    .pipe(positive ? z.number().positive() : z.number().min(0));
}
const seconds = duration(false);
const positiveSeconds = duration(true);

/** A semantic version without build metadata, e.g. 1.4.0 or 1.4.0-rc.1. */
export const semverPattern = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
const semver = z.string().regex(semverPattern, { message: "must be a semantic version such as 1.4.0 or 1.4.0-rc.1" });

/** Kubernetes-style memory quantity. */
export const memoryPattern = /^(\d+(\.\d+)?)(Ki|Mi|Gi|Ti|K|M|G|T)?$/;
const memory = z.string().regex(memoryPattern, { message: 'must be a memory quantity such as "128Mi", "1Gi" or "500M"' });

/** A count or a percentage, as Kubernetes' maxSurge and maxUnavailable take them. */
const intOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d{1,3}%$/, { message: 'must be a count or a percentage such as "25%"' })]);

// -------------------------------------------------------------- release policy

/** Kinds of change a release can be, computed from the version in prod. */
export const changeTypes = ["initial", "major", "minor", "patch", "prerelease"] as const;
export type ChangeType = (typeof changeTypes)[number];

/** The CI stages a release policy may require to have passed, in pipeline order. */
export const ciStageNames = ["build", "unit-test", "image", "container-test", "push"] as const;
export type CiStageName = (typeof ciStageNames)[number];
/**
 * What a release policy can require: CI's stages, the system's integration and
 * load tests passing with this digest deployed, and the integration tests
 * passing with this digest beside what a target environment runs (compatibility).
 */
export const releaseStageNames = [...ciStageNames, "integration-test", "load-test", "compatibility"] as const;
export type ReleaseStageName = (typeof releaseStageNames)[number];
/** What must have passed in the environment a lock is promoted from, for its exact digests (docs/configuration.md#promotion). */
export const promotionEvidenceKinds = ["integration-test", "load-test", "compatibility"] as const;
export type PromotionEvidenceKind = (typeof promotionEvidenceKinds)[number];
/** What a signed attestation can be evidence of: a release stage, or an approval. */
export const evidenceKinds = [...releaseStageNames, "approval"] as const;
export type EvidenceKindName = (typeof evidenceKinds)[number];

export const strategyKinds = ["canary", "blueGreen", "rolling"] as const;
export type StrategyKind = (typeof strategyKinds)[number];

/** Who is asking or approving: an e-mail-like name or a user name. */
const identity = z.string().regex(/^\S+$/, { message: "must be an identity such as alice@example.com or alice, without spaces" });
const teamName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: "must be a team name: letters, digits, '.', '_' and '-'" });

/** One signer the organisation trusts: its public key and the evidence it may sign. */
const TrustedSignerSchema = z.strictObject({
  publicKey: z.string().min(1).describe("The signer's ECDSA P-256 public key (cosign.pub): a path relative to slipway.yaml, or the PEM text itself."),
  may: z.array(z.enum(evidenceKinds)).min(1, { message: "name at least one kind of evidence this key may sign" }).describe("The kinds of evidence this key may sign: CI stages, integration-test, load-test, compatibility, approval."),
});

// Rule fields have no zod defaults on purpose: an unset field is inherited from
// the layer below (organisation defaults ← default ← tier ← service), so a tier
// that only says `requireStrategy` keeps the approvals it inherits.
const ReleaseRuleSchema = z.strictObject({
  approvals: z.number().int().min(0).optional().describe("Approvals needed. Unset: inherited from the layer below."),
  approvers: z.enum(["owners", "anyone"]).optional().describe("Whose approvals count: the service's owners (teams expanded) or anyone. Unset: inherited."),
  /** "any" lifts a requirement a lower layer set. */
  requireStrategy: z.enum([...strategyKinds, "any"]).optional().describe('The rollout strategy the service must use for this kind of release; "any" lifts an inherited requirement.'),
});

export const PolicySetSchema = z.strictObject({
  initial: ReleaseRuleSchema.optional(),
  major: ReleaseRuleSchema.optional(),
  minor: ReleaseRuleSchema.optional(),
  patch: ReleaseRuleSchema.optional(),
  prerelease: ReleaseRuleSchema.optional(),
  requireStages: z
    .array(z.enum(releaseStageNames))
    .optional()
    .describe("Stages that must have passed for the build being released: CI's, integration-test (`slipway test` passed with this digest deployed), load-test, and compatibility (`slipway test --mixed` passed with this digest beside a target environment's digests). Unset: inherited."),
});

const isoDateTime = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time with a zone, such as 2025-12-20T00:00:00Z" });

const FreezeWindowSchema = z.strictObject({
  from: isoDateTime,
  to: isoDateTime,
  reason: z.string().min(1),
  /** Change types still released during the freeze, e.g. [patch] for hotfixes. */
  allow: z.array(z.enum(changeTypes)).default([]),
});

const ReleasePolicySchema = z.strictObject({
  default: PolicySetSchema.prefault({}),
  tiers: z.record(dnsLabel, PolicySetSchema).default({}),
  freeze: z.array(FreezeWindowSchema).default([]),
});

export type ReleaseRuleConfig = z.output<typeof ReleaseRuleSchema>;
export type PolicySetConfig = z.output<typeof PolicySetSchema>;
export type FreezeWindowConfig = z.output<typeof FreezeWindowSchema>;
export type ReleasePolicyConfig = z.output<typeof ReleasePolicySchema>;

// ---------------------------------------------------------------- slipway.yaml

/** Placeholders the naming templates may use. */
export { repositoryTokens, tagTokens } from "./naming.js";

const RegistrySchema = z.strictObject({
  /** host:port[/prefix], or with an http:// or https:// scheme. */
  url: z.string().min(1),
  /** Started and stopped by `slipway up`/`down`. Defaults to true when the host is loopback. */
  managed: z.boolean().optional(),
  credentials: z
    .strictObject({
      usernameEnv: envVarName,
      passwordEnv: envVarName,
    })
    .optional()
    .describe("Names of the environment variables that hold the credentials; never the credentials themselves."),
});

/**
 * What a lock (service → digest) must show before it may enter an environment:
 * evidence from the environment it is promoted from, a soak there, and this
 * environment's own approvals (docs/adr/0019-promotion-rules-and-approvals.md).
 */
const PromotionRulesSchema = z.strictObject({
  requirePassed: z
    .array(z.enum(promotionEvidenceKinds))
    .default([])
    .describe("What must have passed in the promotedFrom environment with the exact digests deployed: integration-test, load-test, compatibility."),
  soak: z
    .strictObject({
      minutes: z.number().positive().max(10080).describe("How long the digests must have served, healthy, in the promotedFrom environment."),
      analysis: z
        .strictObject({ metrics: z.array(z.string().min(1)).min(1) })
        .optional()
        .describe("Analysis metrics (from the services' slipway.service.yaml) judged over the soak window in the promotedFrom environment."),
    })
    .optional(),
  approvals: z.number().int().min(0).default(0).describe("Approvals each entering service's digest needs for this environment, besides any release approvals."),
  approvers: z.enum(["owners", "anyone"]).default("owners").describe("Whose environment approvals count: the service's owners (teams expanded) or anyone."),
});

const EnvironmentSchema = z.strictObject({
  name: dnsLabel,
  /** Default: the environment declared before it; the first one is the root of the promotion path. */
  promotedFrom: dnsLabel.optional().describe("The environment this one is promoted from. Default: the one declared before it."),
  promotion: PromotionRulesSchema.optional().describe("What a lock must show before it enters this environment. Absent: nothing (any deploy may enter)."),
  runtime: z.enum(["docker", "kubernetes"]).default("docker"),
  /**
   * Docker runtime: "host" runs instances on the host's network, listening on
   * the PORT slipway gives them, so they reach their dependencies through the
   * router (<DEPENDENCY>_URL); "bridge" publishes a fixed container port on
   * loopback for images that cannot take PORT, without dependency URLs.
   */
  network: z.enum(["host", "bridge"]).default("host"),
  /** Which registry this environment deploys from. */
  registry: z.enum(["dev", "prod"]),
  /** Added to every service's endpoint port in this environment; defaults to 1000 × its position. */
  portOffset: z.number().int().min(0).max(60000).optional(),
  /** The loopback port of the environment's router for /healthz and /metrics; default portOffset + 1999. */
  routerPort: port.optional().describe("The router's control port (/healthz, /metrics) on loopback. Default: portOffset + 1999. Set it when two systems share a machine."),
  /**
   * Fixed endpoint ports in this environment, by service: taken as written
   * (no portOffset), before the service's endpoint.port. On Kubernetes, the
   * gateway listener ports the services are reached on.
   */
  endpointPorts: z
    .record(z.string().min(1), port)
    .optional()
    .describe("Service → its endpoint port in this environment, as written (portOffset is not added). On Kubernetes: the Gateway listener port of each service; keep them within kubernetes.gateway.listenerPorts."),
  /**
   * Where `slipway test --env <this> --mixed <service>` deploys its scratch
   * copy of this environment (Docker, from the dev registry): a block of
   * ports of its own, so the live environment is never touched.
   */
  scratch: z
    .strictObject({
      portOffset: z.number().int().min(0).max(60000),
      routerPort: port.optional(),
    })
    .optional()
    .describe("The scratch copy `slipway test --mixed` deploys the mix into: its portOffset (a free block of ports) and optional router control port."),
  kubernetes: z
    .strictObject({
      /** The kubeconfig file; default $KUBECONFIG, else ~/.kube/config. */
      kubeconfig: z.string().min(1).optional(),
      context: z.string().optional(),
      /** Default: <system>-<environment>. */
      namespace: dnsLabel.optional(),
      /** The CPU request as a percent of the limit (resources.cpus); default 100 (requests = limits). */
      cpuRequestPercent: z
        .number()
        .int()
        .min(1)
        .max(100)
        .optional()
        .describe("Each pod's CPU request as a percent of its limit (resources.cpus). Default 100: requests = limits (Guaranteed QoS). Lower it to schedule a system on a node with fewer cores than its limits add up to."),
      /**
       * How traffic is split between revisions: "gateway" weighs requests with
       * Gateway API HTTPRoute weights (1% steps, the canary header rule);
       * "replicas" is the coarse method for clusters without Gateway API: one
       * Service over the pods of both revisions, a weight becomes a replica
       * ratio (ADR 26).
       */
      traffic: z
        .enum(["gateway", "replicas"])
        .default("gateway")
        .describe(
          'How revisions share traffic. "gateway" (default): Gateway API HTTPRoute weights, 1% steps and the X-Slipway-Canary header rule. "replicas": for clusters without Gateway API — one Service over the pods of both revisions, a canary weight becomes the nearest replica ratio, no header rule, no router metrics.',
        ),
      /** The Gateway API Gateway the environment's HTTPRoutes attach to (docs/runtime-mapping.md). */
      gateway: z
        .strictObject({
          /** The GatewayClass the cluster's Gateway API implementation serves (kubectl get gatewayclass). */
          className: z.string().min(1),
          /**
           * One listener on this port for all services, each route matching the
           * hostname <service>.<hostnameSuffix>; without it, one listener a
           * service on its endpoint port.
           */
          port: z.number().int().min(1).max(65535).optional(),
          hostnameSuffix: z.string().min(1).optional(),
          /**
           * The ports the gateway serves listeners on (Traefik: its entry
           * points), "23080-23089" or "80": validate refuses an endpoint port
           * outside them.
           */
          listenerPorts: z
            .string()
            .regex(/^\d{1,5}(-\d{1,5})?$/, { message: 'a port or a range of ports, e.g. "23080-23089"' })
            .optional()
            .describe('The ports the gateway can listen on (Traefik: its entry points), e.g. "23080-23089": every service\'s endpoint port in this environment must be one of them.'),
          /** Where clients reach the gateway's listener(s) from this machine, e.g. http://127.0.0.1:8000. */
          address: z.string().url().optional(),
        })
        .optional(),
      /** Prometheus scraping the gateway's metrics: the router's per-revision counters for analysis. */
      prometheus: z.strictObject({ address: z.string().url() }).optional(),
    })
    .optional(),
});

const HttpExpectation = z.strictObject({
  status: z.number().int().min(100).max(599).default(200),
  /** JSON paths (`$.a.b[0]`) and the values they must equal. */
  json: z.record(z.string().startsWith("$", { message: "a JSON path starts with $" }), z.unknown()).optional(),
  bodyContains: z.string().optional(),
});

/** One HTTP request and what its answer must be; container and integration tests share it. */
const httpCheckFields = {
  method: z.enum(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]).default("GET"),
  path: z.string().startsWith("/", { message: "must start with /" }),
  headers: z.record(z.string(), z.string()).optional(),
  body: z.string().optional(),
  expect: HttpExpectation.prefault({}),
};

/** A named test: an http check, a command in a test image (exit 0 passes), or both, within a timeout. */
function testSchema<Http extends z.ZodType>(http: Http, defaultTimeoutSeconds: number) {
  return z
    .strictObject({
      name: z.string().min(1),
      http: http.optional(),
      command: z
        .strictObject({
          image: z.string().min(1),
          run: z.array(z.string()).min(1),
        })
        .optional(),
      timeoutSeconds: positiveSeconds.default(defaultTimeoutSeconds),
    })
    .check((ctx) => {
      if (ctx.value.http === undefined && ctx.value.command === undefined) {
        ctx.issues.push({ code: "custom", input: ctx.value, message: "needs http, command, or both" });
      }
    });
}

/**
 * A test of the whole system as deployed in an environment (`slipway test
 * --env`): an HTTP check against one service's router endpoint, and/or a
 * command in a test image on the host network, given every service's
 * endpoint as <SERVICE>_URL and the system's folder, read-only, as its
 * working directory.
 */
const IntegrationTestSchema = testSchema(z.strictObject({ service: z.string().min(1), ...httpCheckFields }), 60);

/**
 * A load test scenario (`slipway loadtest --env`): requests at one service's
 * router endpoint for a bounded time, by a number of connections or at a
 * fixed overall rate, judged by thresholds and against the last passing run.
 */
const LoadTestSchema = z.strictObject({
  name: z.string().min(1),
  target: z.strictObject({
    service: z.string().min(1),
    method: httpCheckFields.method,
    path: httpCheckFields.path,
    headers: httpCheckFields.headers,
    body: httpCheckFields.body,
  }),
  /** Concurrent connections kept open (autocannon's `connections`). */
  connections: z.number().int().min(1).max(1000).default(10),
  /** Overall requests per second across all connections; absent: as fast as the connections allow. */
  rate: z.number().int().min(1).max(100_000).optional(),
  /** Bounded so a scenario cannot hold an environment for long. */
  durationSeconds: z.number().positive().max(300).default(10),
  /**
   * A rise before the steady phase: the rate (with `rate`) or the connections
   * (without) climb from `from` to the scenario's value over `seconds`, in at
   * most 10 equal steps. Judged with the steady phase only for latency and
   * throughput; its failed requests count as errors.
   */
  ramp: z
    .strictObject({
      seconds: z.number().positive().max(120),
      from: z.number().int().min(1).default(1),
    })
    .optional(),
  thresholds: z
    .strictObject({
      p95Ms: z.number().positive().optional(),
      p99Ms: z.number().positive().optional(),
      /** Share of requests that failed (error, timeout or non-2xx), 0..1. */
      maxErrorRate: z.number().min(0).max(1).default(0),
      minRps: z.number().positive().optional(),
    })
    .prefault({}),
  /** Fails when p95 grows by more than this percentage over the last passing run of the scenario. */
  regression: z.strictObject({ p95Percent: z.number().positive() }).optional(),
});

export const SystemConfigSchema = z.strictObject({
  system: dnsLabel.describe("The system's name; prefixes image repositories and runtime names."),
  /** Where slipway keeps registries' data, logs and its state store; relative to slipway.yaml. */
  stateDir: z.string().min(1).default(".slipway"),
  registries: z.strictObject({
    dev: RegistrySchema,
    prod: RegistrySchema,
  }),
  environments: z.array(EnvironmentSchema).min(1, { message: "needs at least one environment" }),
  conventions: z
    .strictObject({
      /** Image repository inside a registry, e.g. "{system}/{service}". */
      repository: z.string().default("{system}/{service}"),
      tags: z
        .strictObject({
          /** Immutable tag written by CI; must contain {hash} or {commit}. */
          immutable: z.string().default("h-{hash}"),
          /** Human tag written by CI. */
          dev: z.string().default("{version}-dev.{n}"),
          /** Tag in the prod registry. */
          release: z.string().default("{version}"),
        })
        .prefault({}),
    })
    .prefault({}),
  /** Folders holding a slipway.service.yaml: paths or globs (`*`, `**`) relative to slipway.yaml. */
  services: z.array(z.string().min(1)).min(1).default(["services/*"]),
  /** Who is in each team; service owners may name a team or a person. */
  teams: z.record(teamName, z.array(identity)).default({}),
  /** Tests of the whole deployed system, run by `slipway test --env <env>`. */
  integrationTests: z.array(IntegrationTestSchema).default([]),
  /** Load test scenarios, run by `slipway loadtest --env <env>` (docs/configuration.md). */
  loadTests: z.array(LoadTestSchema).default([]),
  /** Absent: the built-in organisation defaults apply (docs/configuration.md). */
  releasePolicy: ReleasePolicySchema.optional(),
  /**
   * Signers by team or CI identity. Set: releases count a stage only when a
   * signed attestation in the registry, by a key allowed that kind, says it
   * passed for the exact digest (docs/attestations.md).
   */
  trust: z.record(teamName, TrustedSignerSchema).optional(),
});

export type SystemConfigInput = z.input<typeof SystemConfigSchema>;
export type SystemConfig = z.output<typeof SystemConfigSchema>;
export type RegistryConfig = z.output<typeof RegistrySchema>;
export type EnvironmentConfig = z.output<typeof EnvironmentSchema>;
export type PromotionRulesConfig = z.output<typeof PromotionRulesSchema>;
export type IntegrationTest = SystemConfig["integrationTests"][number];
export type LoadTest = SystemConfig["loadTests"][number];

// ---------------------------------------------------- slipway.service.yaml

const HttpProbe = z.strictObject({
  path: z.string().startsWith("/", { message: "must start with /" }),
  port: port.optional(),
});
const ExecProbe = z.strictObject({ command: z.array(z.string()).min(1) });

const ReadinessSchema = z
  .strictObject({
    http: HttpProbe.optional(),
    tcp: z.strictObject({ port: port.optional() }).optional(),
    exec: ExecProbe.optional(),
    initialDelaySeconds: seconds.default(0),
    periodSeconds: positiveSeconds.default(10),
    timeoutSeconds: positiveSeconds.default(1),
    successThreshold: z.number().int().min(1).default(1),
    failureThreshold: z.number().int().min(1).default(3),
  })
  .check((ctx) => {
    const kinds = (["http", "tcp", "exec"] as const).filter((k) => ctx.value[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message:
          kinds.length === 0
            ? "needs one probe: http, tcp or exec"
            : `has ${kinds.join(" and ")}; a probe is exactly one of http, tcp or exec`,
      });
    }
  });

/** The http check goes to the container under test; a command test gets its URL as SLIPWAY_TARGET_URL. */
const ContainerTestSchema = testSchema(z.strictObject(httpCheckFields), 30);

const MetricProvider = z
  .strictObject({
    router: z
      .strictObject({
        metric: z.enum(["errorRate", "latencyP50", "latencyP95", "latencyP99", "requestRate"]),
        /** Judge the canary against the stable over the same window instead of fixed conditions. */
        compareWithStable: z.boolean().default(false),
        judge: z
          .strictObject({
            minRequests: z.number().int().min(1).optional(),
            /** Allowed excess error rate, as a fraction (0.005 = half a point). */
            tolerance: z.number().min(0).max(1).optional(),
            confidence: z.number().gt(0.5).lt(1).optional(),
            /** Allowed latency ratio canary / stable. */
            maxRatio: z.number().min(1).optional(),
            /** A latency within this many ms of the stable's passes whatever the ratio (fast services: a few slow first requests). */
            minDifferenceMs: z.number().min(0).optional(),
          })
          .optional(),
      })
      .check((ctx) => {
        if (ctx.value.judge !== undefined && !ctx.value.compareWithStable) {
          ctx.issues.push({ code: "custom", input: ctx.value, message: "judge settings need compareWithStable: true" });
        }
        if (ctx.value.metric === "errorRate" && (ctx.value.judge?.maxRatio !== undefined || ctx.value.judge?.minDifferenceMs !== undefined)) {
          ctx.issues.push({ code: "custom", input: ctx.value, message: "maxRatio and minDifferenceMs judge latencies, not errorRate: judge an error rate with tolerance and confidence" });
        }
        if (ctx.value.compareWithStable && ctx.value.metric === "requestRate") {
          ctx.issues.push({ code: "custom", input: ctx.value, message: "requestRate cannot be compared with the stable; compare errorRate or a latency" });
        }
      })
      .optional(),
    prometheus: z.strictObject({ address: z.string().url(), query: z.string().min(1) }).optional(),
    web: z.strictObject({ url: z.string().url(), jsonPath: z.string().startsWith("$"), headers: z.record(z.string(), z.string()).optional() }).optional(),
    job: z.strictObject({ image: z.string().min(1), command: z.array(z.string()).min(1) }).optional(),
  })
  .check((ctx) => {
    const kinds = Object.keys(ctx.value).filter((k) => ctx.value[k as keyof typeof ctx.value] !== undefined);
    if (kinds.length !== 1) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: "a provider is exactly one of router, prometheus, web or job" });
    }
  });

const MetricSchema = z.strictObject({
  name: z.string().min(1),
  provider: MetricProvider,
  /** An expression over `result`, e.g. "result < 0.01". */
  successCondition: z.string().optional(),
  failureCondition: z.string().optional(),
  interval: positiveSeconds.default(10),
  count: z.number().int().min(1).default(5),
  failureLimit: z.number().int().min(0).default(0),
  inconclusiveLimit: z.number().int().min(0).default(0),
  /** Measurement errors in a row (the metrics source unreachable or answering garbage) before the metric errors, which aborts the rollout as Argo Rollouts does. */
  consecutiveErrorLimit: z.number().int().min(0).default(4),
});

const AnalysisRef = z.strictObject({ metrics: z.array(z.string().min(1)).min(1) });

const CanaryStep = z
  .strictObject({
    setWeight: z.number().int().min(0).max(100).optional(),
    /** Without a duration the rollout waits for `slipway rollout promote`. */
    pause: z.strictObject({ duration: seconds.optional() }).optional(),
    analysis: AnalysisRef.optional(),
  })
  .check((ctx) => {
    const kinds = Object.keys(ctx.value).filter((k) => ctx.value[k as keyof typeof ctx.value] !== undefined);
    if (kinds.length !== 1) {
      ctx.issues.push({ code: "custom", input: ctx.value, message: "a step is exactly one of setWeight, pause or analysis" });
    }
  });

/** Old revisions (records; on a cluster, ReplicaSets) kept for undo, as a Deployment's spec.revisionHistoryLimit. */
const revisionHistoryLimit = () =>
  z.number().int().min(0).default(10).describe("How many old revisions without instances are kept for `slipway rollout undo`; older ones are forgotten when a rollout completes (Kubernetes' revisionHistoryLimit).");

const RollingSchema = z.strictObject({
  maxSurge: intOrPercent.default("25%"),
  maxUnavailable: intOrPercent.default("25%"),
  minReadySeconds: seconds.default(0),
  progressDeadlineSeconds: positiveSeconds.default(600),
  revisionHistoryLimit: revisionHistoryLimit(),
  scaleDownDelaySeconds: seconds
    .default(30)
    .describe(
      "How long the previous revision keeps its instances (out of the traffic split) after the update: a rollback within it is a weight flip. 0: old instances go as new ones become available, as a Kubernetes Deployment.",
    ),
});

const BlueGreenSchema = z
  .strictObject({
    autoPromote: z
      .boolean()
      .optional()
      .describe("Switch without `slipway rollout promote` (Argo Rollouts' autoPromotionEnabled). Unset: true when autoPromotionSeconds is set, else false."),
    autoPromotionSeconds: seconds
      .optional()
      .describe("With auto-promotion: the preview serves this long after every new instance is available, then the switch (Argo Rollouts' autoPromotionSeconds)."),
    scaleDownDelaySeconds: seconds.default(30),
    prePromotionAnalysis: AnalysisRef.optional(),
    progressDeadlineSeconds: positiveSeconds.default(600),
    revisionHistoryLimit: revisionHistoryLimit(),
  })
  .check((ctx) => {
    // Argo Rollouts ignores autoPromotionSeconds when auto-promotion is off; a config saying both means one of them is a mistake.
    if (ctx.value.autoPromote === false && ctx.value.autoPromotionSeconds !== undefined) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value.autoPromotionSeconds,
        path: ["autoPromotionSeconds"],
        message: "has no effect with autoPromote: false (the switch then waits for `slipway rollout promote`); remove `autoPromote: false` to switch automatically after it, or remove autoPromotionSeconds",
      });
    }
  });

const CanarySchema = z.strictObject({
  steps: z.array(CanaryStep).min(1),
  /** Runs for the whole rollout, beside the steps. */
  analysis: AnalysisRef.optional(),
  scaleDownDelaySeconds: seconds.default(30),
  progressDeadlineSeconds: positiveSeconds.default(600),
  revisionHistoryLimit: revisionHistoryLimit(),
});

const StrategySchema = z
  .strictObject({
    rolling: RollingSchema.optional(),
    blueGreen: BlueGreenSchema.optional(),
    canary: CanarySchema.optional(),
  })
  .check((ctx) => {
    const kinds = (["rolling", "blueGreen", "canary"] as const).filter((k) => ctx.value[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.issues.push({
        code: "custom",
        input: ctx.value,
        message: kinds.length === 0 ? "needs one of rolling, blueGreen or canary" : `has ${kinds.join(" and ")}; choose one`,
      });
    }
  });

/** An env var's value: a literal, or the name of a host environment variable (for secrets; never stored). */
const EnvValue = z.union([z.string(), z.number(), z.boolean(), z.strictObject({ fromEnv: envVarName })], { error: (issue) => envValueMessage(issue.input) });

/** Why a value is not one an environment variable can hold, and what to write instead. */
function envValueMessage(input: unknown): string {
  const forms = 'a value is a string, number or boolean, or { fromEnv: HOST_VARIABLE } to read a secret from the host';
  if (input === null || input === undefined) return `has no value; write "" for an empty string (${forms})`;
  if (Array.isArray(input)) return `a list is not an environment variable value; write it as one string, e.g. "a,b,c" (${forms})`;
  if (typeof input === "object") {
    const keys = Object.keys(input);
    if (keys.includes("fromEnv")) return `a secret is { fromEnv: HOST_VARIABLE } with nothing beside it, found keys ${keys.join(", ")}`;
    return `a nested mapping (${keys.join(", ")}) is not an environment variable value; give each value its own variable, or quote the whole value as one string (${forms})`;
  }
  return forms;
}

export const ServiceConfigSchema = z.strictObject({
  name: dnsLabel,
  owners: z.array(z.string().min(1)).min(1, { message: "needs at least one owner (a team or a person)" }),
  version: semver.default("0.1.0"),
  build: z.strictObject({
    /** The containerized build environment. */
    image: z.string().min(1),
    commands: z.array(z.string().min(1)).default([]),
    test: z.array(z.string().min(1)).default([]),
    /** Paths relative to slipway.yaml that this build also reads (shared libraries). */
    inputs: z.array(z.string().min(1)).default([]),
    /** Services whose build must finish first and whose content hash is part of this one's. */
    dependsOn: z.array(z.string().min(1)).default([]),
  }),
  image: z
    .strictObject({
      dockerfile: z.string().min(1).default("Dockerfile"),
      context: z.string().min(1).default("."),
    })
    .prefault({}),
  port: port.describe("The port the container listens on."),
  /** The stable loopback port the router publishes this service on (plus the environment's portOffset). */
  endpoint: z
    .strictObject({
      port,
      /** Blue-green: the loopback port that reaches only the preview revision; default port + 10000. */
      previewPort: port.optional(),
    })
    .optional(),
  readiness: ReadinessSchema,
  replicas: z.number().int().min(0).default(1),
  resources: z
    .strictObject({
      cpus: z.number().positive().optional(),
      memory: memory.optional(),
    })
    .prefault({}),
  env: z.record(envVarName, EnvValue).default({}),
  dependsOn: z.array(z.string().min(1)).default([]),
  containerTests: z.array(ContainerTestSchema).default([]),
  analysis: z.strictObject({ metrics: z.array(MetricSchema).min(1) }).optional(),
  strategy: StrategySchema.prefault({ rolling: {} }),
  terminationGracePeriodSeconds: seconds.default(30),
  /** Picks releasePolicy.tiers.<tier> from slipway.yaml. */
  tier: dnsLabel.optional(),
  /** Overrides the organisation's and the tier's release policy for this service. */
  releasePolicy: PolicySetSchema.optional(),
});

export type ServiceConfigInput = z.input<typeof ServiceConfigSchema>;
export type ServiceConfig = z.output<typeof ServiceConfigSchema>;
export type ReadinessProbe = ServiceConfig["readiness"];
export type ContainerTest = ServiceConfig["containerTests"][number];
export type Strategy = ServiceConfig["strategy"];
