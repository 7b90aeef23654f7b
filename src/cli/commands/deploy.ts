// `slipway deploy`, `slipway rollout …`, `slipway rollback` and `slipway
// status`: the composition root of the rollout controller. It constructs the
// adapters (Docker runtime, the environment's HAProxy router, the store),
// starts the router on demand, and runs the controller loop in this process.
// Ctrl-C stops the loop and leaves the deployed system as it is.
import { loadSystem, type LoadedService, type LoadedSystem } from "../../config/load-system.js";
import { analysisMetricsFor } from "../../delivery/analysis/create-provider.js";
import type { AnalysisMetric } from "../../delivery/analysis/analysis-run.js";
import { alreadyServes, beginRollout, lastGoodRevision, newRolloutId, servingRevision } from "../../delivery/controller/begin-rollout.js";
import { acquireControllerLock, environmentLockPath, lockHolder, lockPath, type ControllerLock } from "../../delivery/controller/controller-lock.js";
import { ensureImagePresent } from "../../delivery/controller/image-presence.js";
import { removeOrphanInstances } from "../../delivery/controller/orphan-cleanup.js";
import { dependencyUrls, endpointPort, environmentOf, previewPort, routerControlPort } from "../../domain/placement.js";
import { progressLine } from "../../delivery/controller/progress-line.js";
import type { LoopEnd } from "../../delivery/controller/rollout-loop.js";
import { createServiceController, type ServiceController } from "../../delivery/controller/service-controller.js";
import type { InstanceTemplate, RolloutRecord, ServiceScope } from "../../delivery/controller/store-port.js";
import { planRollback } from "../../delivery/strategies/rollback.js";
import type { Command, CompletionOutcome, RolloutState } from "../../delivery/types.js";
import { DockerEngine } from "../../docker/engine.js";
import type { EnvironmentConfig, ServiceConfig } from "../../domain/config-schema.js";
import { SlipwayError } from "../../domain/errors.js";
import { imageRepository } from "../../domain/image-names.js";
import { parseRegistryUrl } from "../../domain/registry-address.js";
import { resolveServiceEnv } from "../../domain/service-env.js";
import { storePath } from "../../store/store-path.js";
import { HaproxyRouter } from "../../router/haproxy/haproxy-router.js";
import { DockerRuntime } from "../../runtime/docker/docker-runtime.js";
import { SqlitePipelineRunStore } from "../../store/sqlite/pipeline-run-store.js";
import { SqliteReleaseStore } from "../../store/sqlite/release-store.js";
import { SqliteRolloutStore } from "../../store/sqlite/rollout-store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import type { CommandContext } from "../main.js";
import { paint } from "../output.js";

export interface EnvOption {
  env: string;
}

// ------------------------------------------------------------ composition

interface EnvironmentSession {
  system: LoadedSystem;
  environment: EnvironmentConfig;
  portOffset: number;
  store: SqliteStore;
  rollouts: SqliteRolloutStore;
  engine: DockerEngine;
  runtime: DockerRuntime;
  router: HaproxyRouter;
  close(): void;
}

export async function openEnvironment(config: string, envName: string): Promise<EnvironmentSession> {
  const system = await loadSystem(config);
  const { environment, portOffset } = environmentOf(system.config, envName);
  if (environment.runtime !== "docker") throw new SlipwayError("USAGE", `environment ${envName} runs on ${environment.runtime}; this slipway deploys to Docker only`);
  const store = SqliteStore.open(storePath(system));
  const engine = new DockerEngine();
  const router = new HaproxyRouter({ environment: environment.name, stateDir: system.stateDir, controlPort: routerControlPort(portOffset) });
  return {
    system,
    environment,
    portOffset,
    store,
    rollouts: new SqliteRolloutStore(store.db),
    engine,
    runtime: new DockerRuntime(engine, { network: environment.network }),
    router,
    close: () => store.close(),
  };
}

export function serviceOf(system: LoadedSystem, name: string): LoadedService {
  const service = system.services.find((s) => s.config.name === name);
  if (service === undefined) throw new SlipwayError("USAGE", `there is no service "${name}"`, { hint: `services: ${system.services.map((s) => s.config.name).join(", ")}` });
  return service;
}

