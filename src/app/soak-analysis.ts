// A soak's analysis (`promotion.soak.analysis` on the environment entered):
// the named router metrics judged over each entering service's soak window in
// the environment it is promoted from — from the router's counters kept when
// the rollout that began the window finished (the mark) to its counters now
// (delivery/analysis/window-judge.ts). `slipway status` and `slipway promote`
// hand the verdict to the promotion gate. ADR 28.
import type { LoadedSystem } from "../config/load-system.js";
import { servingRevision } from "../delivery/controller/begin-rollout.js";
import type { MetricConfig } from "../delivery/analysis/create-provider.js";
import { judgeWindow } from "../delivery/analysis/window-judge.js";
import { formatDuration, type Lock, lockDifference, PromotionPath, type SourceFacts } from "../domain/promotion-path.js";
import { SqliteRolloutStore } from "../store/sqlite/rollout-store.js";
import type { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { openEnvironmentOf, routerCountersOf, type EnvironmentSession } from "./environment.js";
import { environmentLock, windowStart } from "./promotion.js";

type Verdict = NonNullable<SourceFacts["analysis"]>;

/** Undefined when the target's rules name no soak analysis (or nothing enters, or the source does not serve the lock: the soak rule says so). */
export async function soakAnalysis(system: LoadedSystem, store: SqliteStore, target: string, lock: Lock, nowMs = Date.now()): Promise<Verdict | undefined> {
  const names = system.config.environments.find((e) => e.name === target)?.promotion?.soak?.analysis?.metrics;
  const source = PromotionPath.of(system.config.environments).predecessor(target);
  if (names === undefined || source === undefined) return undefined;
  const rollouts = new SqliteRolloutStore(store.db);
  const sourceLock = environmentLock(rollouts, system, source);
  const entering = lockDifference(lock, environmentLock(rollouts, system, target)).filter((s) => sourceLock[s] === lock[s]);
  if (entering.length === 0) return undefined;
  const session = openEnvironmentOf(system, source, store);
  try {
    const verdicts: Verdict[] = [];
    for (const service of entering) verdicts.push(await judgeService(session, service, lock[service] ?? "", names, nowMs));
    const worst = verdicts.find((v) => v.phase === "failed") ?? verdicts.find((v) => v.phase === "not-judged");
    return worst ?? { phase: "passed", detail: verdicts.map((v) => v.detail).join("; ") };
  } finally {
    await session.router.close().catch(() => undefined);
    session.close();
  }
}

/** soakAnalysis, with a router that cannot be read (or the like) as "not judged", saying why. */
export async function soakAnalysisOrWhyNot(system: LoadedSystem, store: SqliteStore, target: string, lock: Lock): Promise<Verdict | undefined> {
  try {
    return await soakAnalysis(system, store, target, lock);
  } catch (err) {
    return { phase: "not-judged", detail: err instanceof Error ? err.message : String(err) };
  }
}

async function judgeService(session: EnvironmentSession, service: string, digest: string, names: readonly string[], nowMs: number): Promise<Verdict> {
  const where = session.environment.name;
  const scope = { system: session.system.config.system, environment: where, service };
  const start = windowStart(session.rollouts, scope, digest);
  const mark = start === undefined ? undefined : session.rollouts.countersMark(start.id);
  if (start === undefined || mark === undefined) {
    return { phase: "not-judged", detail: `no reading of ${service}'s router counters from when its rollout${start === undefined ? "" : ` ${start.id}`} finished in ${where} (slipway keeps one since it judges soaks; a new rollout of ${service} there starts a window it can judge)` };
  }
  if (servingRevision(session.rollouts.latestRollout(scope)) !== mark.revision) return { phase: "not-judged", detail: `${service} no longer serves ${mark.revision} in ${where}` };
  const startMs = Date.parse(mark.at);
  const end = await routerCountersOf(session, service, mark.revision, Math.max(1000, nowMs - startMs));
  const verdicts = await judgeWindow(metricsNamed(session.system, service, names), { revision: mark.revision, start: mark, startMs, end, endMs: nowMs }, AbortSignal.timeout(30_000));
  const window = `over ${formatDuration(nowMs - startMs)} in ${where}`;
  const failed = verdicts.filter((v) => v.phase === "failed");
  if (failed.length > 0) return { phase: "failed", detail: failed.map((v) => `${service} ${v.metric} ${window}: ${v.message}`).join("; ") };
  const unsure = verdicts.filter((v) => v.phase === "inconclusive");
  if (unsure.length > 0) return { phase: "not-judged", detail: unsure.map((v) => `${service} ${v.metric} ${window}: ${v.message}`).join("; ") };
  return { phase: "passed", detail: verdicts.map((v) => `${service} ${v.metric} ${window}: ${v.message}`).join("; ") };
}

/** Each name as the service defines it, else as another service does (validate checks that one does). */
function metricsNamed(system: LoadedSystem, service: string, names: readonly string[]): MetricConfig[] {
  const own = system.services.find((s) => s.config.name === service)?.config.analysis?.metrics ?? [];
  const all = system.services.flatMap((s) => s.config.analysis?.metrics ?? []);
  return names.map((name) => (own.find((m) => m.name === name) ?? all.find((m) => m.name === name)) as MetricConfig);
}
