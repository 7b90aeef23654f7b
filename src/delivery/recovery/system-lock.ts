// The system lock: what runs in an environment, pinned by digest, so the
// whole system can be redeployed exactly onto a fresh target (`slipway
// snapshot`, `slipway restore`). Pure: built from the store's records and
// what the runtime reports, parsed back with zod, ordered by dependency, and
// given the target environment's dependency URLs. Secrets appear only as the
// names of the host variables they are read from.
import { z } from "zod";
import { ServiceConfigSchema, strategyKinds } from "../../domain/config-schema.js";
import { didYouMean } from "../../domain/did-you-mean.js";
import { SlipwayError } from "../../domain/errors.js";
import { ServiceGraph } from "../../graph/service-graph.js";
import { servingRevision } from "../controller/begin-rollout.js";
import type { InstanceTemplate, RevisionRecord, RolloutRecord } from "../controller/store-port.js";

export const LOCK_KIND = "slipway-system-lock";
export const LOCK_FORMAT_VERSION = 1;

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be an environment variable name" });
const pinnedImage = z.string().regex(/^[^@\s]+@sha256:[0-9a-f]{64}$/, { message: "must be an image pinned by digest: registry/repository@sha256:<64 hex digits>" });

const TemplateSchema = z.strictObject({
  port: ServiceConfigSchema.shape.port,
  env: z.record(envName, z.string()),
  /** Variable → the host variable its value is read from when an instance starts. Never a value. */
  secretEnv: z.record(envName, envName),
  resources: ServiceConfigSchema.shape.resources,
  readiness: ServiceConfigSchema.shape.readiness,
  terminationGracePeriodSeconds: z.number().min(0),
});

const LockedServiceSchema = z.strictObject({
  service: z.string().min(1),
  version: z.string().min(1).optional(),
  image: pinnedImage,
  /** The revision it ran as where the lock was taken (informational: the target's name follows from image and template). */
  revision: z.string().min(1),
  dependsOn: z.array(z.string().min(1)),
  template: TemplateSchema,
  replicas: z.number().int().min(0),
  strategy: z.enum(strategyKinds),
});

export const SystemLockSchema = z.strictObject({
  kind: z.literal(LOCK_KIND),
  formatVersion: z.literal(LOCK_FORMAT_VERSION),
  system: z.string().min(1),
  environment: z.string().min(1),
  takenAt: z.iso.datetime(),
  /** Dependencies before dependents. */
  services: z.array(LockedServiceSchema),
  /** With --allow-partial: what was left out, and why. */
  omitted: z.array(z.strictObject({ service: z.string().min(1), reason: z.string() })).optional(),
});

export type SystemLock = z.output<typeof SystemLockSchema>;
export type LockedService = SystemLock["services"][number];
export interface OmittedService {
  service: string;
  reason: string;
}

/** Parses a lock file; a malformed one is refused naming the JSON path of each bad field. */
export function parseLock(text: string, file: string): SystemLock {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SlipwayError("USAGE", `${file} is not a system lock: not JSON (${(err as Error).message})`, { hint: "restore takes a file written by `slipway snapshot`" });
  }
  const parsed = SystemLockSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.slice(0, 10).map((issue) => `${jsonPath(issue.path)}: ${issue.message}`);
  throw new SlipwayError("USAGE", `${file} is not a valid system lock:\n  ${problems.join("\n  ")}`, {
    hint: `fix the fields named (format ${LOCK_KIND} v${LOCK_FORMAT_VERSION}, docs/disaster-recovery.md), or take a new one with \`slipway snapshot\``,
  });
}

/** `$.services[0].image` */
export function jsonPath(path: readonly PropertyKey[]): string {
  return `$${path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")}`;
}

// ------------------------------------------------------------ taking a lock

export interface ServiceObservation {
  service: string;
  /** The service's newest rollout in the environment, finished or not. */
  latest: RolloutRecord | undefined;
  revisions: readonly RevisionRecord[];
  /** Ready instances of the serving revision, probed now. */
  readyInstances: number;
  dependsOn: readonly string[];
  /** The `<DEPENDENCY>_URL` variables slipway injected in this environment: taken out of the lock, computed again on restore. */
  injectedUrls: Readonly<Record<string, string>>;
}

