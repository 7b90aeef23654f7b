// Who is logged in, for every component: the role decides which actions a
// page offers (the server refuses the rest anyway).
import { createContext, useContext } from "react";
import type { Role, Session } from "./api/types.js";

export const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error("useSession outside a logged-in shell");
  return session;
}

/** The same ladder as the server's roles, lowest first: each may do what the one below may. */
export const ROLES: readonly Role[] = ["viewer", "deployer", "approver", "admin"];

export function roleAtLeast(role: Role, needed: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(needed);
}
