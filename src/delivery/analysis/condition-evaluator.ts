// Walks a condition's tree over a measurement's values. Strict on purpose: no
// type coercion, so `"5" < 10` is an error a person sees, not a silent false
// that fails a rollout; `&&` and `||` short-circuit, so
// `len(result) == 0 || result[0] < 1` never indexes an empty vector.
import type { FunctionName, Located, Node } from "../../domain/condition-parser.js";

/** Builds the error for a value that does not fit, at the node's column. */
export type EvaluationFailure = (message: string, node: Located) => Error;

const functions: Record<FunctionName, (value: unknown) => unknown> = {
  len: lengthOf,
  isNaN: isNotANumber,
  abs: absolute,
};

/** A value as a message shows it: numbers short, NaN by name, long things cut. */
export function describeValue(value: unknown): string {
  if (typeof value === "number") return Number.isFinite(value) ? String(Number(value.toPrecision(6))) : String(value);
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return `[${value.slice(0, 5).map(describeValue).join(", ")}${value.length > 5 ? `, … (${value.length} items)` : ""}]`;
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= 120 ? text : `${text.slice(0, 119)}…`;
}

type Fail = EvaluationFailure;

/** The node's value; throws fail(...) where the values do not fit. */
export function evaluateTree(node: Node, scope: Readonly<Record<string, unknown>>, fail: Fail): unknown {
  const value = (n: Node): unknown => evaluateTree(n, scope, fail);
  switch (node.type) {
    case "literal":
      return node.value;
    case "name":
      if (!Object.hasOwn(scope, node.name) || scope[node.name] === undefined) throw fail(`${node.name} has no value`, node);
      return scope[node.name];
    case "index":
      return indexInto(value(node.target), value(node.index), node, fail);
    case "call":
      try {
        return functions[node.name](value(node.argument));
      } catch (err) {
        if (err instanceof TypeError) throw fail(err.message, node);
        throw err;
      }
    case "not":
      return !asBoolean(value(node.operand), "!", node, fail);
    case "negate":
      return -asNumber(value(node.operand), "-", node, fail);
    case "logical": {
      const left = asBoolean(value(node.left), node.operator, node, fail);
      if (node.operator === "&&" ? !left : left) return left;
      return asBoolean(value(node.right), node.operator, node, fail);
    }
    case "compare":
      return compare(node.operator, value(node.left), value(node.right), node, fail);
    case "arithmetic": {
      const left = asNumber(value(node.left), node.operator, node, fail);
      const right = asNumber(value(node.right), node.operator, node, fail);
      if (node.operator === "+") return left + right;
      if (node.operator === "-") return left - right;
      if (node.operator === "*") return left * right;
      return left / right;
    }
  }
}

function compare(operator: "<" | "<=" | ">" | ">=" | "==" | "!=", left: unknown, right: unknown, at: Located, fail: Fail): boolean {
  if (operator === "==" || operator === "!=") {
    const scalar = (v: unknown): boolean => v === null || ["number", "string", "boolean"].includes(typeof v);
    if (!scalar(left) || !scalar(right)) throw fail(`${operator} compares numbers, strings, booleans or null, not ${describeKind(scalar(left) ? right : left)}`, at);
    return (left === right) === (operator === "==");
  }
  const bothNumbers = typeof left === "number" && typeof right === "number";
  const bothStrings = typeof left === "string" && typeof right === "string";
  if (!bothNumbers && !bothStrings) {
    throw fail(`cannot compare ${describeKind(left)} ${describeValue(left)} with ${describeKind(right)} ${describeValue(right)} using ${operator}`, at);
  }
  const [a, b] = [left as number | string, right as number | string];
  if (operator === "<") return a < b;
  if (operator === "<=") return a <= b;
  if (operator === ">") return a > b;
  return a >= b;
}

function indexInto(target: unknown, index: unknown, at: Located, fail: Fail): unknown {
  if (Array.isArray(target)) {
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0) throw fail(`an array's index is a whole number from 0, not ${describeValue(index)}`, at);
    if (index >= target.length) throw fail(`${describeValue(target)} has ${target.length} item${target.length === 1 ? "" : "s"}, so [${index}] is out of range`, at);
    return target[index] as unknown;
  }
  if (typeof target === "object" && target !== null) {
    if (typeof index !== "string") throw fail(`an object's key is a string, not ${describeValue(index)}`, at);
    if (!Object.hasOwn(target, index)) throw fail(`${describeValue(target)} has no key ${JSON.stringify(index)}`, at);
    return (target as Record<string, unknown>)[index];
  }
  throw fail(`cannot index ${describeKind(target)} ${describeValue(target)}`, at);
}

function asBoolean(value: unknown, operator: string, at: Located, fail: Fail): boolean {
  if (typeof value !== "boolean") throw fail(`${operator} needs true or false, not ${describeKind(value)} ${describeValue(value)}`, at);
  return value;
}

function asNumber(value: unknown, operator: string, at: Located, fail: Fail): number {
  if (typeof value !== "number") throw fail(`${operator} needs numbers, not ${describeKind(value)} ${describeValue(value)}`, at);
  return value;
}

function lengthOf(value: unknown): number {
  if (typeof value === "string" || Array.isArray(value)) return value.length;
  if (typeof value === "object" && value !== null) return Object.keys(value).length;
  throw new TypeError(`len takes an array, a string or an object, not ${describeKind(value)} ${describeValue(value)}`);
}

function isNotANumber(value: unknown): boolean {
  if (typeof value !== "number") throw new TypeError(`isNaN takes a number, not ${describeKind(value)} ${describeValue(value)}${Array.isArray(value) ? " (for a vector, write isNaN(result[0]))" : ""}`);
  return Number.isNaN(value);
}

function absolute(value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`abs takes a number, not ${describeKind(value)} ${describeValue(value)}`);
  return Math.abs(value);
}

function describeKind(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "the array";
  if (typeof value === "object") return "the object";
  return `the ${typeof value}`;
}
