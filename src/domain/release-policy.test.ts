import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ApprovalRecord, ChangeType as ReleaseChangeType } from "../release/types.js";
import type { ChangeType, PolicySetConfig, ReleasePolicyConfig } from "./config-schema.js";
import { SlipwayError } from "./errors.js";
import {
  canApprove,
  canReject,
  changeTypeOf,
  effectivePolicy,
  evaluateRelease,
  expandOwners,
  organisationDefaults,
  strategyKindOf,
  waitingLabel,
  type ReleaseFacts,
} from "./release-policy.js";

// domain/ cannot import release/types.ts, so it declares the same shapes; these fail to compile if they drift apart.
const sameChangeTypes: [ChangeType, ReleaseChangeType] = ["major" as ReleaseChangeType, "major" as ChangeType];
const approvalFits: ReleaseFacts["approvals"] = [] as ApprovalRecord[];
void sameChangeTypes;
void approvalFits;

const builtIn = (field: string): string => `releasePolicy.default.${field} (built-in default)`;

function systemPolicy(partial: Partial<ReleasePolicyConfig>): ReleasePolicyConfig {
  return { default: {}, tiers: {}, freeze: [], ...partial };
}

describe("changeTypeOf", () => {
  const rows: [string | undefined, string, ChangeType][] = [
    [undefined, "1.0.0", "initial"],
    [undefined, "0.1.0-rc.1", "initial"],
    ["1.2.3", "2.0.0", "major"],
    ["1.2.3", "1.3.0", "minor"],
    ["1.2.3", "1.2.4", "patch"],
    ["0.1.0", "0.2.0", "minor"],
    ["1.2.3", "1.3.0-rc.1", "prerelease"],
    ["1.2.3", "2.0.0-rc.1", "prerelease"],
    ["2.0.0-rc.1", "2.0.0-rc.2", "prerelease"],
    // The release of a prerelease in prod is the bump it finalises, not a patch.
    ["2.0.0-rc.2", "2.0.0", "major"],
    ["1.3.0-rc.1", "1.3.0", "minor"],
    ["1.2.4-rc.1", "1.2.4", "patch"],
    // Going back is as big a change as going forward.
    ["2.0.0", "1.9.9", "major"],
    ["1.2.3", "1.2.2", "patch"],
  ];
  for (const [prod, next, expected] of rows) {
    it(`${prod ?? "(nothing)"} → ${next} is ${expected}`, () => assert.equal(changeTypeOf(prod, next), expected));
  }

  it("refuses the version already in prod, and what is not a version", () => {
    assert.throws(() => changeTypeOf("1.2.3", "1.2.3"), /version 1.2.3 is already in prod/);
    assert.throws(() => changeTypeOf("1.2.3", "v1.2.4"), (err: unknown) => err instanceof SlipwayError && /"v1.2.4" is not a semantic version/.test(err.message));
    assert.throws(() => changeTypeOf("latest", "1.2.4"), /"latest" is not a semantic version/);
  });
});

