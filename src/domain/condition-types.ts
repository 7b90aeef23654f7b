// Type-checks a parsed condition against what its metric's provider gives,
// so `slipway validate` refuses a condition that could only ever fail to
// evaluate (a router metric is a number: `result[0]` or `len(result)` cannot
// work) instead of the canary's analysis finding out with real traffic on it.
// Mirrors the evaluator's strict rules (condition-evaluator.ts): no
// coercion, ordering only between two numbers or two strings.
import { ConditionSyntaxError, type Node } from "./condition-parser.js";

/** What a value can be before anything is measured; "any" where the provider decides at run time (a web JSON path). */
export type ValueType = "number" | "string" | "boolean" | "null" | "numbers" | "any";

/** The type of each name a condition may read. */
export type ConditionScope = Readonly<Record<string, ValueType>>;

const typeNames: Record<ValueType, string> = {
  number: "a number",
  string: "a string",
  boolean: "true or false",
  null: "null",
  numbers: "a list of numbers",
  any: "any value",
};

/** Throws ConditionSyntaxError (with the column) where the types cannot fit. */
export function checkConditionTypes(tree: Node, scope: ConditionScope, source: string, label: string): void {
  const fail = (problem: string, node: Node): never => {
    throw new ConditionSyntaxError(label, source, problem, node.at + 1);
  };
  const type = typeOf(tree, scope, fail);
  if (type !== "boolean" && type !== "any") fail(`a condition must be true or false, but this one is ${typeNames[type]}${hintFor(tree, scope)}`, tree);
}

type Fail = (problem: string, node: Node) => never;

function typeOf(node: Node, scope: ConditionScope, fail: Fail): ValueType {
  const of = (n: Node): ValueType => typeOf(n, scope, fail);
  switch (node.type) {
    case "literal":
      return node.value === null ? "null" : typeof node.value === "number" ? "number" : typeof node.value === "string" ? "string" : "boolean";
    case "name":
      return scope[node.name] ?? "any";
    case "index": {
      const target = of(node.target);
      const index = of(node.index);
      if (target === "any") return "any";
      if (target !== "numbers") return fail(`${describe(node.target)} is ${typeNames[target]} here, which cannot be indexed`, node);
      if (index !== "number" && index !== "any") return fail(`a list's index is a whole number from 0, not ${typeNames[index]}`, node.index);
      return "number";
    }
    case "call": {
      const argument = of(node.argument);
      if (node.name === "len") {
        if (argument !== "numbers" && argument !== "string" && argument !== "any") fail(`len takes a list, a string or an object, but ${describe(node.argument)} is ${typeNames[argument]} here`, node);
        return "number";
      }
      if (argument !== "number" && argument !== "any") {
        fail(`${node.name} takes a number, but ${describe(node.argument)} is ${typeNames[argument]} here${argument === "numbers" ? ` (write ${node.name}(${describe(node.argument)}[0]))` : ""}`, node);
      }
      return node.name === "isNaN" ? "boolean" : "number";
    }
    case "not":
      expect(of(node.operand), ["boolean"], "!", node.operand, fail);
      return "boolean";
    case "negate":
      expect(of(node.operand), ["number"], "-", node.operand, fail);
      return "number";
    case "logical":
      expect(of(node.left), ["boolean"], node.operator, node.left, fail);
      expect(of(node.right), ["boolean"], node.operator, node.right, fail);
      return "boolean";
    case "arithmetic":
      expect(of(node.left), ["number"], node.operator, node.left, fail);
      expect(of(node.right), ["number"], node.operator, node.right, fail);
      return "number";
    case "compare": {
      const left = of(node.left);
      const right = of(node.right);
      if (node.operator === "==" || node.operator === "!=") {
        for (const [side, type] of [[node.left, left], [node.right, right]] as const) {
          if (type === "numbers") fail(`${node.operator} compares numbers, strings, booleans or null, but ${describe(side)} is a list of numbers here (write ${describe(side)}[0])`, side);
        }
        if (left !== "any" && right !== "any" && left !== "null" && right !== "null" && left !== right) {
          fail(`${describe(node.left)} is ${typeNames[left]} and ${describe(node.right)} is ${typeNames[right]}, so ${node.operator} is always ${node.operator === "!="}`, node);
        }
        return "boolean";
      }
      for (const [side, type] of [[node.left, left], [node.right, right]] as const) {
        if (type !== "number" && type !== "string" && type !== "any") {
          fail(`${node.operator} compares two numbers or two strings, but ${describe(side)} is ${typeNames[type]} here${type === "numbers" ? ` (write ${describe(side)}[0])` : ""}`, side);
        }
      }
      if (left !== "any" && right !== "any" && left !== right) fail(`cannot compare ${typeNames[left]} with ${typeNames[right]} using ${node.operator}`, node);
      return "boolean";
    }
  }
}

function expect(type: ValueType, allowed: readonly ValueType[], operator: string, node: Node, fail: Fail): void {
  if (type !== "any" && !allowed.includes(type)) fail(`${operator} needs ${allowed.map((t) => typeNames[t]).join(" or ")}, but ${describe(node)} is ${typeNames[type]} here`, node);
}

/** How a message names an operand: a name or literal as written, anything else as "this value". */
function describe(node: Node): string {
  if (node.type === "name") return node.name;
  if (node.type === "literal") return JSON.stringify(node.value);
  if (node.type === "index" && node.target.type === "name" && node.index.type === "literal") return `${node.target.name}[${JSON.stringify(node.index.value)}]`;
  return "this value";
}

/** `result` alone for a router metric: say what a comparison looks like. */
function hintFor(tree: Node, scope: ConditionScope): string {
  return tree.type === "name" && scope[tree.name] === "number" ? ` (compare it, e.g. ${tree.name} < 0.01)` : "";
}
