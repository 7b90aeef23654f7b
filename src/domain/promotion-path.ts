// The environments' promotion path (test → staging → prod) and the gate a
// lock (service → digest) passes to enter one of them. Pure: the caller
// brings what happened (test runs with what they had deployed, when the lock
// began serving in the source environment and its health, approvals, the
// clock); the gate answers which rules are unmet, each in words a person can
// act on. docs/adr/0019-promotion-rules-and-approvals.md explains the rules.
import type { EnvironmentConfig, PromotionEvidenceKind, PromotionRulesConfig } from "./config-schema.js";
import { didYouMean } from "./did-you-mean.js";
import { SlipwayError } from "./errors.js";

/** Which digest each service runs (or is to run): sha256:… by service name. */
export type Lock = Readonly<Record<string, string>>;

export interface PathEnvironment {
  name: string;
  /** Undefined for the root (the first environment). */
  promotedFrom?: string;
  /** Whether promotedFrom was written (false: the environment declared before it). */
  explicit: boolean;
  rules?: PromotionRulesConfig;
}

/** A problem with the path, at environments[index].<field>, for validate to place in the file. */
export interface PathProblem {
  index: number;
  field: "promotedFrom" | "promotion";
  message: string;
  hint?: string;
}

type EnvShape = Pick<EnvironmentConfig, "name" | "promotedFrom" | "promotion">;

/** Each environment with its predecessor: written, or the one declared before it (so today's configs form a path in declared order). */
function edges(envs: readonly EnvShape[]): PathEnvironment[] {
  return envs.map((env, i) => {
    const previous = i === 0 ? undefined : envs[i - 1]?.name;
    const from = env.promotedFrom ?? previous;
    return { name: env.name, ...(from === undefined ? {} : { promotedFrom: from }), explicit: env.promotedFrom !== undefined, ...(env.promotion === undefined ? {} : { rules: env.promotion }) };
  });
}

/**
 * What keeps the environments from forming one path: unknown names, an
 * environment promoted from itself, two promoted from the same one, cycles,
 * rules on the root. Empty when `promotionPath` will succeed.
 */
export function pathProblems(envs: readonly EnvShape[]): PathProblem[] {
  const nodes = edges(envs);
  const names = nodes.map((n) => n.name);
  const problems: PathProblem[] = [];
  const successor = new Map<string, number>();
  nodes.forEach((node, i) => {
    if (node.promotedFrom === undefined) {
      if (node.rules !== undefined) problems.push({ index: i, field: "promotion", message: `"${node.name}" is the first environment: nothing is promoted into it, so its promotion rules would never apply`, hint: "move the rules to an environment with promotedFrom, or declare this environment after the one it is promoted from" });
      return;
    }
    if (!names.includes(node.promotedFrom)) {
      const guess = didYouMean(node.promotedFrom, names);
      problems.push({ index: i, field: "promotedFrom", message: `there is no environment "${node.promotedFrom}" to promote "${node.name}" from`, hint: guess === undefined ? `environments: ${names.join(", ")}` : `did you mean "${guess}"?` });
      return;
    }
    if (node.promotedFrom === node.name) {
      problems.push({ index: i, field: "promotedFrom", message: `"${node.name}" is promoted from itself`, hint: "name the environment before it in the path" });
      return;
    }
    const other = successor.get(node.promotedFrom);
    if (other !== undefined) {
      const first = nodes[other]?.name ?? "";
      problems.push({ index: i, field: "promotedFrom", message: `both "${first}" and "${node.name}" are promoted from "${node.promotedFrom}"; the environments form one path, each promoted from the one before it`, hint: node.explicit ? `promote "${node.name}" from "${first}" instead, or remove one` : `set promotedFrom on "${node.name}" (it defaults to the environment declared before it)` });
      return;
    }
    successor.set(node.promotedFrom, i);
  });
  if (problems.length > 0) return problems;
  // One root (the first environment) and at most one successor each: whatever the root does not reach sits on a cycle.
  const reached = new Set(walk(nodes));
  const reported = new Set<string>();
  nodes.forEach((node) => {
    if (reached.has(node.name) || reported.has(node.name)) return;
    const members: string[] = [];
    for (let at: string | undefined = node.name; at !== undefined && !members.includes(at); at = nodes.find((n) => n.name === at)?.promotedFrom) members.push(at);
    for (const m of members) reported.add(m);
    const backwards = [...members].reverse(); // members follow promotedFrom backwards; read it from the first declared
    const order = [...backwards.slice(backwards.indexOf(node.name)), ...backwards.slice(0, backwards.indexOf(node.name))];
    const written = nodes.findIndex((n) => members.includes(n.name) && n.explicit);
    problems.push({ index: written === -1 ? nodes.indexOf(node) : written, field: "promotedFrom", message: `promotion cycle: ${[...order, order[0] ?? ""].join(" → ")}`, hint: "each environment is promoted from one earlier in the path; the first environment is the root" });
  });
  return problems;
}