describe("effectivePolicy", () => {
  it("is the organisation defaults when nothing is configured", () => {
    const policy = effectivePolicy(undefined, undefined, undefined);
    assert.deepEqual(policy.rules.major, {
      approvals: 2,
      approvers: "owners",
      requireStrategy: "canary",
      origin: { approvals: builtIn("major.approvals"), approvers: builtIn("major.approvers"), requireStrategy: builtIn("major.requireStrategy") },
    });
    assert.deepEqual(
      Object.fromEntries(Object.entries(policy.rules).map(([type, rule]) => [type, rule.approvals])),
      { initial: 0, major: 2, minor: 1, patch: 0, prerelease: 0 },
    );
    assert.deepEqual(policy.requireStages, ["build", "unit-test", "image", "container-test", "push"]);
    assert.equal(policy.requireStagesOrigin, builtIn("requireStages"));
  });

  const system = systemPolicy({
    default: { minor: { approvals: 2 }, requireStages: ["build", "unit-test"] },
    tiers: { critical: { major: { requireStrategy: "blueGreen" }, patch: { approvals: 1, approvers: "anyone" } }, relaxed: { major: { requireStrategy: "any" } } },
  });
  const service: PolicySetConfig = { major: { approvals: 3 }, requireStages: ["build"] };

  const rows: { name: string; tier?: string; service?: PolicySetConfig; check: (p: ReturnType<typeof effectivePolicy>) => void }[] = [
    {
      name: "default overrides a built-in field and keeps the others",
      check: (p) => {
        assert.equal(p.rules.minor.approvals, 2);
        assert.equal(p.rules.minor.origin.approvals, "releasePolicy.default.minor.approvals");
        assert.equal(p.rules.minor.origin.approvers, builtIn("minor.approvers"));
        assert.deepEqual(p.requireStages, ["build", "unit-test"]);
        assert.equal(p.requireStagesOrigin, "releasePolicy.default.requireStages");
      },
    },
    {
      name: "a tier changes one field of a rule and inherits the rest",
      tier: "critical",
      check: (p) => {
        assert.equal(p.rules.major.requireStrategy, "blueGreen");
        assert.equal(p.rules.major.origin.requireStrategy, "releasePolicy.tiers.critical.major.requireStrategy");
        assert.equal(p.rules.major.approvals, 2);
        assert.deepEqual([p.rules.patch.approvals, p.rules.patch.approvers], [1, "anyone"]);
        assert.equal(p.rules.minor.approvals, 2);
      },
    },
    {
      name: '"any" lifts an inherited strategy requirement',
      tier: "relaxed",
      check: (p) => {
        assert.equal(p.rules.major.requireStrategy, undefined);
        assert.equal(p.rules.major.origin.requireStrategy, "releasePolicy.tiers.relaxed.major.requireStrategy");
      },
    },
    {
      name: "the service overrides its tier",
      tier: "critical",
      service,
      check: (p) => {
        assert.equal(p.rules.major.approvals, 3);
        assert.equal(p.rules.major.origin.approvals, "releasePolicy.major.approvals in slipway.service.yaml");
        assert.equal(p.rules.major.requireStrategy, "blueGreen");
        assert.deepEqual(p.requireStages, ["build"]);
      },
    },
    {
      name: "an unknown tier adds nothing",
      tier: "nope",
      check: (p) => assert.deepEqual(p, effectivePolicy(system, undefined, undefined)),
    },
  ];
  for (const row of rows) it(row.name, () => row.check(effectivePolicy(system, row.tier, row.service)));

  it("does not change the organisation defaults it starts from", () => {
    effectivePolicy(system, "relaxed", service);
    assert.equal(organisationDefaults.major?.requireStrategy, "canary");
    assert.deepEqual(organisationDefaults.requireStages, ["build", "unit-test", "image", "container-test", "push"]);
  });
});

describe("expandOwners and strategyKindOf", () => {
  const teams = { "team-a": ["alice@x.example", "bob@x.example"], "team-b": ["Bob@x.example", "carol"] };
  const rows: [string[], string[]][] = [
    [["team-a"], ["alice@x.example", "bob@x.example"]],
    [["team-a", "team-b"], ["alice@x.example", "bob@x.example", "carol"]],
    [["dave", "team-b", "DAVE"], ["dave", "Bob@x.example", "carol"]],
    [["team-c"], ["team-c"]],
    [["constructor"], ["constructor"]],
  ];
  for (const [owners, people] of rows) it(`${owners.join(", ")} → ${people.join(", ")}`, () => assert.deepEqual(expandOwners(owners, teams), people));

  it("names the configured strategy", () => {
    assert.equal(strategyKindOf({ canary: { steps: [{ setWeight: 10 }], scaleDownDelaySeconds: 30, progressDeadlineSeconds: 600, revisionHistoryLimit: 10 } }), "canary");
    assert.equal(strategyKindOf({ blueGreen: { autoPromote: false, scaleDownDelaySeconds: 30, progressDeadlineSeconds: 600, revisionHistoryLimit: 10 } }), "blueGreen");
    assert.equal(strategyKindOf({ rolling: { maxSurge: 1, maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 600, revisionHistoryLimit: 10, scaleDownDelaySeconds: 0 } }), "rolling");
  });
});