export function scopeOf(session: EnvironmentSession, service: string): ServiceScope {
  return { system: session.system.config.system, environment: session.environment.name, service };
}

/** Starts the environment's router when it is not running and declares the service's endpoints. */
export async function routeService(session: EnvironmentSession, service: ServiceConfig): Promise<number> {
  const port = endpointPort(service, session.portOffset);
  const preview = previewPort(service, session.portOffset);
  await session.router.ensureService(service.name, { endpointPort: port, ...(preview === undefined ? {} : { previewPort: preview }) });
  await session.router.start();
  return port;
}

/**
 * The pid of a `slipway controller` running for the environment in another
 * process: it is then the only router writer, and this process only records
 * what it wants in the store and follows.
 */
export function otherEnvironmentController(session: EnvironmentSession): number | undefined {
  const pid = lockHolder(environmentLockPath(session.system.stateDir, session.environment.name));
  return pid === process.pid ? undefined : pid;
}

/** "endpoint http://127.0.0.1:4309, preview http://127.0.0.1:14309" */
export function endpointsText(session: EnvironmentSession, service: ServiceConfig): string {
  const preview = previewPort(service, session.portOffset);
  return `endpoint http://127.0.0.1:${endpointPort(service, session.portOffset)}${preview === undefined ? "" : `, preview http://127.0.0.1:${preview}`}`;
}

function controllerFor(session: EnvironmentSession, service: LoadedService): ServiceController {
  const metricsFor = (names: readonly string[]): AnalysisMetric[] =>
    analysisMetricsFor(names, service.config.analysis?.metrics ?? [], {
      system: session.system.config.system,
      engine: session.engine,
      readRouterCounters: async (revision) => {
        const stats = await session.router.revisionStats(service.config.name);
        const r = stats.revisions[revision];
        return {
          requests: r?.requests ?? 0,
          responses5xx: r?.responses5xx ?? 0,
          connectionErrors: r?.connectionErrors ?? 0,
          countersSince: stats.countersSince,
          ...(r?.latency === undefined ? {} : { latencyMs: { p50: r.latency.p50Ms, p95: r.latency.p95Ms, p99: r.latency.p99Ms, average: r.avgResponseMs } }),
        };
      },
    });
  return createServiceController({ scope: scopeOf(session, service.config.name), runtime: session.runtime, router: session.router, store: session.rollouts, metricsFor });
}

// ----------------------------------------------------------------- deploy

export async function deployCommand(ctx: CommandContext, serviceName: string, opts: EnvOption & { version?: string; digest?: string }): Promise<number> {
  if (opts.version !== undefined && opts.digest !== undefined) throw new SlipwayError("USAGE", "give --version or --digest, not both");
  const session = await openEnvironment(ctx.globals.config, opts.env);
  try {
    const service = serviceOf(session.system, serviceName);
    const { image, version } = resolveImage(session, service, opts);
    const template = templateOf(session, service);
    await session.engine.ping();
    await ensureImagePresent(session.engine, image);
    if (otherEnvironmentController(session) === undefined) await routeService(session, service.config);
    // Deploying what already runs is a no-op, so scripts (and the quickstart) can run again.
    if (alreadyServes(session.rollouts, { ...scopeOf(session, serviceName), image, template })) {
      ctx.output.out(`${serviceName} in ${opts.env} already runs ${image}; nothing to roll out (${endpointsText(session, service.config)})`);
      return 0;
    }
    const rollout = beginRollout(session.rollouts, { ...scopeOf(session, serviceName), image, ...(version === undefined ? {} : { version }), template, strategy: service.config.strategy, replicas: service.config.replicas, nowMs: Date.now() });
    ctx.output.out(`rollout ${rollout.id}: ${serviceName} → ${image} (${rollout.state.targetRevision}) in ${opts.env}, ${rollout.state.strategy}; ${endpointsText(session, service.config)}`);
    return await drive(ctx, session, service, rollout.id, untilPausedByHand);
  } finally {
    session.close();
  }
}

