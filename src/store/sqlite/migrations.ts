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
  {
    version: 3,
    name: "releases",
    sql: `
      CREATE TABLE releases (
        id                TEXT PRIMARY KEY,
        service           TEXT NOT NULL,
        version           TEXT NOT NULL,
        digest            TEXT NOT NULL,
        change_type       TEXT NOT NULL CHECK (change_type IN ('initial', 'major', 'minor', 'patch', 'prerelease')),
        source_ref        TEXT NOT NULL,
        target_ref        TEXT,
        commit_sha        TEXT,
        run_id            TEXT,
        content_hash      TEXT,
        requested_by      TEXT NOT NULL,
        requested_at      TEXT NOT NULL,
        released_at       TEXT,
        status            TEXT NOT NULL CHECK (status IN ('awaiting-approval', 'released', 'refused')),
        status_detail     TEXT,
        signature_digest  TEXT,
        provenance_digest TEXT
      ) STRICT;
      CREATE INDEX releases_by_service ON releases (service, requested_at);
      -- A version goes to prod once: a second release of it would move the prod tag.
      CREATE UNIQUE INDEX releases_released_version ON releases (service, version) WHERE status = 'released';
      -- NOCASE: "Bob@x" and "bob@x" are one approver, as the release policy compares them.
      CREATE TABLE approvals (
        release_id TEXT NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
        approver   TEXT NOT NULL COLLATE NOCASE,
        at         TEXT NOT NULL,
        comment    TEXT,
        PRIMARY KEY (release_id, approver)
      ) STRICT;
      -- Hash-chained: hash = sha256(prev_hash + canonical JSON of the entry).
      -- system_info 'audit_head' holds the newest seq and hash, written in the
      -- same transaction, so deleting the newest rows shows too.
      CREATE TABLE audit_log (
        seq       INTEGER PRIMARY KEY,
        at        TEXT NOT NULL,
        actor     TEXT NOT NULL,
        action    TEXT NOT NULL,
        subject   TEXT NOT NULL,
        detail    TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 4,
    name: "rollouts",
    sql: `
      -- A revision is a pod template (Kubernetes: a ReplicaSet): image pinned by digest plus the instance template.
      -- number orders the history and is raised when undo makes an old revision current again.
      CREATE TABLE revisions (
        system      TEXT NOT NULL,
        environment TEXT NOT NULL,
        service     TEXT NOT NULL,
        name        TEXT NOT NULL,
        number      INTEGER NOT NULL,
        image       TEXT NOT NULL,
        version     TEXT,
        template    TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        PRIMARY KEY (system, environment, service, name)
      ) STRICT;
      CREATE TABLE rollouts (
        id          TEXT PRIMARY KEY,
        system      TEXT NOT NULL,
        environment TEXT NOT NULL,
        service     TEXT NOT NULL,
        state       TEXT NOT NULL,
        strategy    TEXT NOT NULL,
        finished    INTEGER NOT NULL DEFAULT 0 CHECK (finished IN (0, 1)),
        outcome     TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      ) STRICT;
      CREATE INDEX rollouts_by_service ON rollouts (system, environment, service, created_at);
      -- One rollout in flight per service and environment.
      CREATE UNIQUE INDEX rollouts_one_unfinished ON rollouts (system, environment, service) WHERE finished = 0;
      CREATE TABLE rollout_commands (
        id          INTEGER PRIMARY KEY,
        rollout_id  TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
        command     TEXT NOT NULL,
        queued_at   TEXT NOT NULL,
        consumed_at TEXT
      ) STRICT;
      CREATE TABLE analysis_measurements (
        rollout_id   TEXT NOT NULL REFERENCES rollouts (id) ON DELETE CASCADE,
        key          TEXT NOT NULL,
        measurements TEXT NOT NULL,
        PRIMARY KEY (rollout_id, key)
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: "integration-runs",
    sql: `
      CREATE TABLE integration_runs (
        id          TEXT PRIMARY KEY,
        system      TEXT NOT NULL,
        environment TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('passed', 'failed')),
        -- {"<service>": "sha256:…"}: what was deployed while the tests ran.
        deployed    TEXT NOT NULL,
        results     TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX integration_runs_by_environment ON integration_runs (system, environment, started_at);
    `,
  },
  {
    version: 6,
    name: "verified-attestations",
    sql: `
      -- Attestations of image digests that verified against trust: in slipway.yaml: a cache, the registry holds the originals.
      CREATE TABLE verified_attestations (
        artifact    TEXT PRIMARY KEY,
        digest      TEXT NOT NULL,
        kind        TEXT NOT NULL,
        signer      TEXT NOT NULL,
        key_id      TEXT NOT NULL,
        facts       TEXT NOT NULL,
        verified_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX verified_attestations_by_digest ON verified_attestations (digest);
    `,
  },
  {
    version: 7,
    name: "aborted-images",
    sql: `
      -- Digests whose rollout was aborted in an environment, so a plain deploy does not pick them again.
      -- Written with the rollout's outcome; a later healthy rollout of the digest there deletes the row.
      CREATE TABLE aborted_images (
        system      TEXT NOT NULL,
        environment TEXT NOT NULL,
        service     TEXT NOT NULL,
        digest      TEXT NOT NULL,
        version     TEXT,
        rollout_id  TEXT NOT NULL,
        reason      TEXT,
        aborted_at  TEXT NOT NULL,
        PRIMARY KEY (system, environment, service, digest)
      ) STRICT;
    `,
  },
  {
    version: 8,
    name: "build-outputs",
    sql: `
      -- Untracked files a service's build wrote into its folder (relative to it): left out of its content hash.
      CREATE TABLE build_outputs (
        service     TEXT NOT NULL,
        path        TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        PRIMARY KEY (service, path)
      ) STRICT;
    `,
  },
  {
    version: 9,
    name: "auth",
    sql: `
      -- People who use \`slipway serve\`. password_hash: scrypt, NULL for token-only users.
      CREATE TABLE users (
        name          TEXT PRIMARY KEY,
        role          TEXT NOT NULL CHECK (role IN ('viewer', 'deployer', 'approver', 'admin')),
        password_hash TEXT,
        created_at    TEXT NOT NULL
      ) STRICT;
      -- API tokens: only the sha256 of the token is kept; the token is shown once.
      CREATE TABLE api_tokens (
        id           TEXT PRIMARY KEY,
        user         TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        role         TEXT NOT NULL CHECK (role IN ('viewer', 'deployer', 'approver', 'admin')),
        token_hash   TEXT NOT NULL UNIQUE,
        label        TEXT,
        created_at   TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at   TEXT
      ) STRICT;
      -- Browser sessions, by the sha256 of the cookie's value; csrf is sent back on every mutating request.
      CREATE TABLE sessions (
        id_hash    TEXT PRIMARY KEY,
        user       TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        csrf       TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
      ) STRICT;
      -- Failed logins per user name, to slow guessing down.
      CREATE TABLE login_failures (
        user        TEXT PRIMARY KEY,
        failures    INTEGER NOT NULL,
        last_failed TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 10,
    name: "load-test-runs",
    sql: `
      -- One scenario run by slipway loadtest: what was deployed (service -> digest), the numbers, and each threshold's verdict.
      CREATE TABLE load_test_runs (
        id          TEXT PRIMARY KEY,
        system      TEXT NOT NULL,
        environment TEXT NOT NULL,
        scenario    TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('passed', 'failed')),
        deployed    TEXT NOT NULL,
        measurement TEXT NOT NULL,
        verdicts    TEXT NOT NULL,
        baseline    TEXT,
        report      TEXT,
        started_at  TEXT NOT NULL,
        finished_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX load_test_runs_by_scenario ON load_test_runs (system, scenario, status, started_at);
    `,
  },
  {
    version: 11,
    name: "lock-history",
    sql: `
      -- Who started a rollout and why; group: the promotion (or rollback to a lock) it belongs to, which records one history entry for all of its rollouts.
      CREATE TABLE rollout_origins (
        rollout_id TEXT PRIMARY KEY,
        actor      TEXT NOT NULL,
        action     TEXT NOT NULL,
        group_id   TEXT
      ) STRICT;
      -- Each environment's locks, one entry per change of its set of digests: the resulting lock, what changed, who, when, the result.
      CREATE TABLE lock_history (
        system      TEXT NOT NULL,
        environment TEXT NOT NULL,
        number      INTEGER NOT NULL,
        at          TEXT NOT NULL,
        actor       TEXT NOT NULL,
        action      TEXT NOT NULL,
        result      TEXT NOT NULL,
        detail      TEXT NOT NULL,
        changes     TEXT NOT NULL,
        lock        TEXT NOT NULL,
        group_id    TEXT,
        PRIMARY KEY (system, environment, number)
      ) STRICT;
    `,
  },
  {
    version: 12,
    name: "environment-approvals",
    sql: `
      -- Approvals for one digest of a service to enter one environment (promotion.approvals in slipway.yaml; ADR 19).
      -- NOCASE: "Bob@x" and "bob@x" are one approver, as release approvals compare them.
      CREATE TABLE environment_approvals (
        system      TEXT NOT NULL,
        environment TEXT NOT NULL,
        service     TEXT NOT NULL,
        digest      TEXT NOT NULL,
        approver    TEXT NOT NULL COLLATE NOCASE,
        at          TEXT NOT NULL,
        comment     TEXT,
        PRIMARY KEY (system, environment, service, digest, approver)
      ) STRICT;
    `,
  },
  {
    version: 13,
    name: "compatibility-runs",
    sql: `
      -- One slipway test --mixed: a service at a new digest among the digests a target environment ran (target_lock),
      -- the lock tested (mixed_lock), each test's result and the service pairs a failure points at.
      CREATE TABLE compatibility_runs (
        id          TEXT PRIMARY KEY,
        system      TEXT NOT NULL,
        environment TEXT NOT NULL,
        service     TEXT NOT NULL,
        digest      TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('passed', 'failed')),
        target_lock TEXT NOT NULL,
        mixed_lock  TEXT NOT NULL,
        results     TEXT NOT NULL,
        pairs       TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX compatibility_runs_by_digest ON compatibility_runs (system, service, digest, status, started_at);
    `,
  },
  {
    version: 14,
    name: "rollout-counter-marks",
    sql: `
      -- The router's cumulative counters of the revision a rollout left serving, read when it finished healthy
      -- (JSON: revision, requests, responses5xx, connectionErrors, countersSince, at): a soak's analysis window starts there.
      CREATE TABLE rollout_counter_marks (
        rollout_id TEXT PRIMARY KEY REFERENCES rollouts (id) ON DELETE CASCADE,
        mark       TEXT NOT NULL
      ) STRICT;
    `,
  },
];
