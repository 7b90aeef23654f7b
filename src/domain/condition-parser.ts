// The condition language's syntax: tokens, then a recursive-descent parser
// into a tree the evaluator (delivery/analysis) walks and validate type-checks
// (condition-types.ts). Never eval or Function: a condition comes
// from a config file and must not be able to run code.
//
//   or     := and (("||" | "or") and)*
//   and    := not (("&&" | "and") not)*
//   compare:= sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
//   sum    := product (("+" | "-") product)*
//   product:= unary (("*" | "/") unary)*
//   unary  := ("!" | "not" | "-") unary | postfix
//   postfix:= primary ("[" or "]" | "." name)*
//   primary:= number | string | true | false | null | name | name "(" or ")" | "(" or ")"
import { didYouMean } from "./did-you-mean.js";
import { SlipwayError } from "./errors.js";

export const conditionFunctions = ["len", "isNaN", "abs"] as const;
export type FunctionName = (typeof conditionFunctions)[number];

/** A condition that is not valid; `column` is 1-based within the condition's text. */
export class ConditionSyntaxError extends SlipwayError {
  readonly source: string;
  /** What is wrong, without the label and the condition (config problems say those by position). */
  readonly problem: string;
  readonly column: number;

  constructor(label: string, source: string, problem: string, column: number) {
    super("CONFIG_INVALID", `${label} ${JSON.stringify(source)} is not valid: ${problem} at column ${column}`, {
      hint: "conditions compare result (and baseline) with numbers or strings, e.g. result < 0.01, result[0] >= 0.95 && len(result) == 1, isNaN(result) || result <= baseline * 1.2",
    });
    this.source = source;
    this.problem = problem;
    this.column = column;
  }

  /** The message, then the condition with a caret under the column. */
  override explain(): string {
    return `${this.message}\n  ${this.source}\n  ${" ".repeat(this.column - 1)}^`;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), source: this.source, column: this.column };
  }
}

/** Parses a condition into its tree and the names it reads; throws ConditionSyntaxError. */
export function parseConditionTree(source: string, label: string, allowedNames: readonly string[]): { tree: Node; names: Set<string> } {
  const parser = new Parser(source, tokenize(source, label), label, allowedNames);
  return { tree: parser.parseAll(), names: parser.namesUsed };
}

type TokenKind = "number" | "string" | "name" | "operator" | "end";

interface Token {
  kind: TokenKind;
  text: string;
  /** The literal's value for numbers and strings. */
  value?: number | string;
  /** 0-based offset in the source. */
  at: number;
}

const operators = ["<=", ">=", "==", "!=", "&&", "||", "<", ">", "!", "+", "-", "*", "/", "(", ")", "[", "]", ".", ","];

function tokenize(source: string, label: string): Token[] {
  const tokens: Token[] = [];
  const fail = (problem: string, at: number): never => {
    throw new ConditionSyntaxError(label, source, problem, at + 1);
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i] ?? "";
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const number = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(source.slice(i))?.[0];
    if (number !== undefined) {
      if (/^[A-Za-z_]/.test(source.slice(i + number.length))) fail(`a number runs into letters`, i + number.length);
      tokens.push({ kind: "number", text: number, value: Number(number), at: i });
      i += number.length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))?.[0];
    if (name !== undefined) {
      tokens.push({ kind: "name", text: name, at: i });
      i += name.length;
      continue;
    }
    if (c === '"' || c === "'") {
      const { value, end } = readString(source, i, fail);
      tokens.push({ kind: "string", text: source.slice(i, end), value, at: i });
      i = end;
      continue;
    }
    const operator = operators.find((op) => source.startsWith(op, i));
    if (operator === undefined) {
      const advice = c === "=" ? ' (compare with "==")' : c === "&" ? ' (use "&&")' : c === "|" ? ' (use "||")' : "";
      fail(`unexpected ${JSON.stringify(c)}${advice}`, i);
    } else {
      tokens.push({ kind: "operator", text: operator, at: i });
      i += operator.length;
    }
  }
  tokens.push({ kind: "end", text: "", at: source.length });
  return tokens;
}