/** The pinned image: a prod environment deploys released digests only; a dev one CI's newest or the one given. */
function resolveImage(session: EnvironmentSession, service: LoadedService, opts: { version?: string; digest?: string }): { image: string; version?: string } {
  const role = session.environment.registry;
  const registry = parseRegistryUrl(session.system.config.registries[role].url);
  const repository = imageRepository(session.system.config, service.config, registry);
  const name = service.config.name;
  if (role === "prod") {
    const releases = new SqliteReleaseStore(session.store.db);
    const release =
      opts.version !== undefined
        ? releases.findRelease(name, opts.version)
        : opts.digest !== undefined
          ? releases.listReleases(name).find((r) => r.digest === opts.digest && r.status === "released")
          : releases.latestReleased(name);
    if (release === undefined || release.status !== "released") {
      const what = opts.version ?? opts.digest ?? "any version";
      throw new SlipwayError("USAGE", `${name} ${what} is not released, and ${session.environment.name} deploys from the prod registry`, {
        hint: `release it first (\`slipway release ${name}${opts.version ? ` --version ${opts.version}` : ""}\`); \`slipway releases ${name}\` lists what is released`,
      });
    }
    return { image: `${repository}@${release.digest}`, version: release.version };
  }
  if (opts.version !== undefined) throw new SlipwayError("USAGE", `${session.environment.name} deploys from the dev registry: pass --digest, or nothing for CI's newest build`);
  if (opts.digest !== undefined) {
    if (!/^sha256:[0-9a-f]{64}$/.test(opts.digest)) throw new SlipwayError("REFERENCE_INVALID", `--digest ${opts.digest} is not sha256:<64 hex digits>`);
    return { image: `${repository}@${opts.digest}` };
  }
  const built = new SqlitePipelineRunStore(session.store.db).latestSuccessful(name);
  if (built?.record.digest === undefined) throw new SlipwayError("USAGE", `CI has not built ${name} yet`, { hint: `run \`slipway ci ${name}\`, or pass --digest` });
  return { image: `${repository}@${built.record.digest}` };
}

/**
 * Literal variables are kept with the revision; secrets only by the host
 * variable's name (checked now). On the host network each dependency's
 * router endpoint comes as <DEPENDENCY>_URL, unless the service sets it.
 */
function templateOf(session: EnvironmentSession, service: LoadedService): InstanceTemplate {
  const c = service.config;
  resolveServiceEnv(c.env, process.env, `service ${c.name}`);
  const env: Record<string, string> =
    session.environment.network === "host" ? dependencyUrls(c, session.system.services.map((s) => s.config), session.portOffset) : {};
  const secretEnv: Record<string, string> = {};
  for (const [variable, value] of Object.entries(c.env)) {
    if (typeof value === "object") secretEnv[variable] = value.fromEnv;
    else env[variable] = String(value);
  }
  return { port: c.port, env, secretEnv, resources: c.resources, readiness: c.readiness, terminationGracePeriodSeconds: c.terminationGracePeriodSeconds };
}

// ------------------------------------------------------------ the loop

export const untilPausedByHand = (s: RolloutState): boolean => s.userPaused || s.pause?.kind === "manual";

/**
 * Runs the controller for a rollout until it completes or `stopWhen` holds.
 * When another process drives it, follows it through the store instead.
 */
export async function drive(ctx: CommandContext, session: EnvironmentSession, service: LoadedService, rolloutId: string, stopWhen: (s: RolloutState) => boolean, expected: CompletionOutcome = "healthy"): Promise<number> {
  const { output } = ctx;
  const environmentController = otherEnvironmentController(session);
  if (environmentController !== undefined) return followFromStore(ctx, session, rolloutId, environmentController, stopWhen, expected);
  const lock = acquireControllerLock(lockPath(session.system.stateDir, session.environment.name, service.config.name));
  if ("heldBy" in lock) return followFromStore(ctx, session, rolloutId, lock.heldBy, stopWhen, expected);
  const controller = controllerFor(session, service);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await routeService(session, service.config);
    const orphans = await removeOrphanInstances({ runtime: session.runtime, router: session.router, store: session.rollouts }, session.system.config.system, session.environment.name);
    if (orphans.length > 0) output.err(`removed ${orphans.length} orphaned instance(s): ${orphans.map((o) => o.name).join(", ")}`);
    const steps = service.config.strategy.canary?.steps.length;
    let last = "";
    const end = await controller.loop.run(rolloutId, {
      signal: stop.signal,
      stopWhen,
      onPlan: (report) => {
        if (report.error !== undefined) return output.err(paint(output, "yellow", `retrying: ${report.error.message}`));
        const line = progressLine(report.state, report.observed, steps);
        if (line !== last && !ctx.globals.json) output.out(line);
        last = line;
      },
    });
    return reportEnd(ctx, session, service.config.name, rolloutId, end, expected);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    controller.close();
    (lock as ControllerLock).release();
    await session.router.close();
  }
}

