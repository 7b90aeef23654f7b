// Every error Slipway raises on purpose is a SlipwayError: a stable code a
// script can match on, a message a person can act on, a hint saying what to
// try, and the cause chain. The CLI prints them; stacks only with --debug.

/** Stable error codes. docs/errors.md explains each one. */
export const ErrorCodes = {
  CONFIG_INVALID: { exit: 2, summary: "configuration files have errors" },
  CONFIG_NOT_FOUND: { exit: 2, summary: "no slipway.yaml found" },
  USAGE: { exit: 2, summary: "the command line is wrong" },
  USER_NOT_FOUND: { exit: 2, summary: "no user of `slipway serve` has this name" },
  LAST_ADMIN: { exit: 2, summary: "the only admin cannot be removed or demoted" },
  ENGINE_UNAVAILABLE: { exit: 3, summary: "Docker Engine is not installed or not running" },
  PORT_IN_USE: { exit: 3, summary: "a port slipway needs is held by another process" },
  COMPONENT_MISSING: { exit: 3, summary: "a platform component is not installed" },
  COMPONENT_FAILED: { exit: 3, summary: "a platform component did not start" },
  STATE_STORE: { exit: 4, summary: "the state store could not be opened or migrated" },
  WRITE_FAILED: { exit: 4, summary: "a file in the state directory could not be written: the disk is full, read-only, or not writable by this user" },
  CHILD_PROCESS: { exit: 1, summary: "a command failed" },
  REGISTRY_UNAVAILABLE: { exit: 5, summary: "a registry could not be reached or answered with a server error" },
  REGISTRY_AUTH: { exit: 5, summary: "a registry refused the credentials, or needs some" },
  REGISTRY_NOT_FOUND: { exit: 5, summary: "a repository, manifest or blob is not in the registry" },
  REGISTRY_REFUSED: { exit: 5, summary: "a registry refused a request as invalid or unsupported" },
  DIGEST_MISMATCH: { exit: 5, summary: "content did not match its digest" },
  REFERENCE_INVALID: { exit: 2, summary: "an image reference, repository name or digest is malformed" },
  SIGNING_KEY_INVALID: { exit: 6, summary: "the signing key file is unsafe (readable by others), unreadable or not an ECDSA P-256 key" },
  SIGNATURE_MISSING: { exit: 6, summary: "an image has no signature" },
  SIGNATURE_INVALID: { exit: 6, summary: "an image's signature does not verify: wrong key, another image, or altered" },
  PROVENANCE_MISSING: { exit: 6, summary: "an image has no provenance attached" },
  PROVENANCE_INVALID: { exit: 6, summary: "an image's provenance is malformed or is about another image" },
  ATTESTATION_INVALID: { exit: 6, summary: "a required stage has no attestation that verifies against trust: for this digest" },
  RELEASE_REFUSED: { exit: 6, summary: "a release cannot be made as asked (no tested image, or a version that would move)" },
  RELEASE_BLOCKED: { exit: 6, summary: "a release waits for its policy: approvals, a freeze, or CI stages" },
  APPROVAL_REFUSED: { exit: 6, summary: "this identity may not approve this release" },
  AUDIT_TAMPERED: { exit: 6, summary: "the audit log's hash chain is broken: rows were edited or deleted" },
  ROUTER_UNAVAILABLE: { exit: 6, summary: "the traffic router (HAProxy) could not be reached or did not answer in time" },
  ROUTER_REFUSED: { exit: 6, summary: "the traffic router refused a command or a new configuration" },
  ROUTER_NOT_FOUND: { exit: 6, summary: "a service or backend is not known to the traffic router" },
  ROUTER_CONFLICT: { exit: 6, summary: "a backend name is already used for another instance" },
  ROUTER_INVALID_WEIGHTS: { exit: 6, summary: "revision weights do not add up to 100% or name revisions without backends" },
  ROUTER_DRAIN_TIMEOUT: { exit: 6, summary: "a backend still had requests in flight when draining timed out" },
  MEASUREMENT_FAILED: { exit: 7, summary: "an analysis metric could not be measured: its provider was unreachable, answered with an error or with an unexpected result" },
  MIX_NOT_DEPLOYED: { exit: 1, summary: "a compatibility check could not deploy the old/new mix into the environment's scratch copy" },
  ROLLOUT_IN_PROGRESS: { exit: 8, summary: "the service already has a rollout in progress in this environment" },
  SERVER_REFUSED: { exit: 9, summary: "the slipway server (--server) refused the request, or could not be reached" },
  INTERNAL: { exit: 70, summary: "a bug in slipway" },
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

export interface SlipwayErrorOptions {
  hint?: string;
  cause?: unknown;
  /** True when trying the same thing again may succeed (network blips, 5xx, locks). */
  retryable?: boolean;
}

export class SlipwayError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: SlipwayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
  }

  get exitCode(): number {
    return ErrorCodes[this.code].exit;
  }

  /** The human explanation, without hint or cause; subclasses add detail. */
  explain(): string {
    return this.message;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      hint: this.hint,
      retryable: this.retryable,
      cause: describeCause(this.cause),
    };
  }
}

