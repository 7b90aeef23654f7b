import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { SlipwayError } from "../../domain/errors.js";
import { migrations } from "./migrations.js";
import { SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("SqliteStore", () => {
  it("applies numbered migrations once, in WAL mode", () => {
    const path = join(dir, "a", "state.db");
    const first = SqliteStore.open(path);
    assert.deepEqual(first.migration.applied, migrations.map((m) => m.version));
    assert.equal(first.db.pragma("journal_mode", { simple: true }), "wal");
    first.recordPlatformEvent("dev registry", "started");
    first.close();

    const second = SqliteStore.open(path);
    assert.deepEqual(second.migration.applied, []);
    assert.equal((second.db.prepare("SELECT COUNT(*) AS n FROM platform_events").get() as { n: number }).n, 1);
    second.close();
  });

  it("applies only the new migrations to an older store", () => {
    const path = join(dir, "b.db");
    SqliteStore.open(path, [{ version: 1, name: "one", sql: "CREATE TABLE one (x INTEGER) STRICT" }]).close();
    const store = SqliteStore.open(path, [
      { version: 1, name: "one", sql: "CREATE TABLE one (x INTEGER) STRICT" },
      { version: 2, name: "two", sql: "CREATE TABLE two (y INTEGER) STRICT" },
    ]);
    assert.deepEqual(store.migration, { version: 2, applied: [2] });
    store.close();
  });

  it("rolls back a failing migration whole", () => {
    const path = join(dir, "c.db");
    assert.throws(
      () => SqliteStore.open(path, [{ version: 1, name: "bad", sql: "CREATE TABLE ok (x INTEGER); CREATE TABLE broken (" }]),
      (err: unknown) => err instanceof SlipwayError && err.code === "STATE_STORE",
    );
    const store = SqliteStore.open(path, [{ version: 1, name: "good", sql: "CREATE TABLE ok (x INTEGER)" }]);
    assert.deepEqual(store.migration.applied, [1]);
    store.close();
  });

  it("refuses a store written by a newer slipway", () => {
    const path = join(dir, "d.db");
    SqliteStore.open(path, [...migrations, { version: 999, name: "future", sql: "SELECT 1" }]).close();
    assert.throws(() => SqliteStore.open(path), /schema 999, newer than this slipway knows/);
  });
});