function walk(nodes: readonly PathEnvironment[]): string[] {
  const root = nodes.find((n) => n.promotedFrom === undefined);
  const order: string[] = [];
  for (let at = root; at !== undefined && !order.includes(at.name); at = nodes.find((n) => n.promotedFrom === at?.name)) order.push(at.name);
  return order;
}

/** The environments in promotion order, each with its predecessor and rules. */
export class PromotionPath {
  private constructor(private readonly nodes: readonly PathEnvironment[]) {}

  /** Throws a CONFIG error naming the first path problem; `validate` reports them all with positions. */
  static of(envs: readonly EnvShape[]): PromotionPath {
    const problem = pathProblems(envs)[0];
    if (problem !== undefined) throw new SlipwayError("CONFIG_INVALID", `environments[${problem.index}].${problem.field}: ${problem.message}`, problem.hint === undefined ? {} : { hint: problem.hint });
    const nodes = edges(envs);
    return new PromotionPath(walk(nodes).map((name) => nodes.find((n) => n.name === name) as PathEnvironment));
  }

  /** Names, root first. */
  get order(): string[] {
    return this.nodes.map((n) => n.name);
  }

  environment(name: string): PathEnvironment | undefined {
    return this.nodes.find((n) => n.name === name);
  }

  predecessor(name: string): string | undefined {
    return this.environment(name)?.promotedFrom;
  }

  successor(name: string): string | undefined {
    return this.nodes.find((n) => n.promotedFrom === name)?.name;
  }
}

// ------------------------------------------------------------------- the gate

/** A run of one kind of evidence: an integration test, a load test scenario, a compatibility test. */
export interface EvidenceRun {
  kind: PromotionEvidenceKind;
  /** Where it ran; for a compatibility run, the target environment whose digests the mix took. */
  environment: string;
  status: "passed" | "failed";
  /** What was deployed when it ran; for a compatibility run, the mix (the target's lock with one service at its new digest). */
  deployed: Lock;
  /** Compatibility runs only: the service at its new digest, and the target's lock the mix was taken from. */
  mixed?: { service: string; against: Lock };
}

/** How the lock is doing in the environment it is promoted from. */
export interface SourceFacts {
  /** What the source environment serves now, service → digest. */
  lock: Lock;
  /** Per service: since when (ms) it has served its current digest in the source environment; absent when unknown. */
  servingSinceMs: Readonly<Record<string, number>>;
  /** Per service that is not healthy now: why (e.g. "degraded: 1/2 ready"). */
  unhealthy: Readonly<Record<string, string>>;
  /**
   * The soak analysis' metrics judged over the window, when the rules name
   * one: passed, failed, or not judged (no data in the window, no reading at
   * its start) with why.
   */
  analysis?: { phase: "passed" | "failed" | "not-judged"; detail: string };
}

export interface GateFacts {
  /** The lock that asks to enter: service → digest. */
  lock: Lock;
  /** What the target environment serves now; services already at their digest do not need to pass the rules again. */
  current: Lock;
  source: SourceFacts;
  evidence: readonly EvidenceRun[];
  /** Per service: who approved its digest for the target environment and counts (the caller filters by approvers: owners/anyone). */
  approvedBy: Readonly<Record<string, readonly string[]>>;
  nowMs: number;
}

export type GateRule = PromotionEvidenceKind | "soak" | "approval";

