// Authentication for `slipway serve`: users (scrypt-hashed passwords), API
// tokens (256 random bits, kept as sha256, shown once), browser sessions
// (an HttpOnly cookie's id kept as sha256, with a CSRF token) and failed
// logins slowed down. Every change is written to the hash-chained audit log.
import { createHash, randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { SlipwayError } from "../domain/errors.js";
import { lowerRole, type Role } from "../domain/roles.js";
import { checkUserChange, parseRole, tokensToCap } from "../domain/user-changes.js";
import type { Identity } from "../release/identity.js";
import { SqliteAuthStore, type TokenRecord, type UserRecord } from "../store/sqlite/auth-store.js";
import { SqliteReleaseStore } from "../store/sqlite/release-store.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { storePath } from "../store/store-path.js";
import { loadSystem } from "../config/load-system.js";

/** Who is calling, once authenticated. */
export interface Principal {
  name: string;
  role: Role;
  via: "token" | "session";
  /** The token's id (never the token), for the audit log. */
  tokenId?: string;
}

export function identityOf(principal: Principal): Identity {
  return { name: principal.name, source: principal.via === "token" ? "slipway serve token" : "slipway serve session" };
}

const SESSION_HOURS = 12;
const TOKEN_PREFIX = "slw_";
/** scrypt cost: N=2^15, r=8 (~32 MiB, tens of ms), as OWASP suggests for interactive logins. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
/** Failed logins of a name beyond this many wait before the next try: 1 s, doubling, at most 60 s. */
const FREE_FAILURES = 2;
const MAX_WAIT_MS = 60_000;

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCallback(password, salt, 32, options, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, SCRYPT);
  return `scrypt$${SCRYPT.N}$${SCRYPT.r}$${SCRYPT.p}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split("$");
  if (scheme !== "scrypt" || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, "base64");
  const actual = await scrypt(password, Buffer.from(salt, "base64"), { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Compares two secrets in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Password hash of a user nobody has: unknown names cost as much as known ones. */
let decoyHash: Promise<string> | undefined;

export class AuthService {
  private readonly auth: SqliteAuthStore;
  private readonly audit: SqliteReleaseStore;

  constructor(
    store: SqliteStore,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.auth = new SqliteAuthStore(store.db);
    this.audit = new SqliteReleaseStore(store.db);
  }

  async addUser(actor: Identity, request: { name: string; role: string; password?: string }): Promise<UserRecord> {
    const name = request.name.trim();
    if (name === "" || /\s/.test(name)) throw new SlipwayError("USAGE", `user name "${request.name}" must be non-empty without spaces`, { hint: "use the name the release policy knows, e.g. the e-mail in a service's owners" });
    const role = parseRole(request.role, "--role");
    if (this.auth.getUser(name) !== undefined) throw new SlipwayError("USAGE", `user ${name} already exists`, { hint: "`slipway users list` shows the users" });
    if (request.password !== undefined && request.password.length < 12) throw new SlipwayError("USAGE", "the password must have at least 12 characters");
    const user: UserRecord = { name, role, ...(request.password === undefined ? {} : { passwordHash: await hashPassword(request.password) }), createdAt: this.now().toISOString() };
    this.auth.addUser(user);
    this.audit.appendAudit({ actor: actor.name, action: "user-added", subject: name, detail: { role, password: request.password !== undefined } });
    return user;
  }

  /**
   * Removes a user: their API tokens and browser sessions end with them, at
   * once (the next request is refused). The last admin cannot be removed.
   */
  removeUser(actor: Identity, name: string): { name: string; role: Role; tokensRevoked: string[]; sessionsEnded: number } {
    return this.auth.inWriteTransaction(() => {
      const user = checkUserChange(this.auth.listUsers(), { kind: "remove", name });
      const tokensRevoked = this.auth.tokensOf(name).flatMap((t) => (t.revokedAt === undefined ? [t.id] : []));
      const { sessions } = this.auth.removeUser(name);
      this.audit.appendAudit({ actor: actor.name, action: "user-removed", subject: name, detail: { role: user.role, tokensRevoked, sessionsEnded: sessions } });
      return { name, role: user.role, tokensRevoked, sessionsEnded: sessions };
    });
  }

  /**
   * Gives a user another role, for their sessions from their next request.
   * A demotion caps their live tokens at the new role (kept so: promoting
   * the user again does not raise them back). The last admin cannot be demoted.
   */
  setRole(actor: Identity, request: { name: string; role: string }): { name: string; from: Role; to: Role; tokensCapped: string[] } {
    const role = parseRole(request.role, "--role");
    return this.auth.inWriteTransaction(() => {
      const user = checkUserChange(this.auth.listUsers(), { kind: "set-role", name: request.name, role });
      if (user.role === role) return { name: user.name, from: role, to: role, tokensCapped: [] };
      const capped = tokensToCap(this.auth.tokensOf(user.name), role);
      this.auth.setRole(user.name, role);
      for (const t of capped) this.auth.setTokenRole(t.id, t.to);
      this.audit.appendAudit({ actor: actor.name, action: "user-role-changed", subject: user.name, detail: { from: user.role, to: role, tokensCapped: capped.map((t) => ({ id: t.id, from: t.from })) } });
      return { name: user.name, from: user.role, to: role, tokensCapped: capped.map((t) => t.id) };
    });
  }

  listUsers(): (Omit<UserRecord, "passwordHash"> & { password: boolean })[] {
    return this.auth.listUsers().map(({ passwordHash, ...user }) => ({ ...user, password: passwordHash !== undefined }));
  }

  hasUsers(): boolean {
    return this.auth.countUsers() > 0;
  }

  /** A new API token for `user`, at most the user's role. The token itself is returned once and never stored. */
  createToken(actor: Identity, request: { user: string; role: string; label?: string }): { token: string; record: TokenRecord } {
    const user = this.auth.getUser(request.user);
    if (user === undefined) throw new SlipwayError("USAGE", `there is no user ${request.user}`, { hint: `\`slipway users add ${request.user} --role ${request.role}\` first` });
    const role = parseRole(request.role, "--role");
    if (lowerRole(role, user.role) !== role) throw new SlipwayError("USAGE", `${user.name} is a ${user.role}: a token cannot hold the ${role} role`, { hint: `create it with --role ${user.role} or lower` });
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    const record: TokenRecord = { id: `tok_${randomBytes(6).toString("hex")}`, user: user.name, role, ...(request.label === undefined ? {} : { label: request.label }), createdAt: this.now().toISOString() };
    this.auth.addToken({ ...record, tokenHash: sha256(token) });
    this.audit.appendAudit({ actor: actor.name, action: "token-created", subject: record.id, detail: { user: user.name, role } });
    return { token, record };
  }

  listTokens(): TokenRecord[] {
    return this.auth.listTokens();
  }

  revokeToken(actor: Identity, id: string): void {
    if (!this.auth.revokeToken(id, this.now().toISOString())) throw new SlipwayError("USAGE", `there is no live token ${id}`, { hint: "`slipway token list` shows them" });
    this.audit.appendAudit({ actor: actor.name, action: "token-revoked", subject: id, detail: {} });
  }

  /** The principal of a bearer token; undefined for an unknown or revoked one. A token never outranks its user's current role. */
  authenticateToken(token: string): Principal | undefined {
    if (!token.startsWith(TOKEN_PREFIX)) return undefined;
    const record = this.auth.useToken(sha256(token), this.now().toISOString());
    const user = record === undefined ? undefined : this.auth.getUser(record.user);
    if (record === undefined || user === undefined) return undefined;
    return { name: user.name, role: lowerRole(record.role, user.role), via: "token", tokenId: record.id };
  }

  /**
   * Checks a password. After FREE_FAILURES failures a name must wait (1 s,
   * doubling, at most 60 s) before the next try is even checked: `retryAfterMs`.
   */
  async login(name: string, password: string): Promise<{ kind: "ok"; sessionId: string; csrf: string; principal: Principal; expiresAt: string } | { kind: "refused"; retryAfterMs?: number }> {
    const now = this.now();
    const failures = this.auth.loginFailures(name);
    if (failures !== undefined && failures.failures > FREE_FAILURES) {
      const wait = Math.min(1000 * 2 ** (failures.failures - FREE_FAILURES - 1), MAX_WAIT_MS);
      const left = Date.parse(failures.lastFailed) + wait - now.getTime();
      if (left > 0) return { kind: "refused", retryAfterMs: left };
    }
    const user = this.auth.getUser(name);
    decoyHash ??= hashPassword(randomBytes(16).toString("hex"));
    const ok = await verifyPassword(password, user?.passwordHash ?? (await decoyHash));
    if (!ok || user?.passwordHash === undefined) {
      this.auth.recordLoginFailure(name, now.toISOString());
      this.audit.appendAudit({ actor: name, action: "login-failed", subject: name, detail: {} });
      return { kind: "refused" };
    }
    this.auth.clearLoginFailures(name);
    const sessionId = randomBytes(32).toString("base64url");
    const csrf = randomBytes(32).toString("base64url");
    const expiresAt = new Date(now.getTime() + SESSION_HOURS * 3600_000).toISOString();
    this.auth.addSession(sha256(sessionId), { user: user.name, csrf, expiresAt }, now.toISOString());
    this.audit.appendAudit({ actor: user.name, action: "login", subject: user.name, detail: {} });
    return { kind: "ok", sessionId, csrf, principal: { name: user.name, role: user.role, via: "session" }, expiresAt };
  }

  /** The principal and CSRF token of a live session. */
  authenticateSession(sessionId: string): { principal: Principal; csrf: string } | undefined {
    const session = this.auth.getSession(sha256(sessionId), this.now().toISOString());
    const user = session === undefined ? undefined : this.auth.getUser(session.user);
    if (session === undefined || user === undefined) return undefined;
    return { principal: { name: user.name, role: user.role, via: "session" }, csrf: session.csrf };
  }

  /** Whether what a principal authenticated with still holds: the token live, the session not ended, the user not removed (an open event stream asks before each write). */
  stillAuthenticated(principal: Principal, sessionId: string | undefined): boolean {
    if (principal.via === "token") return principal.tokenId !== undefined && this.auth.isLiveToken(principal.tokenId);
    return sessionId !== undefined && this.auth.isLiveSession(sha256(sessionId), this.now().toISOString());
  }

  logout(sessionId: string, principal: Principal): void {
    this.auth.deleteSession(sha256(sessionId));
    this.audit.appendAudit({ actor: principal.name, action: "logout", subject: principal.name, detail: {} });
  }

  sameSecret(a: string, b: string): boolean {
    return sameSecret(a, b);
  }

  /** Writes a mutating API call to the audit log, with who made it. */
  recordCall(principal: Principal, call: { method: string; path: string; status: number; subject: string; detail?: Record<string, unknown> }): void {
    this.audit.appendAudit({
      actor: principal.name,
      action: `api ${call.method} ${call.status < 400 ? "ok" : "refused"}`,
      subject: call.subject,
      detail: { path: call.path, status: call.status, role: principal.role, via: principal.via, ...(principal.tokenId === undefined ? {} : { token: principal.tokenId }), ...call.detail },
    });
  }
}

/** Runs `use` with the system's users and tokens (for `slipway users` and `slipway token`). */
export async function withAuth<T>(config: string, use: (auth: AuthService) => Promise<T> | T): Promise<T> {
  const system = await loadSystem(config);
  const store = SqliteStore.open(storePath(system));
  try {
    return await use(new AuthService(store));
  } finally {
    store.close();
  }
}
