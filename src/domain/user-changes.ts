// The rules for removing a user or changing a user's role (pure): the
// server must keep an admin, or nobody could manage users through it
// again; and a token never carries more than its user's role, so a
// demotion caps the user's live tokens at the new role (ADR 32).
import { SlipwayError } from "./errors.js";
import { isRole, lowerRole, ROLES, type Role } from "./roles.js";

export type UserChange = { kind: "remove"; name: string } | { kind: "set-role"; name: string; role: Role };

interface UserRole {
  name: string;
  role: Role;
}

/** A role named on the command line or in a request, or a USAGE error listing the roles. */
export function parseRole(role: string, where: string): Role {
  if (!isRole(role)) throw new SlipwayError("USAGE", `${where} "${role}" is not a role`, { hint: `roles: ${ROLES.join(", ")} (each may do what the one before may)` });
  return role;
}

/**
 * Checks a change against the users there are: the user must exist, and
 * the last admin may be neither removed nor demoted. Returns the user as
 * it is before the change.
 */
export function checkUserChange(users: readonly UserRole[], change: UserChange): UserRole {
  const user = users.find((u) => u.name === change.name);
  if (user === undefined) {
    throw new SlipwayError("USER_NOT_FOUND", `there is no user ${change.name}`, { hint: users.length === 0 ? "no users yet: `slipway users add <name> --role <role>`" : `the users: ${users.map((u) => u.name).join(", ")} (\`slipway users list\`)` });
  }
  const losesAdmin = user.role === "admin" && (change.kind === "remove" || change.role !== "admin");
  if (losesAdmin && users.filter((u) => u.role === "admin").length === 1) {
    const what = change.kind === "remove" ? "removed" : `demoted to ${change.role}`;
    throw new SlipwayError("LAST_ADMIN", `${user.name} is the only admin and cannot be ${what}: nobody could manage users and tokens any more`, {
      hint: `make another user an admin first (\`slipway users set-role <name> --role admin\`, or \`slipway users add <name> --role admin\`), then ${change.kind === "remove" ? "remove" : "demote"} ${user.name}`,
    });
  }
  return user;
}

/** The live tokens a user's new role caps, each with the role it is capped to. */
export function tokensToCap<T extends { id: string; role: Role; revokedAt?: string }>(tokens: readonly T[], role: Role): { id: string; from: Role; to: Role }[] {
  return tokens.filter((t) => t.revokedAt === undefined && lowerRole(t.role, role) !== t.role).map((t) => ({ id: t.id, from: t.role, to: role }));
}
