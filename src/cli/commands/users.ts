// `slipway users …` and `slipway token …`: the people and API tokens of
// `slipway serve`, kept in the state store. A token is printed once and
// stored only as its sha256; passwords are read from stdin, never from
// the command line, and stored as scrypt hashes.
import { withAuth } from "../../app/auth.js";
import { SlipwayError } from "../../domain/errors.js";
import { currentIdentity } from "../../release/identity.js";
import type { CommandContext } from "../main.js";
import { paint } from "../output.js";

export async function usersAddCommand({ output, globals }: CommandContext, name: string, opts: { role: string; passwordStdin?: boolean }): Promise<number> {
  const password = opts.passwordStdin === true ? await readPassword() : undefined;
  const user = await withAuth(globals.config, (auth) => auth.addUser(currentIdentity(), { name, role: opts.role, ...(password === undefined ? {} : { password }) }));
  if (globals.json) output.out(JSON.stringify({ user: user.name, role: user.role, password: user.passwordHash !== undefined }));
  else output.out(`${paint(output, "green", "✓")} added ${user.name} (${user.role})${user.passwordHash === undefined ? "; no password: API tokens only (`slipway token create --user " + user.name + " --role " + user.role + "`)" : ""}`);
  return 0;
}

export async function usersListCommand({ output, globals }: CommandContext): Promise<number> {
  const users = await withAuth(globals.config, (auth) => auth.listUsers());
  if (globals.json) output.out(JSON.stringify({ users }));
  else if (users.length === 0) output.out("no users yet; `slipway users add <name> --role <role>` adds one");
  else for (const u of users) output.out(`${u.name.padEnd(32)} ${u.role.padEnd(9)} ${u.password ? "password" : "tokens only"}  since ${u.createdAt.slice(0, 10)}`);
  return 0;
}

export async function usersRemoveCommand({ output, globals }: CommandContext, name: string): Promise<number> {
  const removed = await withAuth(globals.config, (auth) => auth.removeUser(currentIdentity(), name));
  if (globals.json) output.out(JSON.stringify({ removed }));
  else output.out(`${paint(output, "green", "✓")} removed ${removed.name} (${removed.role}); ${count(removed.tokensRevoked.length, "API token")} revoked, ${count(removed.sessionsEnded, "session")} ended`);
  return 0;
}

export async function usersSetRoleCommand({ output, globals }: CommandContext, name: string, opts: { role: string }): Promise<number> {
  const changed = await withAuth(globals.config, (auth) => auth.setRole(currentIdentity(), { name, role: opts.role }));
  if (globals.json) output.out(JSON.stringify({ changed }));
  else if (changed.from === changed.to) output.out(`${changed.name} already has the ${changed.to} role; nothing changed`);
  else output.out(`${paint(output, "green", "✓")} ${changed.name}: ${changed.from} → ${changed.to}${changed.tokensCapped.length === 0 ? "" : `; ${count(changed.tokensCapped.length, "API token")} capped at ${changed.to} (${changed.tokensCapped.join(", ")})`}`);
  return 0;
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;

export async function tokenCreateCommand({ output, globals }: CommandContext, opts: { user: string; role: string; label?: string }): Promise<number> {
  const { token, record } = await withAuth(globals.config, (auth) => auth.createToken(currentIdentity(), opts));
  if (globals.json) output.out(JSON.stringify({ token, id: record.id, user: record.user, role: record.role }));
  else {
    output.out(token);
    output.err(`token ${record.id} for ${record.user} (${record.role}): shown this once, stored only as a hash; use it as SLIPWAY_TOKEN or Authorization: Bearer <token>`);
  }
  return 0;
}

export async function tokenListCommand({ output, globals }: CommandContext): Promise<number> {
  const tokens = await withAuth(globals.config, (auth) => auth.listTokens());
  if (globals.json) output.out(JSON.stringify({ tokens }));
  else for (const t of tokens) output.out(`${t.id}  ${t.user.padEnd(28)} ${t.role.padEnd(9)} ${t.revokedAt ? `revoked ${t.revokedAt.slice(0, 19)}` : `last used ${t.lastUsedAt?.slice(0, 19) ?? "never"}`}${t.label ? `  ${t.label}` : ""}`);
  return 0;
}

export async function tokenRevokeCommand({ output, globals }: CommandContext, id: string): Promise<number> {
  await withAuth(globals.config, (auth) => auth.revokeToken(currentIdentity(), id));
  output.out(`revoked ${id}`);
  return 0;
}

/** The first line of stdin. */
async function readPassword(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString("utf8").split(/\r?\n/)[0] ?? "";
  if (password === "") throw new SlipwayError("USAGE", "--password-stdin read no password", { hint: "e.g. `printf '%s\\n' \"$PASSWORD\" | slipway users add alice --role approver --password-stdin`" });
  return password;
}