describe("evaluateRelease", () => {
  const allStages = ["build", "unit-test", "image", "container-test", "push"];
  const holidays = { from: "2025-12-20T00:00:00Z", to: "2025-12-27T00:00:00Z", reason: "holidays", allow: [] };
  const hotfixesOnly = { ...holidays, allow: ["patch" as const] };
  const base: ReleaseFacts = {
    changeType: "patch",
    policy: effectivePolicy(undefined, undefined, undefined),
    owners: ["alice", "bob", "carol"],
    requester: "alice",
    approvals: [],
    passedStages: allStages,
    now: new Date("2025-11-01T12:00:00Z"),
    freeze: [],
    strategy: "rolling",
  };
  const approvals = (...names: string[]) => names.map((approver) => ({ approver }));
  const anyoneMinor = effectivePolicy(systemPolicy({ default: { minor: { approvers: "anyone" } } }), undefined, undefined);

  const rows: { name: string; facts: Partial<ReleaseFacts>; blockers: [rule: string, message: string, howToSatisfy: string][]; counted?: number; ignored?: string[] }[] = [
    { name: "a patch with CI passed goes out by itself", facts: {}, blockers: [] },
    { name: "an initial release needs no approval", facts: { changeType: "initial" }, blockers: [] },
    {
      name: "a minor needs one owner approval",
      facts: { changeType: "minor" },
      blockers: [[builtIn("minor.approvals"), "a minor release needs 1 approval from the service's owners; it has 0", "1 more approval with `slipway approve` by any of bob and carol"]],
    },
    { name: "an owner's approval lets a minor out", facts: { changeType: "minor", approvals: approvals("bob") }, blockers: [], counted: 1 },
    {
      name: "the requester's own approval never counts, and is reported",
      facts: { changeType: "minor", approvals: approvals("ALICE") },
      blockers: [
        [
          builtIn("minor.approvals"),
          "a minor release needs 1 approval from the service's owners; it has 0 (ALICE requested this release and cannot approve it)",
          "1 more approval with `slipway approve` by any of bob and carol",
        ],
      ],
      counted: 0,
      ignored: ["ALICE"],
    },
    {
      name: "a non-owner's approval does not count when owners approve",
      facts: { changeType: "minor", approvals: approvals("mallory") },
      blockers: [
        [
          builtIn("minor.approvals"),
          "a minor release needs 1 approval from the service's owners; it has 0 (mallory is not an owner of the service)",
          "1 more approval with `slipway approve` by any of bob and carol",
        ],
      ],
      ignored: ["mallory"],
    },
    { name: "anyone but the requester may approve when approvers is anyone", facts: { changeType: "minor", policy: anyoneMinor, approvals: approvals("mallory") }, blockers: [], counted: 1 },
    {
      name: "with approvers anyone, the requester still cannot approve",
      facts: { changeType: "minor", policy: anyoneMinor, approvals: approvals("alice") },
      blockers: [[builtIn("minor.approvals"), "a minor release needs 1 approval; it has 0 (alice requested this release and cannot approve it)", "1 more approval with `slipway approve` by anyone but alice"]],
    },
    {
      name: "a major needs two owners and a canary; a repeated approval counts once",
      facts: { changeType: "major", approvals: approvals("bob", "Bob") },
      blockers: [
        [builtIn("major.requireStrategy"), "a major release must be rolled out with a canary; strategy is rolling", "configure strategy.canary in the service's slipway.service.yaml"],
        [builtIn("major.approvals"), "a major release needs 2 approvals from the service's owners; it has 1", "1 more approval with `slipway approve` by carol"],
      ],
      counted: 1,
    },
    { name: "a major with two owner approvals and a canary goes out", facts: { changeType: "major", approvals: approvals("bob", "carol"), strategy: "canary" }, blockers: [], counted: 2 },
    {
      name: "says when the owners cannot give the approvals at all",
      facts: { changeType: "major", owners: ["alice", "bob"], approvals: approvals("bob"), strategy: "canary" },
      blockers: [
        [
          builtIn("major.approvals"),
          "a major release needs 2 approvals from the service's owners; it has 1",
          `only 1 owner other than the requester can approve; add owners (or team members), or lower ${builtIn("major.approvals")}`,
        ],
      ],
    },
    {
      name: "missing stages block",
      facts: { passedStages: ["build", "unit-test", "image"] },
      blockers: [[builtIn("requireStages"), "stages container-test and push have not passed for this build", "run `slipway ci` until container-test and push pass for this build, then release that build"]],
    },
    {
      name: "one missing stage",
      facts: { passedStages: ["build", "unit-test", "image", "container-test"] },
      blockers: [[builtIn("requireStages"), "stage push has not passed for this build", "run `slipway ci` until push passes for this build, then release that build"]],
    },
    {
      name: "a required stage that had nothing to do (no build.commands) counts as passed",
      facts: { passedStages: ["image", "container-test", "push"], nothingToDoStages: ["build", "unit-test"] },
      blockers: [],
    },
    {
      name: "nothing to do does not stand in for a stage that did not run",
      facts: { passedStages: ["image", "container-test"], nothingToDoStages: ["build", "unit-test"] },
      blockers: [[builtIn("requireStages"), "stage push has not passed for this build", "run `slipway ci` until push passes for this build, then release that build"]],
    },
    {
      name: "integration tests required: their own blocker, saying how to run them",
      facts: {
        policy: effectivePolicy(systemPolicy({ default: { requireStages: ["build", "integration-test"] } }), undefined, undefined),
        passedStages: ["build"],
      },
      blockers: [
        [
          "releasePolicy.default.requireStages",
          "the system's integration tests have not passed with this build deployed",
          "deploy it to an environment that deploys from the dev registry (`slipway deploy <service> --env <env>`) and run `slipway test --env <env>` until it passes",
        ],
      ],
    },
    {
      name: "integration tests that passed satisfy the requirement",
      facts: { policy: effectivePolicy(systemPolicy({ default: { requireStages: ["build", "integration-test"] } }), undefined, undefined), passedStages: ["build", "integration-test"] },
      blockers: [],
    },
    {
      name: "load test required: its own blocker, not counted as a CI stage",
      facts: {
        policy: effectivePolicy(systemPolicy({ default: { requireStages: ["build", "load-test"] } }), undefined, undefined),
        passedStages: ["build", "integration-test"],
      },
      blockers: [
        [
          "releasePolicy.default.requireStages",
          "no load test has passed with this build deployed",
          "deploy it to an environment that deploys from the dev registry and run `slipway loadtest --env <env>` until a scenario passes its thresholds",
        ],
      ],
    },
    {
      name: "a passing load test satisfies the requirement",
      facts: { policy: effectivePolicy(systemPolicy({ default: { requireStages: ["build", "load-test"] } }), undefined, undefined), passedStages: ["build", "load-test"] },
      blockers: [],
    },
    {
      name: "compatibility required: its own blocker naming the command, not counted as a CI stage",
      facts: {
        policy: effectivePolicy(systemPolicy({ default: { requireStages: ["build", "compatibility"] } }), undefined, undefined),
        passedStages: ["build", "integration-test"],
      },
      blockers: [
        [
          "releasePolicy.default.requireStages",
          "the integration tests have not passed with this build beside the digests a target environment runs",
          "run `slipway test --env <target> --mixed <service> --digest <digest>` until it passes",
        ],
      ],
    },
    {
      name: "a passing compatibility run satisfies the requirement",
      facts: { policy: effectivePolicy(systemPolicy({ default: { requireStages: ["build", "compatibility"] } }), undefined, undefined), passedStages: ["build", "compatibility"] },
      blockers: [],
    },
    {
      name: "a freeze blocks what it does not allow",
      facts: { changeType: "minor", approvals: approvals("bob"), freeze: [hotfixesOnly], now: new Date("2025-12-24T00:00:00Z") },
      blockers: [
        [
          "releasePolicy.freeze[0]",
          "releases are frozen from 2025-12-20T00:00:00Z until 2025-12-27T00:00:00Z (holidays); only patch releases may go out",
          "wait until 2025-12-27T00:00:00Z, or end the freeze in slipway.yaml",
        ],
      ],
    },
    { name: "a freeze lets through what it allows", facts: { freeze: [hotfixesOnly], now: new Date("2025-12-24T00:00:00Z") }, blockers: [] },
    {
      name: "a freeze starts at its from",
      facts: { freeze: [holidays], now: new Date("2025-12-20T00:00:00Z") },
      blockers: [["releasePolicy.freeze[0]", "releases are frozen from 2025-12-20T00:00:00Z until 2025-12-27T00:00:00Z (holidays)", "wait until 2025-12-27T00:00:00Z, or end the freeze in slipway.yaml"]],
    },
    { name: "a freeze is over at its to", facts: { freeze: [holidays], now: new Date("2025-12-27T00:00:00Z") }, blockers: [] },
    {
      name: "every blocker is reported, freeze first",
      facts: { changeType: "major", freeze: [{ ...holidays, from: "2025-12-20T00:00:00+01:00" }, holidays], now: new Date("2025-12-21T00:00:00Z"), passedStages: ["build"], strategy: "blueGreen" },
      blockers: [
        ["releasePolicy.freeze[0]", "releases are frozen from 2025-12-20T00:00:00+01:00 until 2025-12-27T00:00:00Z (holidays)", "wait until 2025-12-27T00:00:00Z, or end the freeze in slipway.yaml"],
        ["releasePolicy.freeze[1]", "releases are frozen from 2025-12-20T00:00:00Z until 2025-12-27T00:00:00Z (holidays)", "wait until 2025-12-27T00:00:00Z, or end the freeze in slipway.yaml"],
        [
          builtIn("requireStages"),
          "stages unit-test, image, container-test and push have not passed for this build",
          "run `slipway ci` until unit-test, image, container-test and push pass for this build, then release that build",
        ],
        [builtIn("major.requireStrategy"), "a major release must be rolled out with a canary; strategy is blueGreen", "configure strategy.canary in the service's slipway.service.yaml"],
        [builtIn("major.approvals"), "a major release needs 2 approvals from the service's owners; it has 0", "2 more approvals with `slipway approve` by bob and carol"],
      ],
    },
    {
      name: "a policy that requires no stages needs none",
      facts: { policy: effectivePolicy(systemPolicy({ default: { requireStages: [] } }), undefined, undefined), passedStages: [] },
      blockers: [],
    },
    {
      name: "a tier's rule names the tier",
      facts: { changeType: "minor", policy: effectivePolicy(systemPolicy({ tiers: { critical: { minor: { approvals: 2 } } } }), "critical", undefined), approvals: approvals("bob") },
      blockers: [["releasePolicy.tiers.critical.minor.approvals", "a minor release needs 2 approvals from the service's owners; it has 1", "1 more approval with `slipway approve` by carol"]],
    },
  ];

  for (const row of rows) {
    it(row.name, () => {
      const result = evaluateRelease({ ...base, ...row.facts });
      assert.deepEqual(
        result.blockers.map((b) => [b.rule, b.message, b.howToSatisfy]),
        row.blockers,
      );
      assert.equal(result.allowed, row.blockers.length === 0);
      if (row.counted !== undefined) assert.equal(result.approvalsCounted, row.counted);
      if (row.ignored !== undefined) assert.deepEqual(result.ignoredApprovals.map((i) => i.approver), row.ignored);
    });
  }

  it("lists the required stages that counted because they had nothing to do", () => {
    const result = evaluateRelease({ ...base, passedStages: ["image", "container-test", "push"], nothingToDoStages: ["build", "unit-test"] });
    assert.deepEqual(result.satisfiedWithNothingToDo, ["build", "unit-test"]);
    assert.deepEqual(evaluateRelease(base).satisfiedWithNothingToDo, []);
  });

  it("labels a waiting release by what holds it back, not always awaiting-approval", () => {
    assert.equal(waitingLabel(evaluateRelease({ ...base, changeType: "minor" })), "awaiting-approval (0/1)");
    assert.equal(waitingLabel(evaluateRelease({ ...base, passedStages: ["image"] })), "blocked: stages");
    assert.equal(waitingLabel(evaluateRelease({ ...base, changeType: "minor", passedStages: ["image"] })), "blocked: stages, approvals");
    assert.equal(waitingLabel(evaluateRelease({ ...base, freeze: [holidays], now: new Date("2025-12-24T00:00:00Z") })), "blocked: freeze");
    assert.equal(waitingLabel(evaluateRelease(base)), "ready to release");
  });

  it("reports what is needed, what counted and who may approve", () => {
    const result = evaluateRelease({ ...base, changeType: "major", approvals: approvals("bob", "alice", "zed"), strategy: "canary" });
    assert.deepEqual(
      { needed: result.approvalsNeeded, counted: result.approvalsCounted, approvers: result.approvers, eligible: result.eligibleApprovers, ignored: result.ignoredApprovals },
      {
        needed: 2,
        counted: 1,
        approvers: "owners",
        eligible: ["bob", "carol"],
        ignored: [
          { approver: "alice", reason: "requested this release and cannot approve it" },
          { approver: "zed", reason: "is not an owner of the service" },
        ],
      },
    );
    assert.deepEqual(evaluateRelease({ ...base, changeType: "minor", policy: anyoneMinor }).eligibleApprovers, []);
  });
});