/** Exit 0 when the rollout ended as expected (healthy; aborted for `rollout abort`), or paused as asked. */
function reportEnd(ctx: CommandContext, session: EnvironmentSession, service: string, rolloutId: string, end: LoopEnd, expected: CompletionOutcome): number {
  const { output } = ctx;
  const where = `${service} --env ${session.environment.name}`;
  if (ctx.globals.json) output.out(JSON.stringify({ rollout: rolloutId, end: end.kind, outcome: end.kind === "complete" ? end.outcome : undefined, state: end.state }));
  if (end.kind === "complete") {
    if (!ctx.globals.json) output.out(`${end.outcome === "healthy" ? paint(output, "green", "healthy") : paint(output, "red", end.outcome)}: rollout ${rolloutId}${end.state.abortReason ? ` (${end.state.abortReason})` : ""}`);
    return end.outcome === expected ? 0 : 1;
  }
  if (end.kind === "interrupted") {
    if (!ctx.globals.json) output.out(`stopped watching; rollout ${rolloutId} stays where it is — continue with \`slipway rollout resume ${where}\``);
    return 130;
  }
  if (!ctx.globals.json) {
    const why = end.state.userPaused ? "paused by `slipway rollout pause`" : (end.state.pause?.reason ?? "paused");
    output.out(`${paint(output, "yellow", "paused")}: ${why} — continue with \`slipway rollout ${end.state.userPaused ? "resume" : "promote"} ${where}\``);
  }
  return 0;
}

/** Another process runs the controller: print what the store says until it ends or stopWhen holds. */
async function followFromStore(ctx: CommandContext, session: EnvironmentSession, rolloutId: string, pid: number, stopWhen: (s: RolloutState) => boolean, expected: CompletionOutcome): Promise<number> {
  ctx.output.err(`the controller of this rollout runs in process ${pid}; following it`);
  let last = "";
  for (;;) {
    const record = session.rollouts.getRollout(rolloutId) as RolloutRecord;
    const line = `${record.state.phase}${record.state.userPaused ? " (paused)" : ""} · ${record.state.message ?? ""}`;
    if (line !== last) ctx.output.out(line);
    last = line;
    if (record.finished) return record.outcome === expected ? 0 : 1;
    if (stopWhen(record.state) && session.rollouts.nextCommand(rolloutId) === undefined) return 0;
    await new Promise((r) => setTimeout(r, 500));
  }
}

// ------------------------------------------------------------- rollout …

function currentRollout(session: EnvironmentSession, service: string, unfinished: boolean): RolloutRecord {
  const latest = session.rollouts.latestRollout(scopeOf(session, service));
  if (latest === undefined) throw new SlipwayError("USAGE", `${service} has never been rolled out to ${session.environment.name}`, { hint: `\`slipway deploy ${service} --env ${session.environment.name}\`` });
  if (unfinished && latest.finished) throw new SlipwayError("USAGE", `${service} in ${session.environment.name} has no rollout in progress (the last, ${latest.id}, ended ${latest.outcome ?? "finished"})`);
  return latest;
}