export interface UnmetRule {
  rule: GateRule;
  /** Services the rule is unmet for. */
  services: string[];
  /** In words, e.g. "integration-test has not passed in staging for ingestion@sha256:abcd…". */
  message: string;
}

export interface GateVerdict {
  environment: string;
  from?: string;
  /** The services whose digest differs from what the target runs. */
  entering: string[];
  allowed: boolean;
  unmet: UnmetRule[];
}

/** "sha256:" and the first 12 hex digits, then "…": enough to tell digests apart in a sentence. */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.includes(":") ? digest.split(":", 2) : ["", digest];
  const head = (hex ?? "").slice(0, 12);
  return `${algorithm === "" ? "" : `${algorithm}:`}${head}${(hex ?? "").length > 12 ? "…" : ""}`;
}

/** "3m12s", "10m", "45s", "1h5m". */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const parts = [h > 0 ? `${h}h` : "", m > 0 ? `${m}m` : "", s > 0 || total === 0 ? `${s}s` : ""];
  return parts.join("");
}

const at = (lock: Lock, service: string): string => `${service}@${shortDigest(lock[service] ?? "")}`;
const list = (items: readonly string[]): string => (items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1] ?? ""}`);

/** Services whose digest in `ahead` differs from `behind` (missing counts as different), sorted. */
export function lockDifference(ahead: Lock, behind: Lock): string[] {
  return Object.keys(ahead)
    .filter((service) => ahead[service] !== behind[service])
    .sort();
}

/**
 * May `facts.lock` enter `target`? Checks the target's rules for the
 * services entering (those whose digest differs from what it runs): evidence
 * from the source environment, the soak there, and the target's approvals.
 * An environment without rules lets every lock in.
 */
export function promotionGate(path: PromotionPath, target: string, facts: GateFacts): GateVerdict {
  const env = path.environment(target);
  if (env === undefined) throw new SlipwayError("USAGE", `there is no environment "${target}" on the promotion path`, { hint: `environments: ${path.order.join(", ")}` });
  const entering = lockDifference(facts.lock, facts.current);
  const verdict = (unmet: UnmetRule[]): GateVerdict => ({ environment: target, ...(env.promotedFrom === undefined ? {} : { from: env.promotedFrom }), entering, allowed: unmet.length === 0, unmet });
  const rules = env.rules;
  const source = env.promotedFrom;
  if (rules === undefined || source === undefined || entering.length === 0) return verdict([]);
  const unmet: UnmetRule[] = [];
  for (const kind of rules.requirePassed) {
    const rule = kind === "compatibility" ? compatibilityRule(target, entering, facts) : evidenceRule(kind, source, entering, facts);
    if (rule !== undefined) unmet.push(rule);
  }
  if (rules.soak !== undefined) unmet.push(...soakRules(rules.soak, source, entering, facts));
  if (rules.approvals > 0) {
    const short = entering.filter((s) => (facts.approvedBy[s]?.length ?? 0) < rules.approvals);
    if (short.length > 0) {
      const counts = short.map((s) => `${at(facts.lock, s)} has ${facts.approvedBy[s]?.length ?? 0}`);
      unmet.push({ rule: "approval", services: short, message: `needs ${rules.approvals} approval${rules.approvals === 1 ? "" : "s"} (${rules.approvers}) to enter ${target}: ${list(counts)}` });
    }
  }
  return verdict(unmet);
}

/** A passed run in the source environment with every entering digest deployed together. */
function evidenceRule(kind: Exclude<PromotionEvidenceKind, "compatibility">, source: string, entering: readonly string[], facts: GateFacts): UnmetRule | undefined {
  const runs = facts.evidence.filter((r) => r.kind === kind && r.environment === source && r.status === "passed");
  const had = (run: EvidenceRun, s: string): boolean => run.deployed[s] === facts.lock[s];
  const never = entering.filter((s) => !runs.some((run) => had(run, s)));
  if (runs.some((run) => entering.every((s) => had(run, s)))) return undefined;
  if (never.length > 0) return { rule: kind, services: never, message: `${kind} has not passed in ${source} for ${list(never.map((s) => at(facts.lock, s)))}` };
  return { rule: kind, services: [...entering], message: `${kind} has not passed in ${source} with ${list(entering.map((s) => at(facts.lock, s)))} deployed together` };
}

/**
 * The mix a rollout of one entering service creates in the target: that
 * service at its new digest beside exactly what the target runs now. Each
 * entering service the target already runs needs a passed `test --env
 * <target> --mixed <service>` run for that pair of locks; one the target does
 * not run yet has no older self to mix with and asks nothing (ADR 28).
 */
function compatibilityRule(target: string, entering: readonly string[], facts: GateFacts): UnmetRule | undefined {
  const runs = facts.evidence.filter((r) => r.kind === "compatibility" && r.environment === target && r.status === "passed" && r.mixed !== undefined);
  const mixedFor = (s: string): EvidenceRun[] => runs.filter((r) => r.mixed?.service === s && r.deployed[s] === facts.lock[s]);
  const checked = entering.filter((s) => facts.current[s] !== undefined);
  const never = checked.filter((s) => mixedFor(s).length === 0);
  const stale = checked.filter((s) => !never.includes(s) && !mixedFor(s).some((r) => sameLock(r.mixed?.against ?? {}, facts.current)));
  if (never.length === 0 && stale.length === 0) return undefined;
  const parts = [
    ...(never.length === 0 ? [] : [`compatibility has not passed for ${list(never.map((s) => at(facts.lock, s)))} beside what ${target} runs`]),
    ...(stale.length === 0 ? [] : [`compatibility passed for ${list(stale.map((s) => at(facts.lock, s)))} against an earlier lock of ${target}, which has changed since`]),
  ];
  const run = [...never, ...stale].map((s) => `slipway test --env ${target} --mixed ${s}`);
  return { rule: "compatibility", services: [...never, ...stale].sort(), message: `${parts.join("; ")} (\`${run.join("`, `")}\`)` };
}