function readString(source: string, start: number, fail: (problem: string, at: number) => never): { value: string; end: number } {
  const quote = source[start];
  let value = "";
  for (let i = start + 1; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      const next = source[i + 1];
      if (next === undefined) break;
      value += next === "n" ? "\n" : next === "t" ? "\t" : next;
      i++;
    } else if (c === quote) {
      return { value, end: i + 1 };
    } else {
      value += c;
    }
  }
  return fail("the string is not closed", start);
}

// ------------------------------------------------------------ tree

export interface Located {
  /** 0-based offset of the node's first character. */
  at: number;
}

export type Node = Located &
  (
    | { type: "literal"; value: unknown }
    | { type: "name"; name: string }
    | { type: "index"; target: Node; index: Node }
    | { type: "call"; name: FunctionName; argument: Node }
    | { type: "not"; operand: Node }
    | { type: "negate"; operand: Node }
    | { type: "logical"; operator: "&&" | "||"; left: Node; right: Node }
    | { type: "compare"; operator: "<" | "<=" | ">" | ">=" | "==" | "!="; left: Node; right: Node }
    | { type: "arithmetic"; operator: "+" | "-" | "*" | "/"; left: Node; right: Node }
  );

const comparisons = new Set(["<", "<=", ">", ">=", "==", "!="]);
const keywords: Record<string, unknown> = { true: true, false: false, null: null };

class Parser {
  readonly namesUsed = new Set<string>();
  private position = 0;

  constructor(
    private readonly source: string,
    private readonly tokens: readonly Token[],
    private readonly label: string,
    private readonly allowedNames: readonly string[],
  ) {}

