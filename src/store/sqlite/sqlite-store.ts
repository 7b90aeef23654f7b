// The SQLite state store (better-sqlite3, WAL). Opening it applies pending
// migrations; a database written by a newer slipway is refused, not damaged.
import Database from "better-sqlite3";
import { mkdirSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { SlipwayError } from "../../domain/errors.js";
import type { MigrationStatus, StateStore } from "../types.js";
import { migrations as defaultMigrations, type Migration } from "./migrations.js";

export class SqliteStore implements StateStore {
  readonly path: string;
  readonly db: Database.Database;
  readonly migration: MigrationStatus;

  private constructor(path: string, db: Database.Database, migration: MigrationStatus) {
    this.path = path;
    this.db = db;
    this.migration = migration;
  }

  static open(path: string, migrations: readonly Migration[] = defaultMigrations): SqliteStore {
    let db: Database.Database | undefined;
    try {
      if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
      db = new Database(path);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("foreign_keys = ON");
      db.pragma("busy_timeout = 5000");
      return new SqliteStore(path, db, migrate(db, migrations));
    } catch (err) {
      db?.close();
      if (err instanceof SlipwayError) throw err;
      throw new SlipwayError("STATE_STORE", `cannot open the state store ${path}: ${(err as Error).message}`, {
        cause: err,
        hint: "check that the state directory is writable and the file is not corrupt",
      });
    }
  }

  recordPlatformEvent(component: string, action: string, detail?: string): void {
    this.db
      .prepare("INSERT INTO platform_events (at, component, action, detail) VALUES (?, ?, ?, ?)")
      .run(new Date().toISOString(), component, action, detail ?? null);
  }

  close(): void {
    this.db.close();
  }
}

function migrate(db: Database.Database, migrations: readonly Migration[]): MigrationStatus {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const current = (db.prepare("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations").get() as { v: number }).v;
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (current > latest) {
    throw new SlipwayError("STATE_STORE", `the state store is at schema ${current}, newer than this slipway knows (${latest})`, {
      hint: "upgrade slipway; an older one must not write to a newer store",
    });
  }
  const applied: number[] = [];
  const stallIn = process.env[TEST_STALL_IN_MIGRATION];
  const record = db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)");
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    // BEGIN IMMEDIATE: two slipway processes starting at once apply each migration once.
    db.transaction(() => {
      const done = db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?").get(m.version);
      if (done !== undefined) return;
      db.exec(m.sql);
      if (stallIn === String(m.version)) stallForTest(m.version);
      record.run(m.version, m.name, new Date().toISOString());
      applied.push(m.version);
    }).immediate();
  }
  return { version: Math.max(current, latest), applied };
}

/**
 * Test-only (store-faults.test.ts): with this set to a migration's version,
 * opening the store stops forever inside that migration's transaction — its
 * SQL run, its version row not yet written, nothing committed — after saying
 * so on stderr, so a test can `kill -9` the process at exactly that point.
 */
export const TEST_STALL_IN_MIGRATION = "SLIPWAY_TEST_STALL_IN_MIGRATION";

function stallForTest(version: number): never {
  writeSync(2, `${TEST_STALL_IN_MIGRATION}: stalled inside migration ${version}\n`);
  // Blocks this thread without spinning; nothing ever notifies it.
  for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}
