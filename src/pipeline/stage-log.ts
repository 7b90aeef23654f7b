// One stage's log: everything written goes to its file (secrets masked), and
// the last lines are kept to show when the stage fails. A write that fails
// (the disk full, say) does not crash slipway: the lines are still kept, and
// close() reports it as WRITE_FAILED naming the file, so the stage fails
// saying so.
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { dirname } from "node:path";
import { SlipwayError } from "../domain/errors.js";
import { maskSecrets } from "../domain/service-env.js";

const KEEP_LINES = 200;

export class StageLog {
  readonly path: string;
  private readonly file: WriteStream;
  private readonly lines: string[] = [];
  private partial = "";
  private failure: NodeJS.ErrnoException | undefined;

  constructor(
    path: string,
    private readonly secrets: readonly string[] = [],
  ) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true });
    this.file = createWriteStream(path, { flags: "a" });
    this.file.on("error", (err: NodeJS.ErrnoException) => (this.failure ??= err));
  }

  write = (text: string): void => {
    const masked = maskSecrets(text, this.secrets);
    if (this.failure === undefined) this.file.write(masked);
    const parts = (this.partial + masked).split(/\r?\n/);
    this.partial = parts.pop() ?? "";
    this.lines.push(...parts);
    if (this.lines.length > KEEP_LINES) this.lines.splice(0, this.lines.length - KEEP_LINES);
  };

  tail(count = 20): string[] {
    const all = this.partial === "" ? this.lines : [...this.lines, this.partial];
    return all.slice(-count);
  }

  /** Flushes and closes the file; rejects with WRITE_FAILED when any write failed. */
  async close(): Promise<void> {
    if (!this.file.destroyed) await new Promise<void>((resolve) => this.file.end(resolve));
    if (this.failure !== undefined) throw writeFailed(this.path, this.failure);
  }
}

export function writeFailed(path: string, err: NodeJS.ErrnoException): SlipwayError {
  const why = err.code === "ENOSPC" ? "no space left on the device" : err.code === "EROFS" ? "the file system is read-only" : err.code === "EACCES" ? "permission denied" : err.message;
  return new SlipwayError("WRITE_FAILED", `cannot write ${path}: ${why}${err.code === undefined ? "" : ` (${err.code})`}`, {
    cause: err,
    hint: err.code === "ENOSPC" ? "free space on the file system that holds the state directory (`df` shows it), then run again" : "check the state directory's file system and permissions, then run again",
  });
}
