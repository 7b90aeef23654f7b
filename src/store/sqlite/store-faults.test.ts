// The state store under contention and crashes, with real SQLite files and
// real processes: several slipway processes writing at once (one of them
// creating the store, so migrations race too) never see "database is
// locked"; a process killed with -9 in the middle of a rollout's state
// writes leaves a store that opens intact with the last committed state; a
// process killed with -9 inside a migration's transaction leaves the store at
// the migration before, intact, and the next open finishes the migrations; a
// full disk (a small tmpfs, when run as root) fails the write with SQLITE_FULL
// and leaves the store intact.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { startRollout } from "../../delivery/strategies/start.js";
import { asSlipwayError } from "../../domain/errors.js";
import { SqliteReleaseStore } from "./release-store.js";
import { SqliteRolloutStore } from "./rollout-store.js";
import Database from "better-sqlite3";
import { migrations } from "./migrations.js";
import { SqliteStore, TEST_STALL_IN_MIGRATION } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "slipway-store-faults-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
/** A slipway-like process: opens the store and writes in a loop (see `mode`). */
const worker = join(dir, "worker.mjs");
writeFileSync(
  worker,
  `import { SqliteStore } from ${JSON.stringify(here("./sqlite-store.js"))};
import { SqliteReleaseStore } from ${JSON.stringify(here("./release-store.js"))};
import { SqliteRolloutStore } from ${JSON.stringify(here("./rollout-store.js"))};
const [path, mode, arg] = process.argv.slice(2);
const store = SqliteStore.open(path);
if (mode === "write") {
  const releases = new SqliteReleaseStore(store.db);
  for (let i = 0; i < Number(arg); i++) {
    store.recordPlatformEvent("worker " + process.pid, "tick", String(i));
    releases.appendAudit({ actor: "worker", action: "tick", subject: String(process.pid), detail: { i } });
  }
  store.close();
} else if (mode === "open") {
  store.close();
} else {
  const rollouts = new SqliteRolloutStore(store.db);
  const base = rollouts.getRollout(arg).state;
  process.stdout.write("ready\\n");
  for (let i = 1; ; i++) rollouts.saveState(arg, { ...base, message: i + ":" + "x".repeat(200000) });
}
`,
);

function run(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; child: ReturnType<typeof spawn> }> {
  const child = spawn(process.execPath, [worker, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr, child })));
}

