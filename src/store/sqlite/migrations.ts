// Numbered, append-only schema migrations. Never edit a released one: add the
// next number. Each runs in its own transaction together with its bookkeeping.

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: "platform",
    sql: `
      CREATE TABLE system_info (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
      CREATE TABLE platform_events (
        id         INTEGER PRIMARY KEY,
        at         TEXT NOT NULL,
        component  TEXT NOT NULL,
        action     TEXT NOT NULL,
        detail     TEXT
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: "pipeline-runs",
    sql: `
      CREATE TABLE pipeline_runs (
        id          TEXT PRIMARY KEY,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        commit_sha  TEXT,
        status      TEXT NOT NULL CHECK (status IN ('running', 'passed', 'failed', 'cancelled')),
        duration_ms INTEGER
      ) STRICT;
      CREATE TABLE pipeline_services (
        run_id       TEXT NOT NULL REFERENCES pipeline_runs (id) ON DELETE CASCADE,
        service      TEXT NOT NULL,
        outcome      TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        digest       TEXT,
        refs         TEXT NOT NULL DEFAULT '[]',
        stages       TEXT NOT NULL DEFAULT '[]',
        reasons      TEXT NOT NULL DEFAULT '[]',
        error        TEXT,
        duration_ms  INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (run_id, service)
      ) STRICT;
      CREATE INDEX pipeline_services_by_service ON pipeline_services (service, run_id);
      -- What each pushed content hash was made of, so "affected" can say which file changed.
      CREATE TABLE content_hashes (
        service    TEXT NOT NULL,
        hash       TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        inputs     TEXT NOT NULL,
        PRIMARY KEY (service, hash)
      ) STRICT;
    `,
  },
];