describe("canApprove", () => {
  const owners = ["alice@x.example", "bob@x.example", "carol"];
  const ask = { service: "ingestion", requester: "alice@x.example", approvers: "owners" as const, owners };
  const rows: { name: string; input: Partial<Parameters<typeof canApprove>[0]> & { approver: string }; expected: ReturnType<typeof canApprove> }[] = [
    { name: "an owner other than the requester", input: { approver: "bob@x.example" }, expected: { allowed: true } },
    {
      name: "not the requester, whatever the case",
      input: { approver: "Alice@X.example" },
      expected: { allowed: false, reason: "Alice@X.example requested this release and cannot approve it", hint: "ask one of its owners: bob@x.example and carol" },
    },
    {
      name: "not a non-owner",
      input: { approver: "mallory" },
      expected: {
        allowed: false,
        reason: "mallory is not an owner of ingestion; only its owners' approvals count",
        hint: "ask one of its owners: bob@x.example and carol, or add mallory to the service's owners or one of its teams",
      },
    },
    { name: "a non-owner when anyone may approve", input: { approver: "mallory", approvers: "anyone" }, expected: { allowed: true } },
    {
      name: "not the requester even when anyone may approve",
      input: { approver: "alice@x.example", approvers: "anyone" },
      expected: { allowed: false, reason: "alice@x.example requested this release and cannot approve it", hint: "ask someone else to approve it" },
    },
    {
      name: "not twice",
      input: { approver: "carol", approvals: [{ approver: "Carol" }] },
      expected: { allowed: false, reason: "carol has already approved this release", hint: "an approval counts once; ask someone else for the next one" },
    },
    {
      name: "the sole owner asking for their own release",
      input: { approver: "alice@x.example", owners: ["alice@x.example"] },
      expected: { allowed: false, reason: "alice@x.example requested this release and cannot approve it", hint: "add another owner to the service, or a member to its team" },
    },
  ];
  for (const row of rows) it(row.name, () => assert.deepEqual(canApprove({ ...ask, ...row.input }), row.expected));
});

describe("canReject", () => {
  it("an owner may reject (the requester too, when an owner: a withdrawal)", () => {
    assert.deepEqual(canReject({ service: "api", rejecter: "Alice@Example.com", owners: ["alice@example.com"] }), { allowed: true });
  });
  it("anyone else is refused, told whom to ask", () => {
    assert.deepEqual(canReject({ service: "api", rejecter: "mallory", owners: ["alice@example.com", "bob@example.com"] }), {
      allowed: false,
      reason: "mallory is not an owner of api; only its owners may reject a release",
      hint: "ask one of its owners: alice@example.com and bob@example.com",
    });
  });
});