  parseAll(): Node {
    if (this.peek().kind === "end") this.fail("the condition is empty", this.peek());
    const tree = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== "end") {
      const advice = comparisons.has(rest.text) ? " (comparisons do not chain: write a < b && b < c)" : "";
      this.fail(`unexpected ${describeToken(rest)}; expected an operator such as && or ||, or the end${advice}`, rest);
    }
    return tree;
  }

  private parseOr(): Node {
    let left = this.parseAnd();
    while (this.takeOperator("||") || this.takeWord("or")) left = { type: "logical", operator: "||", left, right: this.parseAnd(), at: left.at };
    return left;
  }

  private parseAnd(): Node {
    let left = this.parseNot();
    while (this.takeOperator("&&") || this.takeWord("and")) left = { type: "logical", operator: "&&", left, right: this.parseNot(), at: left.at };
    return left;
  }

  /** `not a == b` reads as not (a == b), as in Python; `!` binds tighter, as in JavaScript. */
  private parseNot(): Node {
    const token = this.peek();
    if (this.takeWord("not")) return { type: "not", operand: this.parseNot(), at: token.at };
    return this.parseComparison();
  }

  private parseComparison(): Node {
    const left = this.parseSum();
    const token = this.peek();
    if (token.kind === "operator" && comparisons.has(token.text)) {
      this.position++;
      return { type: "compare", operator: token.text as "<", left, right: this.parseSum(), at: left.at };
    }
    return left;
  }

  private parseSum(): Node {
    let left = this.parseProduct();
    for (let op = this.peek(); op.kind === "operator" && (op.text === "+" || op.text === "-"); op = this.peek()) {
      this.position++;
      left = { type: "arithmetic", operator: op.text, left, right: this.parseProduct(), at: left.at };
    }
    return left;
  }

  private parseProduct(): Node {
    let left = this.parseUnary();
    for (let op = this.peek(); op.kind === "operator" && (op.text === "*" || op.text === "/"); op = this.peek()) {
      this.position++;
      left = { type: "arithmetic", operator: op.text, left, right: this.parseUnary(), at: left.at };
    }
    return left;
  }

  private parseUnary(): Node {
    const token = this.peek();
    if (this.takeOperator("!")) return { type: "not", operand: this.parseUnary(), at: token.at };
    if (this.takeOperator("-")) return { type: "negate", operand: this.parseUnary(), at: token.at };
    return this.parsePostfix();
  }

  private parsePostfix(): Node {
    let node = this.parsePrimary();
    for (;;) {
      const token = this.peek();
      if (this.takeOperator("[")) {
        const index = this.parseOr();
        this.expectOperator("]", `"]" to close the "[" at column ${token.at + 1}`);
        node = { type: "index", target: node, index, at: node.at };
      } else if (this.takeOperator(".")) {
        const key = this.peek();
        if (key.kind !== "name") this.fail(`expected a key after "."`, key);
        this.position++;
        node = { type: "index", target: node, index: { type: "literal", value: key.text, at: key.at }, at: node.at };
      } else {
        return node;
      }
    }
  }

  private parsePrimary(): Node {
    const token = this.peek();
    this.position++;
    if (token.kind === "number" || token.kind === "string") return { type: "literal", value: token.value, at: token.at };
    if (token.kind === "operator" && token.text === "(") {
      const inner = this.parseOr();
      this.expectOperator(")", `")" to close the "(" at column ${token.at + 1}`);
      return inner;
    }
    if (token.kind === "name") {
      if (Object.hasOwn(keywords, token.text)) return { type: "literal", value: keywords[token.text], at: token.at };
      if (this.peek().kind === "operator" && this.peek().text === "(") return this.parseCall(token);
      if (!this.allowedNames.includes(token.text)) {
        const guess = didYouMean(token.text, [...this.allowedNames, ...conditionFunctions]);
        this.fail(`unknown name ${JSON.stringify(token.text)}${guess === undefined ? "" : ` (did you mean ${guess}?)`}; a condition reads ${this.allowedNames.join(" and ")}`, token);
      }
      this.namesUsed.add(token.text);
      return { type: "name", name: token.text, at: token.at };
    }
    this.position--;
    return this.fail(`expected a value (a number, a string, ${this.allowedNames.join(", ")}, a function or "("), found ${describeToken(token)}`, token);
  }

  private parseCall(nameToken: Token): Node {
    const name = nameToken.text;
    if (!(conditionFunctions as readonly string[]).includes(name)) {
      const guess = didYouMean(name, conditionFunctions);
      this.fail(`unknown function ${JSON.stringify(name)}${guess === undefined ? "" : ` (did you mean ${guess}?)`}; there are ${conditionFunctions.join(", ")}`, nameToken);
    }
    const open = this.peek();
    this.position++;
    const argument = this.parseOr();
    if (this.peek().text === ",") this.fail(`${name} takes one argument`, this.peek());
    this.expectOperator(")", `")" to close the "(" at column ${open.at + 1}`);
    return { type: "call", name: name as FunctionName, argument, at: nameToken.at };
  }

  private peek(): Token {
    return this.tokens[this.position] ?? { kind: "end", text: "", at: this.source.length };
  }

  private takeOperator(text: string): boolean {
    const token = this.peek();
    if (token.kind !== "operator" || token.text !== text) return false;
    this.position++;
    return true;
  }

  private takeWord(word: string): boolean {
    const token = this.peek();
    if (token.kind !== "name" || token.text !== word) return false;
    this.position++;
    return true;
  }

  private expectOperator(text: string, what: string): void {
    const token = this.peek();
    if (!this.takeOperator(text)) this.fail(`expected ${what}, found ${describeToken(token)}`, token);
  }

  private fail(problem: string, token: Token): never {
    throw new ConditionSyntaxError(this.label, this.source, problem, token.at + 1);
  }
}

function describeToken(token: Token): string {
  return token.kind === "end" ? "the end of the condition" : JSON.stringify(token.text);
}
