import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SlipwayError } from "../../domain/errors.js";
import type { AuditEntry, ReleaseRecord } from "../../release/types.js";
import { canonicalJson } from "../../domain/canonical-json.js";
import { GENESIS_HASH } from "./audit-chain.js";
import { SqliteReleaseStore } from "./release-store.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-releases-"));
after(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** A fresh store file, a release store over it with a clock that ticks a second per entry. */
function open(): { store: SqliteStore; releases: SqliteReleaseStore; sql: (text: string, ...params: unknown[]) => void } {
  const store = SqliteStore.open(join(dir, `state-${counter++}.db`));
  let tick = 0;
  const releases = new SqliteReleaseStore(store.db, () => new Date(Date.UTC(2025, 10, 1, 12, 0, tick++)));
  after(() => store.close());
  return { store, releases, sql: (text, ...params) => void store.db.prepare(text).run(...params) };
}

function release(overrides: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return {
    id: "rel-1",
    service: "ingestion",
    version: "1.3.0",
    digest: "sha256:" + "a".repeat(64),
    changeType: "minor",
    sourceRef: "127.0.0.1:5101/drone-delivery/ingestion@sha256:" + "a".repeat(64),
    requestedBy: "alice@drone.example",
    requestedAt: "2025-11-01T12:00:00.000Z",
    status: "awaiting-approval",
    ...overrides,
  };
}

/** Appends n entries: release-requested of ingestion@1.0.<i>. */
function appendEntries(releases: SqliteReleaseStore, n: number): void {
  for (let i = 1; i <= n; i++) releases.appendAudit({ actor: "alice@drone.example", action: "release-requested", subject: `ingestion@1.0.${i}`, detail: { digest: `sha256:${i}`, policy: { approvals: i } } });
}

describe("SqliteReleaseStore: releases and approvals", () => {
  it("round-trips a release, with and without its optional fields", () => {
    const { releases } = open();
    const bare = release();
    releases.saveRelease(bare);
    assert.deepEqual(releases.getRelease("rel-1"), bare);

    const full = release({
      targetRef: "127.0.0.1:5102/drone-delivery/ingestion:1.3.0",
      commit: "abc1234",
      runId: "run-7",
      contentHash: "h123",
      releasedAt: "2025-11-01T12:05:00.000Z",
      status: "released",
      statusDetail: "approved by bob@drone.example",
      signatureDigest: "sha256:" + "b".repeat(64),
      provenanceDigest: "sha256:" + "c".repeat(64),
    });
    releases.saveRelease(full);
    assert.deepEqual(releases.getRelease("rel-1"), full);
    assert.deepEqual(releases.findRelease("ingestion", "1.3.0"), full);
    assert.equal(releases.getRelease("nope"), undefined);
    assert.equal(releases.findRelease("ingestion", "9.9.9"), undefined);
  });

  it("lists newest first, per service or all", () => {
    const { releases } = open();
    releases.saveRelease(release({ id: "a", version: "1.0.0", requestedAt: "2025-11-01T10:00:00Z" }));
    releases.saveRelease(release({ id: "b", service: "workflow", version: "2.0.0", requestedAt: "2025-11-01T11:00:00Z" }));
    releases.saveRelease(release({ id: "c", version: "1.1.0", requestedAt: "2025-11-01T12:00:00Z" }));
    assert.deepEqual(releases.listReleases().map((r) => r.id), ["c", "b", "a"]);
    assert.deepEqual(releases.listReleases("ingestion").map((r) => r.id), ["c", "a"]);
  });

  it("finds the latest released version by semver order, not by time or text", () => {
    const { releases } = open();
    assert.equal(releases.latestReleased("ingestion"), undefined);
    const rows: [string, string, ReleaseRecord["status"]][] = [
      ["r1", "1.10.0", "released"],
      ["r2", "1.9.0", "released"],
      ["r3", "2.0.0-rc.1", "released"],
      ["r4", "3.0.0", "refused"],
      ["r5", "2.5.0", "awaiting-approval"],
    ];
    rows.forEach(([id, version, status], i) => releases.saveRelease(release({ id, version, status, requestedAt: `2025-11-0${i + 1}T00:00:00Z` })));
    assert.equal(releases.latestReleased("ingestion")?.version, "2.0.0-rc.1");
    releases.saveRelease(release({ id: "r6", version: "2.0.0", status: "released" }));
    assert.equal(releases.latestReleased("ingestion")?.id, "r6");
    assert.equal(releases.latestReleased("workflow"), undefined);
  });

  it("refuses to release one version twice, and prefers the released one when finding it", () => {
    const { releases } = open();
    releases.saveRelease(release({ id: "first", status: "refused", requestedAt: "2025-11-01T10:00:00Z" }));
    releases.saveRelease(release({ id: "second", status: "released", requestedAt: "2025-11-01T11:00:00Z" }));
    releases.saveRelease(release({ id: "third", status: "awaiting-approval", requestedAt: "2025-11-01T12:00:00Z" }));
    assert.equal(releases.findRelease("ingestion", "1.3.0")?.id, "second");
    assert.throws(
      () => releases.saveRelease(release({ id: "third", status: "released" })),
      (err: unknown) => err instanceof SlipwayError && err.code === "STATE_STORE" && /ingestion 1.3.0 is already released/.test(err.message),
    );
  });

  it("keeps one approval per person and release, whatever the case", () => {
    const { releases } = open();
    releases.saveRelease(release());
    releases.addApproval({ releaseId: "rel-1", approver: "bob@drone.example", at: "2025-11-01T12:01:00Z", comment: "looks good" });
    releases.addApproval({ releaseId: "rel-1", approver: "Bob@Drone.example", at: "2025-11-01T12:02:00Z" });
    releases.addApproval({ releaseId: "rel-1", approver: "carol@drone.example", at: "2025-11-01T12:03:00Z" });
    assert.deepEqual(releases.approvals("rel-1"), [
      { releaseId: "rel-1", approver: "bob@drone.example", at: "2025-11-01T12:01:00Z", comment: "looks good" },
      { releaseId: "rel-1", approver: "carol@drone.example", at: "2025-11-01T12:03:00Z" },
    ]);
    assert.deepEqual(releases.approvals("other"), []);
  });

  it("refuses an approval of a release it does not have", () => {
    const { releases } = open();
    assert.throws(
      () => releases.addApproval({ releaseId: "ghost", approver: "bob", at: "2025-11-01T12:00:00Z" }),
      (err: unknown) => err instanceof SlipwayError && /no release ghost to approve/.test(err.message),
    );
  });
});

describe("SqliteReleaseStore: audit log", () => {
  it("chains each entry to the one before", () => {
    const { releases } = open();
    assert.deepEqual(releases.verifyAudit(), { ok: true, entries: 0, problems: [] });
    const first = releases.appendAudit({ actor: "alice", action: "release-requested", subject: "ingestion@1.3.0", detail: { b: 1, a: [1, { y: 2, x: undefined }], when: new Date(0) } });
    const second = releases.appendAudit({ actor: "bob", action: "approved", subject: "ingestion@1.3.0", detail: {} });

    assert.equal(first.seq, 1);
    assert.equal(first.prevHash, GENESIS_HASH);
    assert.equal(first.at, "2025-11-01T12:00:00.000Z");
    // What is hashed is what JSON keeps: the Date as its string, undefined gone.
    assert.deepEqual(first.detail, { b: 1, a: [1, { y: 2 }], when: "1970-01-01T00:00:00.000Z" });
    const expected = createHash("sha256")
      .update(GENESIS_HASH + '{"action":"release-requested","actor":"alice","at":"2025-11-01T12:00:00.000Z","detail":{"a":[1,{"y":2}],"b":1,"when":"1970-01-01T00:00:00.000Z"},"seq":1,"subject":"ingestion@1.3.0"}')
      .digest("hex");
    assert.equal(first.hash, expected);
    assert.equal(second.seq, 2);
    assert.equal(second.prevHash, first.hash);
    assert.deepEqual(releases.listAudit(), [first, second]);
    assert.deepEqual(releases.listAudit(1), [second]);
    assert.deepEqual(releases.verifyAudit(), { ok: true, entries: 2, problems: [] });
  });

  it("survives reopening the store", () => {
    const path = join(dir, "reopen.db");
    const a = SqliteStore.open(path);
    appendEntries(new SqliteReleaseStore(a.db), 2);
    a.close();
    const b = SqliteStore.open(path);
    appendEntries(new SqliteReleaseStore(b.db), 1);
    assert.deepEqual(new SqliteReleaseStore(b.db).verifyAudit(), { ok: true, entries: 3, problems: [] });
    b.close();
  });

  type Sql = (text: string, ...params: unknown[]) => void;
  const rows: { name: string; tamper: (sql: Sql, before: AuditEntry[]) => void; problems: string[]; entries?: number }[] = [
    {
      name: "an edited detail, naming its seq",
      tamper: (sql) => sql("UPDATE audit_log SET detail = ? WHERE seq = 3", JSON.stringify({ digest: "sha256:evil", policy: { approvals: 3 } })),
      problems: ["seq 3: edited (its contents do not match its hash)"],
    },
    {
      name: "an edited actor",
      tamper: (sql) => sql("UPDATE audit_log SET actor = 'mallory' WHERE seq = 1"),
      problems: ["seq 1: edited (its contents do not match its hash)"],
    },
    {
      name: "detail damaged beyond JSON",
      tamper: (sql) => sql("UPDATE audit_log SET detail = '{oops' WHERE seq = 2"),
      problems: ["seq 2: edited (its contents do not match its hash)"],
    },
    {
      name: "detail rewritten with the same meaning (keys reordered) is not a change",
      tamper: (sql) => sql("UPDATE audit_log SET detail = ? WHERE seq = 2", '{ "policy": {"approvals": 2}, "digest": "sha256:2" }'),
      problems: [],
    },
    {
      name: "a deleted middle row",
      tamper: (sql) => sql("DELETE FROM audit_log WHERE seq = 3"),
      problems: ["seq 3: deleted"],
      entries: 4,
    },
    {
      name: "several deleted rows",
      tamper: (sql) => sql("DELETE FROM audit_log WHERE seq IN (2, 3)"),
      problems: ["seq 2–3: deleted"],
    },
    {
      name: "a deleted last row",
      tamper: (sql) => sql("DELETE FROM audit_log WHERE seq = 5"),
      problems: ["seq 5: deleted (the newest rows)"],
    },
    {
      name: "every row deleted",
      tamper: (sql) => sql("DELETE FROM audit_log"),
      problems: ["seq 1–5: deleted (the newest rows)"],
      entries: 0,
    },
    {
      name: "the last row and the head record deleted",
      tamper: (sql) => {
        sql("DELETE FROM audit_log WHERE seq = 5");
        sql("DELETE FROM system_info WHERE key = 'audit_head'");
      },
      problems: ["the head record is missing, so deleted newest rows cannot be detected; the log ends at seq 4"],
    },
    {
      name: "a damaged head record",
      tamper: (sql) => sql("UPDATE system_info SET value = 'x' WHERE key = 'audit_head'"),
      problems: ["the head record is unreadable, so deleted newest rows cannot be detected; the log ends at seq 5"],
    },
    {
      name: "two rows swapped",
      tamper: (sql) => {
        sql("UPDATE audit_log SET seq = 100 WHERE seq = 2");
        sql("UPDATE audit_log SET seq = 2 WHERE seq = 3");
        sql("UPDATE audit_log SET seq = 3 WHERE seq = 100");
      },
      problems: ["seq 2: holds the entry written as seq 3 (rows reordered)", "seq 3: holds the entry written as seq 2 (rows reordered)"],
    },
    {
      name: "a row replaced by one whose hash was recomputed",
      tamper: (sql, before) => sql("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 2", forgedHash(2, before[0]?.hash ?? "")),
      problems: ["seq 3: does not follow seq 2 (its prev_hash is not that row's hash): seq 2 was replaced, or rows were reordered"],
    },
    {
      name: "the newest row replaced by one whose hash was recomputed",
      tamper: (sql, before) => sql("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 5", forgedHash(5, before[3]?.hash ?? "")),
      problems: ["seq 5: replaced (its hash is not the one recorded as the head)"],
    },
    {
      name: "a row added behind slipway's back",
      tamper: (sql) => sql("INSERT INTO audit_log SELECT 6, at, actor, action, subject, detail, hash, hash FROM audit_log WHERE seq = 5"),
      problems: ["seq 6: edited (its contents do not match its hash)", "seq 6: added outside slipway (the head is seq 5)"],
      entries: 6,
    },
  ];

  for (const row of rows) {
    it(`detects ${row.name}`, () => {
      const { releases, sql } = open();
      appendEntries(releases, 5);
      row.tamper(sql, releases.listAudit());
      const result = releases.verifyAudit();
      assert.deepEqual(result.problems, row.problems);
      assert.equal(result.ok, row.problems.length === 0);
      if (row.entries !== undefined) assert.equal(result.entries, row.entries);
    });
  }

  it("keeps counting after the newest row was deleted, so the gap stays visible", () => {
    const { releases, sql } = open();
    appendEntries(releases, 3);
    sql("DELETE FROM audit_log WHERE seq = 3");
    assert.equal(releases.appendAudit({ actor: "bob", action: "approved", subject: "x", detail: {} }).seq, 4);
    assert.deepEqual(releases.verifyAudit().problems, ["seq 3: deleted"]);
  });

  it("lists a damaged row instead of failing", () => {
    const { releases, sql } = open();
    appendEntries(releases, 1);
    sql("UPDATE audit_log SET detail = '{oops' WHERE seq = 1");
    assert.deepEqual(releases.listAudit()[0]?.detail, { unreadable: "{oops" });
  });
});

/** The hash a forger would compute for appendEntries' entry `seq` with actor mallory, chained to `prev`. */
function forgedHash(seq: number, prev: string): string {
  const fields = { seq, at: `2025-11-01T12:00:0${seq - 1}.000Z`, actor: "mallory", action: "release-requested", subject: `ingestion@1.0.${seq}`, detail: { digest: `sha256:${seq}`, policy: { approvals: seq } } };
  return createHash("sha256").update(prev + canonicalJson(fields)).digest("hex");
}
