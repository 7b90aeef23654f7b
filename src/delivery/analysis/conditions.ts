// Success and failure conditions: small expressions over a measurement's
// `result` (and `baseline`, the stable revision's value over the same
// window), such as `result[0] < 0.01` or `result <= baseline * 1.2`, and
// Argo Rollouts' rules for turning them into a measurement's phase.
// Syntax in condition-parser.ts, evaluation in condition-evaluator.ts.
import { SlipwayError } from "../../domain/errors.js";
import { describeValue, evaluateTree } from "./condition-evaluator.js";
import { parseConditionTree } from "../../domain/condition-parser.js";

export { describeValue } from "./condition-evaluator.js";
export { ConditionSyntaxError } from "../../domain/condition-parser.js";

/** Names a condition may read unless the caller says otherwise. */
export const conditionNames = ["result", "baseline"] as const;

export interface Condition {
  readonly source: string;
  /** The names it reads, e.g. {"result", "baseline"}: a condition that reads baseline needs one. */
  readonly names: ReadonlySet<string>;
  /** True or false; throws ConditionEvaluationError when the values do not fit (a type mismatch, an index out of range). */
  evaluate(scope: Readonly<Record<string, unknown>>): boolean;
}

export interface ParseConditionOptions {
  /** Says which condition is wrong, e.g. `successCondition of metric "error-rate"`. */
  label?: string;
  /** The names it may read; default result and baseline. */
  names?: readonly string[];
}

/** The values did not fit the condition, e.g. a string compared with a number. */
export class ConditionEvaluationError extends SlipwayError {
  constructor(message: string) {
    super("MEASUREMENT_FAILED", message);
  }
}

export function parseCondition(source: string, options: ParseConditionOptions = {}): Condition {
  const label = options.label ?? "condition";
  const allowed = options.names ?? conditionNames;
  const { tree, names } = parseConditionTree(source, label, allowed);
  return {
    source,
    names,
    evaluate(scope) {
      const value = evaluateTree(tree, scope, (message, node) => new ConditionEvaluationError(`${label} ${JSON.stringify(source)}: ${message} (column ${node.at + 1})`));
      if (typeof value !== "boolean") {
        throw new ConditionEvaluationError(`${label} ${JSON.stringify(source)} must be true or false, but it is ${describeValue(value)}`);
      }
      return value;
    },
  };
}

export type ConditionPhase = "successful" | "failed" | "inconclusive";

export interface ConditionVerdict {
  phase: ConditionPhase;
  /** Which condition decided, for the measurement's message. */
  reason: string;
}

/**
 * Argo Rollouts' rules. Both set: failed when the failure condition holds
 * (it wins when both hold), successful when the success condition holds,
 * otherwise inconclusive. Only success: successful or failed. Only failure:
 * failed or successful. Neither: a true/false result decides (a job's exit
 * code), any other result is only recorded and counts as successful.
 */
export function assessConditions(conditions: { success?: Condition; failure?: Condition }, scope: Readonly<Record<string, unknown>>): ConditionVerdict {
  const { success, failure } = conditions;
  const failed = failure?.evaluate(scope);
  if (failed === true) return { phase: "failed", reason: `failureCondition ${failure?.source} holds` };
  const succeeded = success?.evaluate(scope);
  if (succeeded === true) return { phase: "successful", reason: `successCondition ${success?.source} holds` };
  if (success !== undefined && failure !== undefined) {
    return { phase: "inconclusive", reason: `neither successCondition ${success.source} nor failureCondition ${failure.source} holds` };
  }
  if (success !== undefined) return { phase: "failed", reason: `successCondition ${success.source} does not hold` };
  if (failure !== undefined) return { phase: "successful", reason: `failureCondition ${failure.source} does not hold` };
  const result = scope["result"];
  if (result === false) return { phase: "failed", reason: "the result is false" };
  return { phase: "successful", reason: result === true ? "the result is true" : "no conditions: the result is only recorded" };
}