/** The service as the lock records it, or why it cannot be. */
export function lockService(o: ServiceObservation): { locked: LockedService } | { omitted: OmittedService } {
  const omitted = (reason: string): { omitted: OmittedService } => ({ omitted: { service: o.service, reason } });
  const { latest } = o;
  if (latest === undefined) return omitted("not deployed in this environment");
  if (!latest.finished) return omitted(`rollout ${latest.id} is in progress (${latest.state.phase}${latest.state.userPaused ? ", paused" : ""}): finish or abort it first`);
  const name = servingRevision(latest);
  const revision = o.revisions.find((r) => r.name === name);
  if (revision === undefined) return omitted(`its last rollout (${latest.id}, ${latest.outcome ?? "finished"}) left no serving revision`);
  if (o.readyInstances === 0) return omitted(`no ready instance of ${revision.name} (${revision.image}; last rollout ${latest.outcome ?? "finished"})`);
  return {
    locked: {
      service: o.service,
      ...(revision.version === undefined ? {} : { version: revision.version }),
      image: revision.image,
      revision: revision.name,
      dependsOn: [...o.dependsOn],
      template: withoutInjectedUrls(revision.template, o.injectedUrls),
      replicas: latest.state.desiredReplicas,
      strategy: latest.state.strategy,
    },
  };
}

/** A variable the service set itself (a value other than the injected one) stays. */
export function withoutInjectedUrls(template: InstanceTemplate, injected: Readonly<Record<string, string>>): InstanceTemplate {
  const env = Object.fromEntries(Object.entries(template.env).filter(([k, v]) => injected[k] !== v));
  return { ...template, env };
}

export function buildLock(input: { system: string; environment: string; takenAt: Date; services: LockedService[]; omitted: OmittedService[] }): SystemLock {
  return {
    kind: LOCK_KIND,
    formatVersion: LOCK_FORMAT_VERSION,
    system: input.system,
    environment: input.environment,
    takenAt: input.takenAt.toISOString(),
    services: input.services,
    ...(input.omitted.length === 0 ? {} : { omitted: input.omitted }),
  };
}

// ----------------------------------------------------------- restoring one

/** Refuses a lock of another system, or one naming services the configuration does not have. */
export function checkLockFits(lock: SystemLock, system: string, services: readonly string[]): void {
  if (lock.system !== system) {
    throw new SlipwayError("USAGE", `the lock is of system "${lock.system}", the configuration of "${system}"`, { hint: "pass the slipway.yaml of the locked system with -c" });
  }
  const unknown = lock.services.map((s) => s.service).filter((s) => !services.includes(s));
  if (unknown.length > 0) {
    const suggestions = unknown.map((u) => didYouMean(u, services)).filter((s) => s !== undefined);
    throw new SlipwayError("USAGE", `the lock names service${unknown.length === 1 ? "" : "s"} ${unknown.join(", ")}, which the configuration of ${system} does not have`, {
      hint: `${suggestions.length > 0 ? `did you mean ${suggestions.join(", ")}? ` : ""}services: ${services.join(", ")}; restore with the configuration the lock was taken with`,
    });
  }
  const seen = new Set<string>();
  for (const s of lock.services) {
    if (seen.has(s.service)) throw new SlipwayError("USAGE", `the lock names ${s.service} twice`, { hint: "take a new one with `slipway snapshot`" });
    seen.add(s.service);
  }
}

/** Dependencies first (the lock's own dependsOn); ties in name order. */
export function restoreOrder(services: readonly LockedService[]): LockedService[] {
  const graph = new ServiceGraph(new Map(services.map((s) => [s.service, s.dependsOn])));
  let names: string[];
  try {
    names = graph.topologicalOrder();
  } catch (err) {
    throw new SlipwayError("USAGE", `the lock's dependsOn entries form a cycle: ${(err as Error).message}`);
  }
  return names.map((n) => services.find((s) => s.service === n) as LockedService);
}

/** The template to run in the target: the lock's, with the target environment's dependency URLs (a variable the service sets wins). */
export function targetTemplate(service: LockedService, dependencyUrls: Readonly<Record<string, string>>): InstanceTemplate {
  return { ...service.template, env: { ...dependencyUrls, ...service.template.env } };
}

/** Dependencies that the lock does not carry: they must already run in the target. */
export function dependenciesOutsideLock(lock: SystemLock): { service: string; dependency: string }[] {
  const names = new Set(lock.services.map((s) => s.service));
  return lock.services.flatMap((s) => s.dependsOn.filter((d) => !names.has(d)).map((d) => ({ service: s.service, dependency: d })));
}

