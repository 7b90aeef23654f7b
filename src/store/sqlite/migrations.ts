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
];
