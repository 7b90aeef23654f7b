// A YAML file parsed with its source positions kept, so that every problem
// found later (by zod or by cross-file checks) can say file:line:col.
import { LineCounter, isMap, isPair, isScalar, parseDocument, type Document, type Node } from "yaml";
import type { ConfigProblem, SourcePosition } from "../domain/errors.js";

export type PathSegment = string | number;

export class YamlSource {
  readonly file: string;
  readonly value: unknown;
  readonly parseProblems: ConfigProblem[];
  private readonly doc: Document.Parsed;
  private readonly lines: LineCounter;
  private readonly text: string;

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.lines = new LineCounter();
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    this.parseProblems = [...this.doc.errors, ...this.doc.warnings].map((e) => ({
      position: this.at(e.pos[0]),
      path: "",
      message: `YAML: ${firstLine(e.message)}`,
    }));
    this.value = this.parseProblems.length === 0 ? this.doc.toJS() : undefined;
  }

  /** What parsed of a file with YAML errors, best effort (a name above the error); undefined when nothing sensible did. */
  partialValue(): unknown {
    try {
      return this.doc.toJS();
    } catch {
      return undefined;
    }
  }

  /**
   * Position of the value at `path`; with `key`, of the key that names it.
   * Falls back to the nearest ancestor that exists (a missing field points at
   * the object that lacks it).
   */
  positionOf(path: readonly PathSegment[], options: { key?: boolean } = {}): SourcePosition {
    for (let depth = path.length; depth >= 0; depth--) {
      const prefix = path.slice(0, depth);
      if (options.key === true && depth === path.length && depth > 0) {
        const keyNode = this.keyNode(prefix);
        if (keyNode?.range) return this.at(keyNode.range[0]);
      }
      const node = prefix.length === 0 ? this.doc.contents : this.doc.getIn(prefix, true);
      if (isNodeWithRange(node)) return this.at(node.range[0]);
    }
    return { file: this.file, line: 1, col: 1 };
  }

  /**
   * Position of the character at `offset` inside the string at `path`, so a
   * problem in a condition or query points at its column. Exact for one-line
   * plain and quoted scalars without escapes before the offset; otherwise the
   * string's start.
   */
  positionInString(path: readonly PathSegment[], value: string, offset: number): SourcePosition {
    const node = this.doc.getIn(path, true);
    if (isScalar(node) && node.range !== undefined && node.range !== null) {
      const start = node.range[0] + (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE" ? 1 : 0);
      // Up to and including the character at offset (or the whole string, for its end): unchanged by escapes or folding.
      const written = Math.min(offset + 1, value.length);
      if (this.text.slice(start, start + written) === value.slice(0, written)) return this.at(start + offset);
    }
    return this.positionOf(path);
  }

  /** The text of the scalar at `path` as written ("1.0" where the value is the number 1), if it is one. */
  scalarSource(path: readonly PathSegment[]): string | undefined {
    const node = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    return isScalar(node) && typeof node.source === "string" ? node.source : undefined;
  }

  private keyNode(path: readonly PathSegment[]): Node | undefined {
    const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const last = path[path.length - 1];
    const pair = parent.items.find((item) => isPair(item) && isScalar(item.key) && item.key.value === last);
    return pair && isScalar(pair.key) ? pair.key : undefined;
  }

  private at(offset: number): SourcePosition {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, col };
  }
}

function isNodeWithRange(node: unknown): node is Node & { range: [number, number, number] } {
  return typeof node === "object" && node !== null && Array.isArray((node as { range?: unknown }).range);
}

function firstLine(message: string): string {
  return message.split("\n")[0] ?? message;
}
