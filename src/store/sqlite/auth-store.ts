// Users, API tokens, browser sessions and failed-login counts in SQLite
// (migration 9). Secrets are never stored: passwords as scrypt hashes,
// tokens and session ids as sha256 digests (the caller hashes).
import type Database from "better-sqlite3";
import type { Role } from "../../domain/roles.js";

export interface UserRecord {
  name: string;
  role: Role;
  passwordHash?: string;
  createdAt: string;
}

export interface TokenRecord {
  id: string;
  user: string;
  role: Role;
  label?: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

export interface SessionRecord {
  user: string;
  csrf: string;
  expiresAt: string;
}

interface UserRow {
  name: string;
  role: Role;
  password_hash: string | null;
  created_at: string;
}

interface TokenRow {
  id: string;
  user: string;
  role: Role;
  label: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const toUser = (r: UserRow): UserRecord => ({ name: r.name, role: r.role, ...(r.password_hash === null ? {} : { passwordHash: r.password_hash }), createdAt: r.created_at });
const toToken = (r: TokenRow): TokenRecord => ({
  id: r.id,
  user: r.user,
  role: r.role,
  ...(r.label === null ? {} : { label: r.label }),
  createdAt: r.created_at,
  ...(r.last_used_at === null ? {} : { lastUsedAt: r.last_used_at }),
  ...(r.revoked_at === null ? {} : { revokedAt: r.revoked_at }),
});

export class SqliteAuthStore {
  constructor(private readonly db: Database.Database) {}

  addUser(user: UserRecord): void {
    this.db.prepare("INSERT INTO users (name, role, password_hash, created_at) VALUES (?, ?, ?, ?)").run(user.name, user.role, user.passwordHash ?? null, user.createdAt);
  }

  setPassword(name: string, passwordHash: string): void {
    this.db.prepare("UPDATE users SET password_hash = ? WHERE name = ?").run(passwordHash, name);
  }

  /** Runs `change` as one IMMEDIATE transaction: a check and the write it allows are not split by another process's write. */
  inWriteTransaction<T>(change: () => T): T {
    return this.db.transaction(change).immediate();
  }

  setRole(name: string, role: Role): void {
    this.db.prepare("UPDATE users SET role = ? WHERE name = ?").run(role, name);
  }

  /** Deletes the user with every token (revoked or not) and session of theirs; a user added later by the same name starts with none. */
  removeUser(name: string): { sessions: number } {
    // Explicit, not only ON DELETE CASCADE: that needs foreign_keys on in whichever connection deletes.
    this.db.prepare("DELETE FROM api_tokens WHERE user = ?").run(name);
    const sessions = this.db.prepare("DELETE FROM sessions WHERE user = ?").run(name).changes;
    this.db.prepare("DELETE FROM login_failures WHERE user = ?").run(name);
    this.db.prepare("DELETE FROM users WHERE name = ?").run(name);
    return { sessions };
  }

  getUser(name: string): UserRecord | undefined {
    const row = this.db.prepare("SELECT * FROM users WHERE name = ?").get(name) as UserRow | undefined;
    return row === undefined ? undefined : toUser(row);
  }

  listUsers(): UserRecord[] {
    return (this.db.prepare("SELECT * FROM users ORDER BY name").all() as UserRow[]).map(toUser);
  }

  countUsers(): number {
    return (this.db.prepare("SELECT count(*) AS n FROM users").get() as { n: number }).n;
  }

  addToken(token: TokenRecord & { tokenHash: string }): void {
    this.db.prepare("INSERT INTO api_tokens (id, user, role, token_hash, label, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(token.id, token.user, token.role, token.tokenHash, token.label ?? null, token.createdAt);
  }

  /** The live token with this hash, and its use stamped. */
  useToken(tokenHash: string, at: string): TokenRecord | undefined {
    const row = this.db.prepare("SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL").get(tokenHash) as TokenRow | undefined;
    if (row === undefined) return undefined;
    this.db.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").run(at, row.id);
    return toToken(row);
  }

  /** Whether a token is still live and its user still there (without stamping its use). */
  isLiveToken(id: string): boolean {
    return this.db.prepare("SELECT 1 FROM api_tokens t JOIN users u ON u.name = t.user WHERE t.id = ? AND t.revoked_at IS NULL").get(id) !== undefined;
  }

  listTokens(): TokenRecord[] {
    return (this.db.prepare("SELECT id, user, role, label, created_at, last_used_at, revoked_at FROM api_tokens ORDER BY created_at").all() as TokenRow[]).map(toToken);
  }

  tokensOf(user: string): TokenRecord[] {
    return (this.db.prepare("SELECT id, user, role, label, created_at, last_used_at, revoked_at FROM api_tokens WHERE user = ? ORDER BY created_at").all(user) as TokenRow[]).map(toToken);
  }

  setTokenRole(id: string, role: Role): void {
    this.db.prepare("UPDATE api_tokens SET role = ? WHERE id = ?").run(role, id);
  }

  revokeToken(id: string, at: string): boolean {
    return this.db.prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(at, id).changes === 1;
  }

  addSession(idHash: string, session: SessionRecord, createdAt: string): void {
    this.db.prepare("INSERT INTO sessions (id_hash, user, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)").run(idHash, session.user, session.csrf, createdAt, session.expiresAt);
  }

  /** The session with this id hash unless it expired (expired ones are deleted). */
  getSession(idHash: string, now: string): SessionRecord | undefined {
    this.db.prepare("DELETE FROM sessions WHERE expires_at <= ?").run(now);
    const row = this.db.prepare("SELECT user, csrf, expires_at FROM sessions WHERE id_hash = ?").get(idHash) as { user: string; csrf: string; expires_at: string } | undefined;
    return row === undefined ? undefined : { user: row.user, csrf: row.csrf, expiresAt: row.expires_at };
  }

  /** Whether a session is live and its user still there (reads only). */
  isLiveSession(idHash: string, now: string): boolean {
    return this.db.prepare("SELECT 1 FROM sessions s JOIN users u ON u.name = s.user WHERE s.id_hash = ? AND s.expires_at > ?").get(idHash, now) !== undefined;
  }

  deleteSession(idHash: string): void {
    this.db.prepare("DELETE FROM sessions WHERE id_hash = ?").run(idHash);
  }

  loginFailures(user: string): { failures: number; lastFailed: string } | undefined {
    const row = this.db.prepare("SELECT failures, last_failed FROM login_failures WHERE user = ?").get(user) as { failures: number; last_failed: string } | undefined;
    return row === undefined ? undefined : { failures: row.failures, lastFailed: row.last_failed };
  }

  recordLoginFailure(user: string, at: string): number {
    this.db.prepare("INSERT INTO login_failures (user, failures, last_failed) VALUES (?, 1, ?) ON CONFLICT (user) DO UPDATE SET failures = failures + 1, last_failed = excluded.last_failed").run(user, at);
    return (this.loginFailures(user) as { failures: number }).failures;
  }

  clearLoginFailures(user: string): void {
    this.db.prepare("DELETE FROM login_failures WHERE user = ?").run(user);
  }
}
