// One stage's log: everything written goes to its file (secrets masked), and
// the last lines are kept to show when the stage fails.
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { maskSecrets } from "../domain/service-env.js";

const KEEP_LINES = 200;

export class StageLog {
  readonly path: string;
  private readonly file: WriteStream;
  private readonly lines: string[] = [];
  private partial = "";

  constructor(
    path: string,
    private readonly secrets: readonly string[] = [],
  ) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.file = createWriteStream(path, { flags: "a" });
  }

  write = (text: string): void => {
    const masked = maskSecrets(text, this.secrets);
    this.file.write(masked);
    const parts = (this.partial + masked).split(/\r?\n/);
    this.partial = parts.pop() ?? "";
    this.lines.push(...parts);
    if (this.lines.length > KEEP_LINES) this.lines.splice(0, this.lines.length - KEEP_LINES);
  };

  tail(count = 20): string[] {
    const all = this.partial === "" ? this.lines : [...this.lines, this.partial];
    return all.slice(-count);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.file.end(resolve));
  }
}
