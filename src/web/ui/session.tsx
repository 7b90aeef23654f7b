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

const LADDER: Role[] = ["viewer", "deployer", "approver", "admin"];

/** The same ladder as the server's roles: each may do what the one below may. */
export function roleAtLeast(role: Role, needed: Role): boolean {
  return LADDER.indexOf(role) >= LADDER.indexOf(needed);
}
