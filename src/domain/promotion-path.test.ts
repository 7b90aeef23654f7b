import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PromotionRulesConfig } from "./config-schema.js";
import { formatDuration, type GateFacts, lockDifference, pathProblems, PromotionPath, promotionGate, shortDigest } from "./promotion-path.js";

const A = `sha256:${"a".repeat(64)}`;
const B = `sha256:${"b".repeat(64)}`;
const C = `sha256:${"c".repeat(64)}`;

const rules = (r: Partial<PromotionRulesConfig>): PromotionRulesConfig => ({ requirePassed: [], approvals: 0, approvers: "owners", ...r });

describe("promotion path", () => {
  it("today's configs (declared order, no promotedFrom) form a path in declared order", () => {
    const path = PromotionPath.of([{ name: "test" }, { name: "prod" }]);
    assert.deepEqual(path.order, ["test", "prod"]);
    assert.equal(path.predecessor("test"), undefined);
    assert.equal(path.predecessor("prod"), "test");
    assert.equal(path.successor("test"), "prod");
    assert.equal(path.successor("prod"), undefined);
  });

  it("follows promotedFrom when it differs from the declared order", () => {
    const path = PromotionPath.of([{ name: "test" }, { name: "prod", promotedFrom: "staging" }, { name: "staging", promotedFrom: "test" }]);
    assert.deepEqual(path.order, ["test", "staging", "prod"]);
    assert.equal(path.predecessor("prod"), "staging");
  });

  const cases: [string, Parameters<typeof pathProblems>[0], { index: number; message: RegExp; hint?: RegExp }][] = [
    ["an unknown name, with did-you-mean", [{ name: "test" }, { name: "staging" }, { name: "prod", promotedFrom: "stagin" }], { index: 2, message: /no environment "stagin" to promote "prod" from/, hint: /did you mean "staging"/ }],
    ["an environment promoted from itself", [{ name: "test" }, { name: "prod", promotedFrom: "prod" }], { index: 1, message: /"prod" is promoted from itself/ }],
    ["two promoted from one (not a path)", [{ name: "test" }, { name: "staging" }, { name: "prod", promotedFrom: "test" }], { index: 2, message: /both "staging" and "prod" are promoted from "test"/ }],
    ["a cycle", [{ name: "test" }, { name: "staging", promotedFrom: "prod" }, { name: "prod", promotedFrom: "staging" }], { index: 1, message: /promotion cycle: (staging → prod → staging|prod → staging → prod)/ }],
    ["rules on the root", [{ name: "test", promotion: rules({ requirePassed: ["integration-test"] }) }, { name: "prod" }], { index: 0, message: /first environment: nothing is promoted into it/ }],
  ];
  for (const [what, envs, expected] of cases) {
    it(`reports ${what}`, () => {
      const problems = pathProblems(envs);
      assert.equal(problems.length, 1, JSON.stringify(problems));
      const [p] = problems;
      assert.equal(p?.index, expected.index);
      assert.match(p?.message ?? "", expected.message);
      if (expected.hint !== undefined) assert.match(p?.hint ?? "", expected.hint);
      assert.throws(() => PromotionPath.of(envs), /environments\[\d\]/);
    });
  }

  it("a cycle among three is reported once", () => {
    const problems = pathProblems([{ name: "dev" }, { name: "a", promotedFrom: "c" }, { name: "b", promotedFrom: "a" }, { name: "c", promotedFrom: "b" }]);
    // dev has no successor; a, b, c form a cycle
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.match(problems[0]?.message ?? "", /promotion cycle: a → b → c → a/);
  });
});

