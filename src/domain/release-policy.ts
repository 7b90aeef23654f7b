// Release policies: which rule applies to a release (organisation defaults ←
// slipway.yaml default ← tier ← service, field by field), and whether a release
// may go out now. Pure: the caller brings the approvals, the stages that
// passed, the clock and the service's strategy; blockers say which rule holds
// the release back and what would satisfy it.
import type { ChangeType, FreezeWindowConfig, ReleaseStageName, PolicySetConfig, ReleasePolicyConfig, ReleaseRuleConfig, Strategy, StrategyKind } from "./config-schema.js";
import { changeTypes, ciStageNames } from "./config-schema.js";
import { SlipwayError } from "./errors.js";
import { diffSemver, parseSemver, type SemVer } from "./semver.js";

export type Approvers = "owners" | "anyone";

export interface ResolvedRule {
  approvals: number;
  approvers: Approvers;
  requireStrategy?: StrategyKind;
  /** Where each field was set, e.g. "releasePolicy.tiers.critical.minor.approvals", so a blocker can name its rule. */
  origin: { approvals: string; approvers: string; requireStrategy: string };
}

export interface EffectivePolicy {
  rules: Record<ChangeType, ResolvedRule>;
  requireStages: ReleaseStageName[];
  requireStagesOrigin: string;
}

/** What applies when slipway.yaml says nothing: docs/configuration.md documents the same. */
export const organisationDefaults: PolicySetConfig = {
  initial: { approvals: 0, approvers: "owners" },
  patch: { approvals: 0, approvers: "owners" },
  minor: { approvals: 1, approvers: "owners" },
  major: { approvals: 2, approvers: "owners", requireStrategy: "canary" },
  prerelease: { approvals: 0, approvers: "owners" },
  requireStages: [...ciStageNames],
};

interface PolicyLayer {
  set: PolicySetConfig;
  /** The config path of a field in this layer. */
  at: (field: string) => string;
}

/** Merges default ← tier ← service over the organisation defaults; an unset field is inherited. An unknown tier adds nothing (validation reports it). */
export function effectivePolicy(systemPolicy: ReleasePolicyConfig | undefined, tier: string | undefined, servicePolicy: PolicySetConfig | undefined): EffectivePolicy {
  const layers: PolicyLayer[] = [{ set: organisationDefaults, at: (f) => `releasePolicy.default.${f} (built-in default)` }];
  if (systemPolicy !== undefined) layers.push({ set: systemPolicy.default, at: (f) => `releasePolicy.default.${f}` });
  const tierSet = tier === undefined ? undefined : systemPolicy?.tiers[tier];
  if (tierSet !== undefined) layers.push({ set: tierSet, at: (f) => `releasePolicy.tiers.${tier}.${f}` });
  if (servicePolicy !== undefined) layers.push({ set: servicePolicy, at: (f) => `releasePolicy.${f} in slipway.service.yaml` });

  const rules = Object.fromEntries(changeTypes.map((type) => [type, resolveRule(type, layers)])) as Record<ChangeType, ResolvedRule>;
  let requireStages: ReleaseStageName[] = [];
  let requireStagesOrigin = "";
  for (const layer of layers) {
    if (layer.set.requireStages === undefined) continue;
    requireStages = [...layer.set.requireStages];
    requireStagesOrigin = layer.at("requireStages");
  }
  return { rules, requireStages, requireStagesOrigin };
}

function resolveRule(type: ChangeType, layers: readonly PolicyLayer[]): ResolvedRule {
  const rule: ResolvedRule = { approvals: 0, approvers: "owners", origin: { approvals: "", approvers: "", requireStrategy: "" } };
  for (const layer of layers) {
    const set: ReleaseRuleConfig | undefined = layer.set[type];
    if (set === undefined) continue;
    if (set.approvals !== undefined) [rule.approvals, rule.origin.approvals] = [set.approvals, layer.at(`${type}.approvals`)];
    if (set.approvers !== undefined) [rule.approvers, rule.origin.approvers] = [set.approvers, layer.at(`${type}.approvers`)];
    if (set.requireStrategy !== undefined) {
      if (set.requireStrategy === "any") delete rule.requireStrategy;
      else rule.requireStrategy = set.requireStrategy;
      rule.origin.requireStrategy = layer.at(`${type}.requireStrategy`);
    }
  }
  return rule;
}

/** The people behind a service's owners: a team stands for its members, anything else is a person. Distinct, in order. */
export function expandOwners(owners: readonly string[], teams: Readonly<Record<string, readonly string[]>>): string[] {
  const people = owners.flatMap((owner) => (Object.hasOwn(teams, owner) ? (teams[owner] ?? []) : [owner]));
  return distinctIdentities(people);
}