describe("state store faults", () => {
  it("three processes writing at once, one of them creating the store: no 'database is locked', every write kept, the audit chain whole", async () => {
    const path = join(dir, "contention", "state.db");
    const perProcess = 150;
    const results = await Promise.all([0, 1, 2].map(() => run([path, "write", String(perProcess)])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const store = SqliteStore.open(path);
    try {
      assert.equal((store.db.prepare("SELECT COUNT(*) AS n FROM platform_events WHERE action = 'tick'").get() as { n: number }).n, 3 * perProcess);
      const releases = new SqliteReleaseStore(store.db);
      assert.equal(releases.listAudit().length, 3 * perProcess);
      assert.equal(releases.verifyAudit().ok, true, JSON.stringify(releases.verifyAudit()));
    } finally {
      store.close();
    }
  });

  it("kill -9 in the middle of a rollout's state writes: the store opens intact with a whole state, and the rollout goes on", async () => {
    const path = join(dir, "crash", "state.db");
    const setup = SqliteStore.open(path);
    const state = startRollout({ id: "api-1", service: "api", environment: "prod", strategy: "rolling", targetRevision: "r-aaaa", desiredReplicas: 2, nowMs: 1_000 });
    new SqliteRolloutStore(setup.db).createRollout({ id: "api-1", system: "shop", state, strategy: { rolling: { maxSurge: "25%", maxUnavailable: 0, minReadySeconds: 0, progressDeadlineSeconds: 600, revisionHistoryLimit: 10, scaleDownDelaySeconds: 0 } } });
    setup.close();

    const child = spawn(process.execPath, [worker, path, "save", "api-1"], { stdio: ["ignore", "pipe", "pipe"] });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 400));
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;

    const store = SqliteStore.open(path);
    try {
      assert.equal(store.db.pragma("integrity_check", { simple: true }), "ok");
      const rollouts = new SqliteRolloutStore(store.db);
      const saved = rollouts.getRollout("api-1");
      const message = saved?.state.message ?? "";
      assert.match(message, /^\d+:x{200000}$/, "a whole state, not a torn one");
      console.log(`# killed after ${message.split(":")[0]} state writes; the store opened intact with the last one`);
      rollouts.saveState("api-1", { ...(saved?.state ?? state), message: "resumed" });
      assert.equal(rollouts.getRollout("api-1")?.state.message, "resumed");
    } finally {
      store.close();
    }
  });

  it("kill -9 inside a migration: the store opens intact at the migration before, and the next open finishes them", async () => {
    const path = join(dir, "migration", "state.db");
    const latest = Math.max(...migrations.map((m) => m.version));
    const killedIn = latest - 1; // A real migration that creates tables, with one more after it.
    const setup = SqliteStore.open(path, migrations.filter((m) => m.version < killedIn - 1));
    setup.recordPlatformEvent("test", "before-the-upgrade", "kept");
    setup.close();

    // The upgrade: a slipway process opening the store applies migration killedIn - 1, then stalls inside killedIn.
    const child = spawn(process.execPath, [worker, path, "open"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, [TEST_STALL_IN_MIGRATION]: String(killedIn) } });
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes(`stalled inside migration ${killedIn}`)) resolve();
      });
      child.once("exit", (code) => reject(new Error(`the worker exited (${code}) before stalling:\n${stderr}`)));
    });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;

    // Read as it is, without migrating: intact, at killedIn - 1, nothing of killedIn.
    const raw = new Database(path, { readonly: true });
    try {
      assert.equal(raw.pragma("integrity_check", { simple: true }), "ok");
      assert.equal((raw.prepare("SELECT MAX(version) AS v FROM schema_migrations").get() as { v: number }).v, killedIn - 1);
      const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      const killedTables = [...(migrations.find((m) => m.version === killedIn)?.sql ?? "").matchAll(/CREATE TABLE (\w+)/g)].map((x) => x[1] ?? "");
      assert.ok(killedTables.length > 0, "the killed migration creates tables");
      for (const table of killedTables) assert.ok(!tables.includes(table), `${table} from the killed migration ${killedIn} is there: ${tables.join(", ")}`);
    } finally {
      raw.close();
    }

    const store = SqliteStore.open(path);
    try {
      assert.deepEqual(store.migration.applied, migrations.map((m) => m.version).filter((v) => v >= killedIn).sort((a, b) => a - b));
      assert.equal(store.migration.version, latest);
      assert.equal(store.db.pragma("integrity_check", { simple: true }), "ok");
      assert.equal((store.db.prepare("SELECT detail FROM platform_events WHERE action = 'before-the-upgrade'").get() as { detail: string }).detail, "kept");
      console.log(`# killed inside migration ${killedIn}: the store opened intact at ${killedIn - 1}; the next open applied ${store.migration.applied.join(", ")}`);
    } finally {
      store.close();
    }
  });

  const root = process.getuid?.() === 0;
  it("a full disk: the write fails as WRITE_FAILED (SQLITE_FULL), and the store opens intact with what was committed", { skip: root ? false : "mounting a small tmpfs needs root" }, () => {
    const mount = join(dir, "full");
    mkdirSync(mount);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mount]);
    try {
      const path = join(mount, "state.db");
      const store = SqliteStore.open(path);
      let written = 0;
      const fault = (() => {
        try {
          for (;;) {
            store.recordPlatformEvent("filler", "fill", "x".repeat(16_384));
            written++;
          }
        } catch (err) {
          return err;
        }
      })();
      store.close();
      const wrapped = asSlipwayError(fault);
      console.log(`# ${written} writes fitted; then: ${wrapped.code}: ${wrapped.message}`);
      assert.equal(wrapped.code, "WRITE_FAILED");
      assert.match(wrapped.message, /no space left on the device/);
      const again = SqliteStore.open(path);
      try {
        assert.equal(again.db.pragma("integrity_check", { simple: true }), "ok");
        assert.equal((again.db.prepare("SELECT COUNT(*) AS n FROM platform_events WHERE action = 'fill'").get() as { n: number }).n, written);
      } finally {
        again.close();
      }
    } finally {
      execFileSync("umount", [mount]);
    }
  });
});
