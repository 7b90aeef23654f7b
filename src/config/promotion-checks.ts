// The environments' promotion path and rules, checked before any promotion:
// one path (a root, one predecessor and at most one successor each, no
// cycles, known names), and rules that can be met — evidence the system has
// tests for, soak metrics some service defines as a router metric judged without a canary.
import type { SystemConfig } from "../domain/config-schema.js";
import { didYouMean } from "../domain/did-you-mean.js";
import type { ConfigProblem } from "../domain/errors.js";
import { pathProblems } from "../domain/promotion-path.js";
import type { ParsedService } from "./parse-system.js";
import { problemAt } from "./problem-at.js";
import type { YamlSource } from "./yaml-source.js";

export function promotionProblems(system: SystemConfig, source: YamlSource, services: readonly ParsedService[]): ConfigProblem[] {
  const path = pathProblems(system.environments).map((p) => problemAt(source, ["environments", p.index, p.field], p.message, p.hint));
  return [...path, ...system.environments.flatMap((env, i) => ruleProblems(system, source, services, i))];
}

/** Which tests each kind of evidence comes from: without them it can never pass. */
const evidenceSource = {
  "integration-test": { field: "integrationTests", run: "slipway test --env" },
  "load-test": { field: "loadTests", run: "slipway loadtest --env" },
  compatibility: { field: "integrationTests", run: "slipway test --mixed --env" },
} as const;

function ruleProblems(system: SystemConfig, source: YamlSource, services: readonly ParsedService[], i: number): ConfigProblem[] {
  const rules = system.environments[i]?.promotion;
  if (rules === undefined) return [];
  const problems: ConfigProblem[] = [];
  rules.requirePassed.forEach((kind, k) => {
    const from = evidenceSource[kind];
    if (system[from.field].length === 0) {
      problems.push(problemAt(source, ["environments", i, "promotion", "requirePassed", k], `${kind} can never pass: slipway.yaml has no ${from.field} for \`${from.run}\` to run`, `add ${from.field}, or remove "${kind}"`));
    }
  });
  const metrics = new Map(services.flatMap((s) => (s.config.analysis?.metrics ?? []).map((m) => [m.name, m] as const)));
  rules.soak?.analysis?.metrics.forEach((name, k) => {
    const path = ["environments", i, "promotion", "soak", "analysis", "metrics", k];
    const metric = metrics.get(name);
    if (metric === undefined) {
      const guess = didYouMean(name, metrics.keys());
      problems.push(problemAt(source, path, `no service defines the analysis metric "${name}"`, guess !== undefined ? `did you mean "${guess}"?` : `define it under analysis.metrics in a slipway.service.yaml${metrics.size > 0 ? ` (defined: ${[...metrics.keys()].sort().join(", ")})` : ""}`));
    } else if (metric.provider.router === undefined) {
      problems.push(problemAt(source, path, `"${name}" is not a router metric; a soak is judged over its window from the router's counters`, "name a router metric (provider: { router: … })"));
    } else if (metric.provider.router.compareWithStable === true) {
      problems.push(problemAt(source, path, `"${name}" compares a canary with the stable, but a soak has no canary`, "name a metric with fixed conditions (compareWithStable: false)"));
    }
  });
  return problems;
}