/** Identities compare without case, so "Alice@x" cannot approve what "alice@x" requested. */
export function sameIdentity(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function distinctIdentities(identities: readonly string[]): string[] {
  const seen = new Set<string>();
  return identities.filter((id) => {
    const key = id.trim().toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function strategyKindOf(strategy: Strategy): StrategyKind {
  if (strategy.canary !== undefined) return "canary";
  if (strategy.blueGreen !== undefined) return "blueGreen";
  return "rolling";
}

/**
 * The kind of change from the version in prod to the next one. Any prerelease
 * is "prerelease"; the release of a prerelease that is in prod counts as the
 * bump it finalises (2.0.0-rc.1 → 2.0.0 is major), so a major cannot slip out
 * as a patch by way of its release candidate.
 */
export function changeTypeOf(prodVersion: string | undefined, nextVersion: string): ChangeType {
  const next = parseVersion(nextVersion);
  if (prodVersion === undefined) return "initial";
  if (next.prerelease.length > 0) return "prerelease";
  const diff = diffSemver(parseVersion(prodVersion), next);
  if (diff === undefined || diff === "prerelease") {
    throw new SlipwayError("USAGE", `version ${nextVersion} is already in prod`, { hint: "raise `version` in the service's slipway.service.yaml before releasing" });
  }
  return diff;
}

function parseVersion(text: string): SemVer {
  const version = parseSemver(text);
  if (version === undefined) throw new SlipwayError("USAGE", `"${text}" is not a semantic version`, { hint: "use a version such as 1.4.0 or 1.4.0-rc.1" });
  return version;
}

// ------------------------------------------------------------------ evaluation

export interface ReleaseFacts {
  changeType: ChangeType;
  policy: EffectivePolicy;
  /** The service's owners as people, teams expanded (expandOwners). */
  owners: readonly string[];
  requester: string;
  approvals: readonly { approver: string }[];
  /** CI stages that passed for the build being released. */
  passedStages: readonly string[];
  /** Why a stage that did not pass does not count (e.g. its attestation was refused), by stage. */
  stageReasons?: Readonly<Record<string, string>>;
  /**
   * CI stages that had nothing to do for this build (e.g. no build.commands):
   * they satisfy a policy that requires them, since nothing could have failed
   * there; the evaluation lists them so the release can say so.
   */
  nothingToDoStages?: readonly string[];
  now: Date;
  freeze: readonly FreezeWindowConfig[];
  /** The rollout strategy the service is configured with. */
  strategy: StrategyKind;
}

export type BlockerKind = "freeze" | "stages" | "integration-test" | "load-test" | "compatibility" | "strategy" | "approvals";

export interface ReleaseBlocker {
  kind: BlockerKind;
  /** The rule that blocks, as a config path, e.g. "releasePolicy.freeze[0]". */
  rule: string;
  message: string;
  howToSatisfy: string;
}

export interface ReleaseEvaluation {
  allowed: boolean;
  blockers: ReleaseBlocker[];
  approvalsNeeded: number;
  approvalsCounted: number;
  /** Approvals given that do not count, and why. */
  ignoredApprovals: { approver: string; reason: string }[];
  approvers: Approvers;
  /** The owners who may approve (all but the requester) when approvers is owners; empty when anyone but the requester may. */
  eligibleApprovers: string[];
  /** Required stages that count because they had nothing to do for this build. */
  satisfiedWithNothingToDo: string[];
}

export function evaluateRelease(facts: ReleaseFacts): ReleaseEvaluation {
  const rule = facts.policy.rules[facts.changeType];
  const tally = tallyApprovals(facts, rule);
  const blockers = [
    ...freezeBlockers(facts),
    ...stageBlockers(facts),
    ...strategyBlockers(facts, rule),
    ...approvalBlockers(facts, rule, tally),
  ];
  return {
    allowed: blockers.length === 0,
    blockers,
    approvalsNeeded: rule.approvals,
    approvalsCounted: tally.counted.length,
    ignoredApprovals: tally.ignored,
    approvers: rule.approvers,
    eligibleApprovers: tally.eligible,
    satisfiedWithNothingToDo: facts.policy.requireStages.filter((stage) => !facts.passedStages.includes(stage) && (facts.nothingToDoStages ?? []).includes(stage)),
  };
}

/**
 * What holds a waiting release back, in a word or two for a status column:
 * "awaiting-approval" only when approvals are all that is missing.
 */
export function waitingLabel(evaluation: Pick<ReleaseEvaluation, "allowed" | "blockers" | "approvalsCounted" | "approvalsNeeded">): string {
  if (evaluation.allowed) return "ready to release";
  const kinds = [...new Set(evaluation.blockers.map((b) => b.kind))];
  if (kinds.length === 1 && kinds[0] === "approvals") return `awaiting-approval (${evaluation.approvalsCounted}/${evaluation.approvalsNeeded})`;
  return `blocked: ${kinds.join(", ")}`;
}

interface ApprovalTally {
  counted: string[];
  ignored: { approver: string; reason: string }[];
  eligible: string[];
}

function tallyApprovals(facts: ReleaseFacts, rule: ResolvedRule): ApprovalTally {
  const eligible = rule.approvers === "owners" ? facts.owners.filter((o) => !sameIdentity(o, facts.requester)) : [];
  const counted: string[] = [];
  const ignored: ApprovalTally["ignored"] = [];
  for (const approver of distinctIdentities(facts.approvals.map((a) => a.approver))) {
    if (sameIdentity(approver, facts.requester)) ignored.push({ approver, reason: "requested this release and cannot approve it" });
    else if (rule.approvers === "owners" && !facts.owners.some((o) => sameIdentity(o, approver))) ignored.push({ approver, reason: "is not an owner of the service" });
    else counted.push(approver);
  }
  return { counted, ignored, eligible };
}

function freezeBlockers(facts: ReleaseFacts): ReleaseBlocker[] {
  const now = facts.now.getTime();
  return facts.freeze.flatMap((window, i) => {
    const active = Date.parse(window.from) <= now && now < Date.parse(window.to);
    if (!active || window.allow.includes(facts.changeType)) return [];
    const allowed = window.allow.length === 0 ? "" : `; only ${joinWords(window.allow)} releases may go out`;
    return [
      {
        kind: "freeze" as const,
        rule: `releasePolicy.freeze[${i}]`,
        message: `releases are frozen from ${window.from} until ${window.to} (${window.reason})${allowed}`,
        howToSatisfy: `wait until ${window.to}, or end the freeze in slipway.yaml`,
      },
    ];
  });
}

function stageBlockers(facts: ReleaseFacts): ReleaseBlocker[] {
  const satisfied = new Set([...facts.passedStages, ...(facts.nothingToDoStages ?? [])]);
  const missing = facts.policy.requireStages.filter((stage) => !satisfied.has(stage));
  const ci = missing.filter((stage) => stage !== "integration-test" && stage !== "load-test" && stage !== "compatibility");
  const blockers: ReleaseBlocker[] = [];
  if (ci.length > 0) {
    const plural = ci.length > 1;
    blockers.push({
      kind: "stages",
      rule: facts.policy.requireStagesOrigin,
      message: `stage${plural ? "s" : ""} ${joinWords(ci)} ${plural ? "have" : "has"} not passed for this build${because(facts, ci)}`,
      howToSatisfy: `run \`slipway ci\` until ${joinWords(ci)} ${plural ? "pass" : "passes"} for this build, then release that build`,
    });
  }
  if (missing.includes("integration-test")) {
    blockers.push({
      kind: "integration-test",
      rule: facts.policy.requireStagesOrigin,
      message: `the system's integration tests have not passed with this build deployed${because(facts, ["integration-test"])}`,
      howToSatisfy: "deploy it to an environment that deploys from the dev registry (`slipway deploy <service> --env <env>`) and run `slipway test --env <env>` until it passes",
    });
  }
  if (missing.includes("load-test")) {
    blockers.push({
      kind: "load-test",
      rule: facts.policy.requireStagesOrigin,
      message: `no load test has passed with this build deployed${because(facts, ["load-test"])}`,
      howToSatisfy: "deploy it to an environment that deploys from the dev registry and run `slipway loadtest --env <env>` until a scenario passes its thresholds",
    });
  }
  if (missing.includes("compatibility")) {
    blockers.push({
      kind: "compatibility",
      rule: facts.policy.requireStagesOrigin,
      message: `the integration tests have not passed with this build beside the digests a target environment runs${because(facts, ["compatibility"])}`,
      howToSatisfy: "run `slipway test --env <target> --mixed <service> --digest <digest>` until it passes",
    });
  }
  return blockers;
}

/** The reasons recorded for these stages, as a parenthesis; empty when there are none. */
function because(facts: ReleaseFacts, stages: readonly string[]): string {
  const reasons = stages.flatMap((stage) => (facts.stageReasons?.[stage] === undefined ? [] : [facts.stageReasons[stage]]));
  return reasons.length === 0 ? "" : ` (${reasons.join("; ")})`;
}

const strategyPhrases: Record<StrategyKind, string> = { canary: "a canary", blueGreen: "a blue-green switch", rolling: "a rolling update" };

function strategyBlockers(facts: ReleaseFacts, rule: ResolvedRule): ReleaseBlocker[] {
  const required = rule.requireStrategy;
  if (required === undefined || required === facts.strategy) return [];
  return [
    {
      kind: "strategy",
      rule: rule.origin.requireStrategy,
      message: `${article(facts.changeType)} ${facts.changeType} release must be rolled out with ${strategyPhrases[required]}; strategy is ${facts.strategy}`,
      howToSatisfy: `configure strategy.${required} in the service's slipway.service.yaml`,
    },
  ];
}

function approvalBlockers(facts: ReleaseFacts, rule: ResolvedRule, tally: ApprovalTally): ReleaseBlocker[] {
  const missing = rule.approvals - tally.counted.length;
  if (missing <= 0) return [];
  const from = rule.approvers === "owners" ? " from the service's owners" : "";
  const ignored = tally.ignored.length === 0 ? "" : ` (${tally.ignored.map((i) => `${i.approver} ${i.reason}`).join("; ")})`;
  const message = `${article(facts.changeType)} ${facts.changeType} release needs ${count(rule.approvals, "approval")}${from}; it has ${tally.counted.length}${ignored}`;
  const more = `${count(missing, "more approval")}`;
  if (rule.approvers === "anyone") {
    return [{ kind: "approvals", rule: rule.origin.approvals, message, howToSatisfy: `${more} with \`slipway approve\` by anyone but ${facts.requester}` }];
  }
  const stillEligible = tally.eligible.filter((o) => !tally.counted.some((c) => sameIdentity(c, o)));
  const howToSatisfy =
    stillEligible.length >= missing
      ? `${more} with \`slipway approve\` by ${missing === stillEligible.length ? "" : "any of "}${joinWords(stillEligible)}`
      : `only ${count(tally.eligible.length, "owner")} other than the requester can approve; add owners (or team members), or lower ${rule.origin.approvals}`;
  return [{ kind: "approvals", rule: rule.origin.approvals, message, howToSatisfy }];
}

// -------------------------------------------------------------------- approve

export type ApprovalDecision = { allowed: true } | { allowed: false; reason: string; hint: string };

/** Whether `approver` may approve a release of `service`, as `slipway approve` asks before recording it. */
export function canApprove(input: {
  service: string;
  approver: string;
  requester: string;
  approvers: Approvers;
  /** The service's owners as people, teams expanded. */
  owners: readonly string[];
  approvals?: readonly { approver: string }[];
}): ApprovalDecision {
  const others = input.owners.filter((o) => !sameIdentity(o, input.requester));
  const askOwners = others.length > 0 ? `ask one of its owners: ${joinWords(others)}` : "add another owner to the service, or a member to its team";
  if (sameIdentity(input.approver, input.requester)) {
    return { allowed: false, reason: `${input.approver} requested this release and cannot approve it`, hint: input.approvers === "owners" ? askOwners : "ask someone else to approve it" };
  }
  if (input.approvers === "owners" && !input.owners.some((o) => sameIdentity(o, input.approver))) {
    return {
      allowed: false,
      reason: `${input.approver} is not an owner of ${input.service}; only its owners' approvals count`,
      hint: `${askOwners}, or add ${input.approver} to the service's owners or one of its teams`,
    };
  }
  if ((input.approvals ?? []).some((a) => sameIdentity(a.approver, input.approver))) {
    return { allowed: false, reason: `${input.approver} has already approved this release`, hint: "an approval counts once; ask someone else for the next one" };
  }
  return { allowed: true };
}

/**
 * Whether `rejecter` may reject (refuse) a waiting release: only an owner of
 * the service may end it; the requester, when an owner, may withdraw it.
 */
export function canReject(input: { service: string; rejecter: string; owners: readonly string[] }): ApprovalDecision {
  if (input.owners.some((o) => sameIdentity(o, input.rejecter))) return { allowed: true };
  return {
    allowed: false,
    reason: `${input.rejecter} is not an owner of ${input.service}; only its owners may reject a release`,
    hint: input.owners.length > 0 ? `ask one of its owners: ${joinWords(input.owners)}` : "add an owner to the service",
  };
}

// -------------------------------------------------------------------- wording

function article(word: string): string {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words[words.length - 1] ?? ""}`;
}