describe("promotion gate", () => {
  const path = PromotionPath.of([
    { name: "test" },
    { name: "staging", promotion: rules({ requirePassed: ["integration-test"], soak: { minutes: 10 } }) },
    { name: "prod", promotion: rules({ approvals: 1 }) },
    { name: "sandbox" },
  ]);
  const now = Date.parse("2026-12-06T03:00:00Z");
  const facts = (over: Partial<GateFacts> = {}): GateFacts => ({
    lock: { ingestion: A, tracking: B },
    current: { ingestion: C, tracking: B },
    source: { lock: { ingestion: A, tracking: B }, servingSinceMs: { ingestion: now - 11 * 60_000, tracking: now - 3600_000 }, unhealthy: {} },
    evidence: [{ kind: "integration-test", environment: "test", status: "passed", deployed: { ingestion: A, tracking: B } }],
    approvedBy: {},
    nowMs: now,
    ...over,
  });

  it("allows a lock whose evidence passed in the source environment and soaked", () => {
    const v = promotionGate(path, "staging", facts());
    assert.deepEqual(v, { environment: "staging", from: "test", entering: ["ingestion"], allowed: true, unmet: [] });
  });

  it("refuses a lock whose integration test did not pass in the source environment, saying so for the digest", () => {
    const v = promotionGate(path, "staging", facts({ evidence: [{ kind: "integration-test", environment: "test", status: "failed", deployed: { ingestion: A } }, { kind: "integration-test", environment: "staging", status: "passed", deployed: { ingestion: A } }] }));
    assert.equal(v.allowed, false);
    assert.deepEqual(v.unmet, [{ rule: "integration-test", services: ["ingestion"], message: "integration-test has not passed in test for ingestion@sha256:aaaaaaaaaaaa…" }]);
  });

  it("asks for the entering digests to have passed together", () => {
    const lock = { ingestion: A, tracking: C };
    const evidence = [
      { kind: "integration-test" as const, environment: "test", status: "passed" as const, deployed: { ingestion: A, tracking: B } },
      { kind: "integration-test" as const, environment: "test", status: "passed" as const, deployed: { ingestion: B, tracking: C } },
    ];
    const v = promotionGate(path, "staging", facts({ lock, current: {}, evidence, source: { lock, servingSinceMs: { ingestion: 0, tracking: 0 }, unhealthy: {} } }));
    assert.match(v.unmet[0]?.message ?? "", /integration-test has not passed in test with ingestion@sha256:aaaaaaaaaaaa… and tracking@sha256:cccccccccccc… deployed together/);
  });

  it("takes one compatibility run per entering service, against what the target runs now (the pair of locks)", () => {
    const p = PromotionPath.of([{ name: "test" }, { name: "staging", promotion: rules({ requirePassed: ["compatibility"] }) }]);
    const lock = { ingestion: A, tracking: C };
    const current = { ingestion: B, tracking: B };
    const mix = (service: "ingestion" | "tracking", against = current, environment = "staging") => ({ kind: "compatibility" as const, environment, status: "passed" as const, deployed: { ...against, [service]: lock[service] }, mixed: { service, against } });
    const source = { lock, servingSinceMs: {}, unhealthy: {} };
    assert.equal(promotionGate(p, "staging", facts({ lock, current, source, evidence: [mix("ingestion"), mix("tracking")] })).allowed, true);
    // One service checked only; a run in the source environment (not against the target) counts for nothing.
    assert.deepEqual(promotionGate(p, "staging", facts({ lock, current, source, evidence: [mix("ingestion"), mix("tracking", current, "test")] })).unmet, [
      { rule: "compatibility", services: ["tracking"], message: "compatibility has not passed for tracking@sha256:cccccccccccc… beside what staging runs (`slipway test --env staging --mixed tracking`)" },
    ]);
    // Checked against an earlier lock of the target: the mix it tested is not the one a rollout would create now.
    const earlier = { ingestion: C, tracking: B };
    assert.deepEqual(promotionGate(p, "staging", facts({ lock, current, source, evidence: [mix("ingestion", earlier), mix("tracking")] })).unmet[0]?.message, "compatibility passed for ingestion@sha256:aaaaaaaaaaaa… against an earlier lock of staging, which has changed since (`slipway test --env staging --mixed ingestion`)");
    // A failed run is not evidence.
    assert.equal(promotionGate(p, "staging", facts({ lock, current, source, evidence: [{ ...mix("ingestion"), status: "failed" }, mix("tracking")] })).allowed, false);
    // A service the target does not run yet has no older self to mix with: nothing asked (a first promotion).
    assert.equal(promotionGate(p, "staging", facts({ lock, current: {}, source, evidence: [] })).allowed, true);
  });

  it("reports the soak in progress", () => {
    const v = promotionGate(path, "staging", facts({ source: { lock: { ingestion: A, tracking: B }, servingSinceMs: { ingestion: now - (3 * 60 + 12) * 1000, tracking: 0 }, unhealthy: {} } }));
    assert.deepEqual(v.unmet, [{ rule: "soak", services: ["ingestion"], message: "soaking in test: 3m12s of 10m" }]);
  });

  it("a soak needs the digest serving, and healthy, in the source environment", () => {
    const away = promotionGate(path, "staging", facts({ source: { lock: { ingestion: C }, servingSinceMs: {}, unhealthy: {} } }));
    assert.match(away.unmet[0]?.message ?? "", /soak: ingestion@sha256:aaaaaaaaaaaa… \(test runs sha256:cccccccccccc…\) not serving in test/);
    const sick = promotionGate(path, "staging", facts({ source: { lock: { ingestion: A, tracking: B }, servingSinceMs: { ingestion: 0 }, unhealthy: { ingestion: "degraded: 0/1 ready" } } }));
    assert.match(sick.unmet[0]?.message ?? "", /soak: not healthy in test: ingestion degraded: 0\/1 ready/);
  });

  it("judges the soak analysis when the rules name one", () => {
    const p = PromotionPath.of([{ name: "test" }, { name: "staging", promotion: rules({ soak: { minutes: 1, analysis: { metrics: ["error-rate"] } } }) }]);
    assert.match(promotionGate(p, "staging", facts()).unmet[0]?.message ?? "", /soak analysis \(error-rate\) has not been judged/);
    const failed = facts({ source: { ...facts().source, analysis: { phase: "failed", detail: "error-rate 0.2 > 0.01" } } });
    assert.match(promotionGate(p, "staging", failed).unmet[0]?.message ?? "", /soak analysis failed in test: error-rate 0.2 > 0.01/);
    const noData = facts({ source: { ...facts().source, analysis: { phase: "not-judged", detail: "no data: no requests reached r2 in the last 60 s" } } });
    assert.match(promotionGate(p, "staging", noData).unmet[0]?.message ?? "", /soak analysis \(error-rate\) could not be judged over the window in test: no data/);
    assert.equal(promotionGate(p, "staging", facts({ source: { ...facts().source, analysis: { phase: "passed", detail: "" } } })).allowed, true);
  });

  it("counts the target environment's approvals per entering service", () => {
    const v = promotionGate(path, "prod", facts({ approvedBy: { tracking: ["bob"] } }));
    assert.deepEqual(v.unmet, [{ rule: "approval", services: ["ingestion"], message: "needs 1 approval (owners) to enter prod: ingestion@sha256:aaaaaaaaaaaa… has 0" }]);
    assert.equal(promotionGate(path, "prod", facts({ approvedBy: { ingestion: ["alice"] } })).allowed, true);
  });

  it("lets every lock into an environment without rules, and nothing to do when nothing changes", () => {
    assert.equal(promotionGate(path, "sandbox", facts({ evidence: [] })).allowed, true);
    const same = promotionGate(path, "staging", facts({ current: { ingestion: A, tracking: B }, evidence: [] }));
    assert.deepEqual(same.entering, []);
    assert.equal(same.allowed, true);
  });

  it("refuses an unknown environment", () => {
    assert.throws(() => promotionGate(path, "prd", facts()), /no environment "prd"/);
  });
});

describe("words", () => {
  it("shortens digests and durations", () => {
    assert.equal(shortDigest(A), "sha256:aaaaaaaaaaaa…");
    assert.equal(shortDigest("sha256:abc"), "sha256:abc");
    assert.equal(formatDuration(192_000), "3m12s");
    assert.equal(formatDuration(600_000), "10m");
    assert.equal(formatDuration(0), "0s");
    assert.equal(formatDuration(3_900_000), "1h5m");
  });

  it("lists the services whose digest differs", () => {
    assert.deepEqual(lockDifference({ b: A, a: B, c: C }, { a: B, b: C }), ["b", "c"]);
  });
});