export async function rolloutCommand(ctx: CommandContext, action: "watch" | "resume" | "pause" | "promote" | "abort" | "retry", serviceName: string, opts: EnvOption & { full?: boolean; reason?: string }): Promise<number> {
  const session = await openEnvironment(ctx.globals.config, opts.env);
  try {
    const service = serviceOf(session.system, serviceName);
    const rollout = currentRollout(session, serviceName, action !== "watch" && action !== "retry");
    if (action === "retry") {
      if (rollout.finished && rollout.outcome === "healthy") throw new SlipwayError("USAGE", `rollout ${rollout.id} ended healthy: there is nothing to retry`);
      // The planner starts a new attempt (fresh analysis keys) from the retry command.
      if (rollout.finished) session.rollouts.reopenRollout(rollout.id);
      session.rollouts.enqueueCommand(rollout.id, { type: "retry" });
      return await drive(ctx, session, service, rollout.id, untilPausedByHand);
    }
    if (rollout.finished) {
      ctx.output.out(`rollout ${rollout.id} ended ${rollout.outcome ?? ""}`);
      return 0;
    }
    const command: Command | undefined =
      action === "pause"
        ? { type: "pause" }
        : action === "abort"
          ? { type: "abort", ...(opts.reason === undefined ? {} : { reason: opts.reason }) }
          : action === "promote"
            ? { type: opts.full === true ? "promoteFull" : "promote" }
            : action === "resume" && rollout.state.userPaused
              ? { type: "resume" }
              : undefined;
    if (command !== undefined) session.rollouts.enqueueCommand(rollout.id, command);
    // pause returns once the pause took effect; everything else runs to completion or the next pause by hand.
    const consumed = (): boolean => session.rollouts.nextCommand(rollout.id) === undefined;
    const stopWhen = action === "pause" ? (s: RolloutState) => consumed() && s.userPaused : (s: RolloutState) => consumed() && untilPausedByHand(s);
    return await drive(ctx, session, service, rollout.id, stopWhen, action === "abort" ? "aborted" : "healthy");
  } finally {
    session.close();
  }
}

export async function rolloutStatusCommand(ctx: CommandContext, serviceName: string, opts: EnvOption): Promise<number> {
  const session = await openEnvironment(ctx.globals.config, opts.env);
  try {
    const service = serviceOf(session.system, serviceName);
    const rollout = currentRollout(session, serviceName, false);
    if (ctx.globals.json) {
      ctx.output.out(JSON.stringify({ rollout }));
      return 0;
    }
    const s = rollout.state;
    ctx.output.out(`rollout ${rollout.id} (${s.strategy}) ${rollout.finished ? `finished: ${rollout.outcome ?? ""}` : "in progress"}`);
    ctx.output.out(`  phase ${s.phase}${s.userPaused ? " (paused by hand)" : ""}; stable ${s.stableRevision ?? "none"} → target ${s.targetRevision}; step ${s.stepIndex}`);
    ctx.output.out(`  ${endpointsText(session, service.config)}`);
    if (s.pause) ctx.output.out(`  pause: ${s.pause.reason}`);
    for (const a of s.analyses) ctx.output.out(`  analysis ${a.key}: ${a.status}${a.message ? ` — ${a.message}` : ""}`);
    if (s.message) ctx.output.out(`  ${s.message}`);
    for (const r of session.rollouts.listRevisions(scopeOf(session, serviceName))) ctx.output.out(`  revision ${r.number} ${r.name} ${r.version ?? ""} ${r.image}`);
    return 0;
  } finally {
    session.close();
  }
}

/**
 * `rollout undo [--to-revision N]` and `rollback`: abort what is in flight, or
 * a fast rollout to an earlier revision — for undo the newest other one (as
 * Kubernetes), for rollback the last that served healthily.
 */
export async function undoCommand(ctx: CommandContext, serviceName: string, opts: EnvOption & { toRevision?: string; lastGood?: boolean }): Promise<number> {
  const session = await openEnvironment(ctx.globals.config, opts.env);
  try {
    const service = serviceOf(session.system, serviceName);
    const current = currentRollout(session, serviceName, false);
    const controller = controllerFor(session, service);
    if (otherEnvironmentController(session) === undefined) await routeService(session, service.config);
    const { observed } = await controller.world.observe(current.id);
    controller.close();
    const lastGood = opts.lastGood === true && opts.toRevision === undefined && current.finished ? lastGoodRevision(session.rollouts, scopeOf(session, serviceName)) : undefined;
    if (opts.lastGood === true && current.finished && lastGood === undefined) throw new SlipwayError("USAGE", `${serviceName} in ${session.environment.name} has no earlier revision that served healthily`);
    const toRevision = lastGood !== undefined ? lastGood.number : opts.toRevision === undefined ? undefined : Number(opts.toRevision);
    if (toRevision !== undefined && !Number.isInteger(toRevision)) throw new SlipwayError("USAGE", `--to-revision ${opts.toRevision} is not a revision number`);
    const plan = planRollback(current.state, observed, { ...(toRevision === undefined ? {} : { toRevision }), rolloutId: newRolloutId(serviceName, Date.now()), nowMs: Date.now() });
    if (plan.kind === "refused") throw new SlipwayError("USAGE", `cannot undo: ${plan.reason}`);
    if (plan.kind === "command") {
      if (current.finished) throw new SlipwayError("INTERNAL", `undo asked to ${plan.command.type} rollout ${current.id}, which is finished`);
      session.rollouts.enqueueCommand(current.id, plan.command);
      return await drive(ctx, session, service, current.id, () => false, "aborted");
    }
    const revisions = session.rollouts.listRevisions(scopeOf(session, serviceName));
    const target = revisions.find((r) => r.name === plan.state.targetRevision);
    if (target !== undefined) session.rollouts.saveRevision({ ...target, number: Math.max(...revisions.map((r) => r.number)) + 1 });
    session.rollouts.createRollout({ id: plan.state.id, system: session.system.config.system, state: plan.state, strategy: current.strategy }, current.finished ? undefined : current.id);
    ctx.output.out(`rollout ${plan.state.id}: rolling ${serviceName} back to ${plan.state.targetRevision}${target?.version ? ` (${target.version})` : ""}`);
    return await drive(ctx, session, service, plan.state.id, () => false);
  } finally {
    session.close();
  }
}

