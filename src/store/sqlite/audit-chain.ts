// The audit log's hash chain: how an entry's hash is computed, and how a
// stored chain is checked. Each hash covers the previous one, so editing,
// deleting or moving a row breaks every link after it; the head (newest seq
// and hash, kept apart from the rows) shows when the newest rows are deleted.
// Anyone who can rewrite the whole file can rewrite the chain too: this
// catches edits by hand, not an attacker holding the database.
import { createHash } from "node:crypto";
import { canonicalJson } from "../../domain/canonical-json.js";
import type { AuditVerification } from "../../release/types.js";

export const GENESIS_HASH = "0".repeat(64);

export interface HashedFields {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: unknown;
}

/** A row as stored; `detail` is the JSON text, which may have been damaged. */
export interface ChainRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: string;
  prevHash: string;
  hash: string;
}

export interface ChainHead {
  seq: number;
  hash: string;
}

export function entryHash(prevHash: string, fields: HashedFields): string {
  const { seq, at, actor, action, subject, detail } = fields;
  return createHash("sha256")
    .update(prevHash + canonicalJson({ seq, at, actor, action, subject, detail }))
    .digest("hex");
}

/** Checks rows (in seq order) against each other and the head; each problem names its seq. */
export function verifyChain(rows: readonly ChainRow[], head: ChainHead | "unreadable" | undefined): AuditVerification {
  const check = new ChainCheck(rows);
  const problems: string[] = [];
  let expected = 1;
  let previous: ChainRow | undefined;
  // A broken link right after a reported row is that row's doing, not news.
  let previousReported = false;
  for (const row of rows) {
    const gap = row.seq > expected;
    if (gap) problems.push(deleted(expected, row.seq - 1));
    let problem: string | undefined;
    if (!check.hashMatches(row, row.seq)) problem = movedOrEdited(row, check.writtenSeqOf(row));
    else if (!gap && !previousReported && row.prevHash !== (previous?.hash ?? GENESIS_HASH)) {
      problem = `seq ${row.seq}: does not follow seq ${row.seq - 1} (its prev_hash is not that row's hash): seq ${row.seq - 1} was replaced, or rows were reordered`;
    }
    if (problem !== undefined) problems.push(problem);
    previousReported = problem !== undefined;
    expected = row.seq + 1;
    previous = row;
  }
  problems.push(...headProblems(rows[rows.length - 1], head));
  return { ok: problems.length === 0, entries: rows.length, problems };
}

function movedOrEdited(row: ChainRow, writtenSeq: number | undefined): string {
  return writtenSeq !== undefined && writtenSeq !== row.seq
    ? `seq ${row.seq}: holds the entry written as seq ${writtenSeq} (rows reordered)`
    : `seq ${row.seq}: edited (its contents do not match its hash)`;
}

function headProblems(last: ChainRow | undefined, head: ChainHead | "unreadable" | undefined): string[] {
  if (head === undefined || head === "unreadable") {
    if (head === undefined && last === undefined) return [];
    return [`the head record is ${head === undefined ? "missing" : "unreadable"}, so deleted newest rows cannot be detected; the log ends at seq ${last?.seq ?? 0}`];
  }
  if (last === undefined || last.seq < head.seq) return [`${deleted((last?.seq ?? 0) + 1, head.seq)} (the newest rows)`];
  if (last.seq > head.seq) return [`seq ${head.seq + 1}${last.seq > head.seq + 1 ? `–${last.seq}` : ""}: added outside slipway (the head is seq ${head.seq})`];
  if (last.hash !== head.hash) return [`seq ${last.seq}: replaced (its hash is not the one recorded as the head)`];
  return [];
}

function deleted(from: number, to: number): string {
  return from === to ? `seq ${from}: deleted` : `seq ${from}–${to}: deleted`;
}

/** Hash checks over one set of rows, remembering what it worked out. */
class ChainCheck {
  private readonly byHash: Map<string, ChainRow>;
  private readonly written = new Map<ChainRow, number | undefined>();

  constructor(rows: readonly ChainRow[]) {
    this.byHash = new Map(rows.map((r) => [r.hash, r]));
  }

  /** Whether the row's stored hash is the hash of its contents at `seq`; damaged detail never matches. */
  hashMatches(row: ChainRow, seq: number): boolean {
    let detail: unknown;
    try {
      detail = JSON.parse(row.detail);
    } catch {
      return false;
    }
    return entryHash(row.prevHash, { ...row, seq, detail }) === row.hash;
  }

  /**
   * The seq a moved row was written at: follow prev_hash links back to an
   * intact row (or the start of the chain), then count forward, checking each
   * row's hash at the seq it should have had. Undefined when the row's own
   * contents were edited too, or its predecessor is gone.
   */
  writtenSeqOf(start: ChainRow): number | undefined {
    const path: ChainRow[] = [];
    const seen = new Set<ChainRow>();
    let known: number | undefined;
    for (let row = start; ; ) {
      path.push(row);
      seen.add(row);
      if (row.prevHash === GENESIS_HASH) {
        known = 0;
        break;
      }
      const before = this.byHash.get(row.prevHash);
      if (before === undefined || seen.has(before)) break;
      if (this.written.has(before)) {
        known = this.written.get(before);
        break;
      }
      if (this.hashMatches(before, before.seq)) {
        known = before.seq;
        break;
      }
      row = before;
    }
    for (const row of path.reverse()) {
      known = known !== undefined && this.hashMatches(row, known + 1) ? known + 1 : undefined;
      this.written.set(row, known);
    }
    return this.written.get(start);
  }
}
