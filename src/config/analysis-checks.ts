// Analysis, checked before any rollout: every success and failure condition
// parsed and type-checked against what its metric's provider gives (a
// condition that could never evaluate would otherwise abort a canary already
// carrying traffic), every query and URL placeholder known, every metric a
// strategy names defined once and named once per analysis. Problems point at
// the column inside the condition or query.
import type { ServiceConfig } from "../domain/config-schema.js";
import { ConditionSyntaxError, parseConditionTree, type Node } from "../domain/condition-parser.js";
import { checkConditionTypes, type ConditionScope } from "../domain/condition-types.js";
import { didYouMean } from "../domain/did-you-mean.js";
import type { ConfigProblem } from "../domain/errors.js";
import { mentionsRevision, mentionsStableRevision, placeholderHint, unknownPlaceholders } from "../domain/revision-placeholders.js";
import type { ParsedService } from "./parse-system.js";
import { problemAt } from "./problem-at.js";
import type { PathSegment, YamlSource } from "./yaml-source.js";

type Metric = NonNullable<ServiceConfig["analysis"]>["metrics"][number];

export function analysisProblems(services: readonly ParsedService[]): ConfigProblem[] {
  return services.flatMap((service) => [...metricProblems(service), ...referenceProblems(service)]);
}

/** What conditions of a metric may read, and why there is no baseline when there is none. */
interface ProviderFacts {
  scope: ConditionScope;
  noBaseline?: { why: string; fix: string };
  /** The provider judges every measurement itself: conditions are never evaluated. */
  judges?: string;
}

function factsOf(provider: Metric["provider"]): ProviderFacts {
  if (provider.router !== undefined) {
    if (provider.router.compareWithStable) return { scope: {}, judges: "with compareWithStable: true the router judges the canary against the stable itself" };
    return { scope: { result: "number", baseline: "number" } };
  }
  if (provider.prometheus !== undefined) {
    const query = provider.prometheus.query;
    // A scalar, a vector or a string, depending on the query: decided at run time.
    if (mentionsRevision(query) && !mentionsStableRevision(query)) return { scope: { result: "any", baseline: "any" } };
    return { scope: { result: "any" }, noBaseline: { why: "the query has no {{revision}} for slipway to run it for the stable revision", fix: "write {{revision}} in the query where the revision's label goes" } };
  }
  if (provider.web !== undefined) return { scope: { result: "any" }, noBaseline: { why: "a web metric has no baseline", fix: "compare result with a fixed value" } };
  return { scope: { result: "boolean" }, noBaseline: { why: "a job metric's result is whether its container exited 0", fix: "compare result with true or false" } };
}

function metricProblems({ config, source }: ParsedService): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const first = new Map<string, number>();
  config.analysis?.metrics.forEach((metric, i) => {
    const at: PathSegment[] = ["analysis", "metrics", i];
    const earlier = first.get(metric.name);
    if (earlier !== undefined) problems.push(problemAt(source, [...at, "name"], `metric "${metric.name}" is defined twice (first at analysis.metrics[${earlier}])`, "give each metric its own name"));
    else first.set(metric.name, i);

    const facts = factsOf(metric.provider);
    for (const field of ["successCondition", "failureCondition"] as const) {
      const condition = metric[field];
      if (condition !== undefined) problems.push(...conditionProblems(source, [...at, field], condition, facts));
    }
    const templates: [PathSegment[], string | undefined][] = [
      [[...at, "provider", "prometheus", "query"], metric.provider.prometheus?.query],
      [[...at, "provider", "web", "url"], metric.provider.web?.url],
    ];
    for (const [path, template] of templates) {
      for (const unknown of template === undefined ? [] : unknownPlaceholders(template)) {
        problems.push(
          problemAt(source, path, `${unknown.text} is not a placeholder slipway fills`, unknown.suggestion === undefined ? placeholderHint : `did you mean ${unknown.suggestion}?`, source.positionInString(path, template as string, unknown.at)),
        );
      }
    }
  });
  return problems;
}

function conditionProblems(source: YamlSource, path: PathSegment[], condition: string, facts: ProviderFacts): ConfigProblem[] {
  const field = String(path[path.length - 1]);
  if (facts.judges !== undefined) {
    return [problemAt(source, path, `is never evaluated: ${facts.judges}`, `remove ${field}, or set compareWithStable: false to judge by it`)];
  }
  try {
    const { tree, names } = parseConditionTree(condition, field, ["result", "baseline"]);
    if (names.has("baseline") && facts.noBaseline !== undefined) {
      const at = firstUse(tree, "baseline") ?? 0;
      return [problemAt(source, path, `reads baseline, but ${facts.noBaseline.why}`, facts.noBaseline.fix, source.positionInString(path, condition, at))];
    }
    checkConditionTypes(tree, facts.scope, condition, field);
    return [];
  } catch (err) {
    if (!(err instanceof ConditionSyntaxError)) throw err;
    return [problemAt(source, path, err.problem, err.hint, source.positionInString(path, condition, err.column - 1))];
  }
}

/** 0-based offset of the first place a condition reads `name`. */
function firstUse(node: Node, name: string): number | undefined {
  if (node.type === "name") return node.name === name ? node.at : undefined;
  const children = Object.values(node).filter((v): v is Node => typeof v === "object" && v !== null && "type" in v);
  for (const child of children) {
    const at = firstUse(child, name);
    if (at !== undefined) return at;
  }
  return undefined;
}

/** Metrics a canary step, a canary's background analysis or a blue-green pre-promotion analysis names: defined, and each once. */
function referenceProblems({ config, source }: ParsedService): ConfigProblem[] {
  const defined = new Set(config.analysis?.metrics.map((m) => m.name) ?? []);
  const refs: { path: PathSegment[]; names: string[] }[] = [];
  const canary = config.strategy.canary;
  if (canary !== undefined) {
    canary.steps.forEach((step, i) => {
      if (step.analysis !== undefined) refs.push({ path: ["strategy", "canary", "steps", i, "analysis", "metrics"], names: step.analysis.metrics });
    });
    if (canary.analysis !== undefined) refs.push({ path: ["strategy", "canary", "analysis", "metrics"], names: canary.analysis.metrics });
  }
  const preview = config.strategy.blueGreen?.prePromotionAnalysis;
  if (preview !== undefined) refs.push({ path: ["strategy", "blueGreen", "prePromotionAnalysis", "metrics"], names: preview.metrics });
  return refs.flatMap(({ path, names }) =>
    names.flatMap((name, j) => {
      if (names.indexOf(name) !== j) return [problemAt(source, [...path, j], `names metric "${name}" twice`, "name each metric once per analysis")];
      if (defined.has(name)) return [];
      const suggestion = didYouMean(name, defined);
      return [problemAt(source, [...path, j], `unknown analysis metric "${name}"`, suggestion !== undefined ? `did you mean "${suggestion}"?` : "define it under analysis.metrics in this file")];
    }),
  );
}