function describeCause(cause: unknown): unknown {
  if (cause === undefined) return undefined;
  if (cause instanceof SlipwayError) return cause.toJSON();
  if (cause instanceof Error) return { name: cause.name, message: cause.message };
  return String(cause);
}

/** Where in a file something is; line and col are 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

/** One problem in the configuration, with where it is and how to fix it. */
export interface ConfigProblem {
  position: SourcePosition;
  /** The field path, e.g. `readiness.http.path` or `services[2]`. */
  path: string;
  message: string;
  hint?: string;
}

export function formatPosition(p: SourcePosition): string {
  return `${p.file}:${p.line}:${p.col}`;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.path === "" ? "" : ` ${p.path}:`;
  const hint = p.hint === undefined ? "" : ` (${p.hint})`;
  return `${formatPosition(p.position)}:${where} ${p.message}${hint}`;
}

/** All configuration problems of one run, in file order, and the warnings found beside them. */
export class ConfigError extends SlipwayError {
  readonly problems: readonly ConfigProblem[];
  readonly warnings: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], warnings: readonly ConfigProblem[] = []) {
    const n = problems.length;
    super("CONFIG_INVALID", `${n} configuration error${n === 1 ? "" : "s"}`, {
      hint: "fix the fields named above; `slipway schema` writes JSON Schemas your editor can check them with",
    });
    this.problems = problems;
    this.warnings = warnings;
  }

  override explain(): string {
    const warnings = this.warnings.length === 0 ? [] : [`${this.warnings.length} warning${this.warnings.length === 1 ? "" : "s"}:`, ...this.warnings.map((w) => "  " + formatProblem(w))];
    return [this.message + ":", ...this.problems.map((p) => "  " + formatProblem(p)), ...warnings].join("\n");
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems, warnings: this.warnings };
  }
}

/** A command that exited non-zero: shows the command, its exit code and its last lines of output. */
export class ChildProcessError extends SlipwayError {
  readonly command: string;
  readonly exitStatus: number | null;
  readonly outputTail: string;

  constructor(command: string, exitStatus: number | null, outputTail: string, options: SlipwayErrorOptions = {}) {
    super("CHILD_PROCESS", `\`${command}\` exited with ${exitStatus === null ? "a signal" : `code ${exitStatus}`}`, options);
    this.command = command;
    this.exitStatus = exitStatus;
    this.outputTail = outputTail;
  }

  override explain(): string {
    if (this.outputTail.trim() === "") return this.message;
    const tail = this.outputTail.trimEnd().split("\n").map((l) => "  | " + l).join("\n");
    return `${this.message}; last lines of output:\n${tail}`;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), command: this.command, exitStatus: this.exitStatus, outputTail: this.outputTail };
  }
}

/** Wraps anything thrown into a SlipwayError, keeping ours as they are. */
export function asSlipwayError(err: unknown): SlipwayError {
  if (err instanceof SlipwayError) return err;
  const known = storageFault(err);
  if (known !== undefined) return known;
  const message = err instanceof Error ? err.message : String(err);
  return new SlipwayError("INTERNAL", message, {
    cause: err,
    hint: "this is a bug in slipway; rerun with --debug and report the stack",
  });
}

/**
 * Faults of the machine rather than bugs, from wherever they surface (SQLite
 * through better-sqlite3, Node's fs): a full disk, a store held locked past
 * the busy timeout, a damaged file. Said as such, never as "a bug in slipway".
 */
export function storageFault(err: unknown): SlipwayError | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (code === "SQLITE_FULL" || code === "ENOSPC") {
    return new SlipwayError("WRITE_FAILED", `no space left on the device: ${message}`, { cause: err, hint: "free space on the file system that holds the state directory (`df` shows it), then run again; the state store keeps its last committed state" });
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return new SlipwayError("STATE_STORE", `the state store stayed locked by another slipway process for longer than its 5 s busy timeout: ${message}`, { cause: err, retryable: true, hint: "run the command again; `fuser -v .slipway/state.db` shows who holds it" });
  }
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    return new SlipwayError("STATE_STORE", `the state store file is damaged: ${message}`, { cause: err, hint: "restore .slipway/state.db from a backup; `slipway restore` redeploys an environment from a system lock" });
  }
  if (code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_IOERR") || code === "EROFS" || code === "EACCES") {
    return new SlipwayError("WRITE_FAILED", `cannot write the state directory: ${message}`, { cause: err, hint: "check the state directory's file system (read-only? failing?) and its permissions" });
  }
  return undefined;
}