/** The same services at the same digests. */
function sameLock(a: Lock, b: Lock): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

function soakRules(soak: NonNullable<PromotionRulesConfig["soak"]>, source: string, entering: readonly string[], facts: GateFacts): UnmetRule[] {
  const notThere = entering.filter((s) => facts.source.lock[s] !== facts.lock[s]);
  if (notThere.length > 0) {
    const what = notThere.map((s) => `${at(facts.lock, s)} (${source} runs ${facts.source.lock[s] === undefined ? "none" : shortDigest(facts.source.lock[s] ?? "")})`);
    return [{ rule: "soak", services: notThere, message: `soak: ${list(what)} not serving in ${source}` }];
  }
  const sick = entering.filter((s) => facts.source.unhealthy[s] !== undefined);
  if (sick.length > 0) return [{ rule: "soak", services: sick, message: `soak: not healthy in ${source}: ${list(sick.map((s) => `${s} ${facts.source.unhealthy[s] ?? ""}`))}` }];
  const needMs = soak.minutes * 60_000;
  const unknown = entering.filter((s) => facts.source.servingSinceMs[s] === undefined);
  if (unknown.length > 0) return [{ rule: "soak", services: unknown, message: `soak: no record of when ${list(unknown.map((s) => at(facts.lock, s)))} began serving in ${source}` }];
  // The window starts when the last of the entering services began serving its digest.
  const since = Math.max(...entering.map((s) => facts.source.servingSinceMs[s] ?? 0));
  const soaked = facts.nowMs - since;
  if (soaked < needMs) {
    const last = entering.filter((s) => facts.source.servingSinceMs[s] === since);
    return [{ rule: "soak", services: last, message: `soaking in ${source}: ${formatDuration(soaked)} of ${formatDuration(needMs)}` }];
  }
  if (soak.analysis === undefined) return [];
  const analysis = facts.source.analysis;
  const metrics = soak.analysis.metrics.join(", ");
  if (analysis === undefined) return [{ rule: "soak", services: [...entering], message: `soak analysis (${metrics}) has not been judged over the window in ${source}` }];
  if (analysis.phase === "not-judged") return [{ rule: "soak", services: [...entering], message: `soak analysis (${metrics}) could not be judged over the window in ${source}: ${analysis.detail}` }];
  if (analysis.phase === "failed") return [{ rule: "soak", services: [...entering], message: `soak analysis failed in ${source}: ${analysis.detail}` }];
  return [];
}