// ----------------------------------------------------------------- status

export async function statusCommand(ctx: CommandContext, opts: { env?: string }): Promise<number> {
  const system = await loadSystem(ctx.globals.config);
  const envs = opts.env === undefined ? system.config.environments.map((e) => e.name) : [opts.env];
  const rows: Record<string, string>[] = [];
  for (const envName of envs) {
    const session = await openEnvironment(ctx.globals.config, envName);
    try {
      for (const service of session.system.services) {
        rows.push(await serviceStatus(session, service));
      }
    } finally {
      session.close();
    }
  }
  if (ctx.globals.json) {
    ctx.output.out(JSON.stringify({ services: rows }));
    return 0;
  }
  const columns = ["environment", "service", "version", "digest", "ready", "traffic", "rollout", "endpoint"];
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ").trimEnd();
  ctx.output.out(paint(ctx.output, "bold", line(columns)));
  for (const r of rows) ctx.output.out(line(columns.map((c) => r[c] ?? "")));
  return 0;
}

async function serviceStatus(session: EnvironmentSession, service: LoadedService): Promise<Record<string, string>> {
  const name = service.config.name;
  const scope = scopeOf(session, name);
  const latest = session.rollouts.latestRollout(scope);
  const revisions = session.rollouts.listRevisions(scope);
  const serving = revisions.find((r) => r.name === servingRevision(latest));
  const row: Record<string, string> = { environment: session.environment.name, service: name, endpoint: `127.0.0.1:${endpointPort(service.config, session.portOffset)}`, version: serving?.version ?? (serving ? "-" : "not deployed"), digest: serving ? (serving.image.split("@")[1] ?? "").slice(0, 19) : "" };
  if (latest === undefined) return row;
  row["rollout"] = latest.finished ? (latest.outcome ?? "finished") : `${latest.state.phase}${latest.state.userPaused ? " (paused)" : ""}`;
  const instances = (await session.runtime.listInstances(scope)).filter((i) => i.phase !== "exited");
  const ready = await Promise.all(
    instances.map(async (i) => {
      const readiness = revisions.find((r) => r.name === i.revision)?.template.readiness;
      return readiness !== undefined && (await session.runtime.probeOnce(i, readiness).catch(() => false));
    }),
  );
  row["ready"] = `${ready.filter(Boolean).length}/${instances.length}`;
  try {
    const backends = (await session.router.listBackends(name)).filter((b) => b.state === "ready");
    const total = backends.reduce((n, b) => n + b.weight, 0);
    const byRevision = new Map<string, number>();
    for (const b of backends) byRevision.set(b.revision, (byRevision.get(b.revision) ?? 0) + b.weight);
    row["traffic"] = total === 0 ? "none" : [...byRevision].filter(([, w]) => w > 0).map(([r, w]) => `${revisions.find((x) => x.name === r)?.version ?? r} ${Math.round((w * 100) / total)}%`).join(", ");
  } catch {
    row["traffic"] = "router not running";
  }
  return row;
}
