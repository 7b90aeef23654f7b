// How the CLI speaks: results to stdout, diagnostics and errors to stderr,
// colour only on a terminal (and never with NO_COLOR).
import { ErrorCodes, SlipwayError, asSlipwayError } from "../domain/errors.js";

export interface Output {
  out(line: string): void;
  err(line: string): void;
  readonly color: boolean;
}

export function consoleOutput(): Output {
  // `slipway … | head` closes the pipe early: that is the reader's choice, not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  const color = process.stderr.isTTY === true && process.env["NO_COLOR"] === undefined;
  return {
    out: (line) => process.stdout.write(line + "\n"),
    err: (line) => process.stderr.write(line + "\n"),
    color,
  };
}

export function paint(output: Output, code: "red" | "green" | "yellow" | "dim" | "bold", text: string): string {
  if (!output.color) return text;
  const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;
  return `\u001b[${codes[code]}m${text}\u001b[0m`;
}

/** Prints an error as message, code, hint and cause chain; the stack only with --debug. Returns the exit code. */
export function reportError(output: Output, thrown: unknown, options: { debug: boolean; json: boolean }): number {
  const err = asSlipwayError(thrown);
  if (options.json) {
    output.err(JSON.stringify({ error: err.toJSON() }));
    return err.exitCode;
  }
  output.err(`${paint(output, "red", "error")} ${err.explain()}`);
  output.err(paint(output, "dim", `  code: ${err.code} (${ErrorCodes[err.code].summary})`));
  if (err.hint !== undefined) output.err(`  try: ${err.hint}`);
  for (let cause = err.cause; cause !== undefined; cause = cause instanceof Error ? cause.cause : undefined) {
    const text = cause instanceof SlipwayError ? `${cause.code}: ${cause.message}` : cause instanceof Error ? cause.message : String(cause);
    output.err(paint(output, "dim", `  cause: ${text}`));
    if (!(cause instanceof Error)) break;
  }
  if (options.debug && err.stack !== undefined) output.err(paint(output, "dim", err.stack));
  return err.exitCode;
}
