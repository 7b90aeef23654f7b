// Who may do what through `slipway serve`. The roles form a ladder: each
// may do everything the one below may. The release policy still decides
// whose approval counts (an owner of the service, never the requester):
// the approver role only lets a person ask.
export const ROLES = ["viewer", "deployer", "approver", "admin"] as const;
export type Role = (typeof ROLES)[number];

/** What a request needs: read state; deploy, steer and roll back rollouts, request releases; approve releases; manage users and tokens. */
export type Permission = "read" | "deploy" | "approve" | "admin";

const NEEDS: Record<Permission, Role> = { read: "viewer", deploy: "deployer", approve: "approver", admin: "admin" };

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function roleAllows(role: Role, permission: Permission): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(NEEDS[permission]);
}

/** The lower of two roles: a token never grants more than its user holds. */
export function lowerRole(a: Role, b: Role): Role {
  return ROLES.indexOf(a) <= ROLES.indexOf(b) ? a : b;
}

/** The role a permission needs, for error messages. */
export function roleFor(permission: Permission): Role {
  return NEEDS[permission];
}
