// The dashboard: asks the server who is logged in, shows the login page
// until someone is, then the shell with its pages.
import { useEffect, useState, type ReactNode } from "react";
import { api, onUnauthenticated } from "./api/client.js";
import { subscribe } from "./api/events.js";
import type { Session } from "./api/types.js";
import { Shell } from "./components/shell.js";
import { LoginPage } from "./pages/login.js";
import { SessionContext } from "./session.js";

type Gate = { kind: "checking" } | { kind: "logged-out"; reason?: string } | { kind: "logged-in"; session: Session };

export function App(): ReactNode {
  const [gate, setGate] = useState<Gate>({ kind: "checking" });
  useEffect(() => {
    api.session().then(
      (session) => setGate({ kind: "logged-in", session }),
      () => setGate({ kind: "logged-out" }),
    );
    return onUnauthenticated(() => setGate({ kind: "logged-out", reason: "Your session ended; log in again." }));
  }, []);

  // A change to this user (another admin's, through this server) takes effect in the open page: a new role
  // re-reads the session (the actions offered follow it); a removal ends the stream, and the session check sends the page to log in.
  const me = gate.kind === "logged-in" ? gate.session.user : undefined;
  useEffect(() => {
    if (me === undefined) return;
    return subscribe((event) => {
      if ((event.type === "audit.appended" && event["subject"] === `user ${me}`) || event.type === "disconnected") {
        api.session().then(
          (session) => setGate({ kind: "logged-in", session }),
          () => undefined,
        );
      }
    });
  }, [me]);

  if (gate.kind === "checking") return <p className="loading">Loading…</p>;
  if (gate.kind === "logged-out") return <LoginPage notice={gate.reason} onLoggedIn={(session) => setGate({ kind: "logged-in", session })} />;
  const logout = (): void => {
    api.logout().finally(() => setGate({ kind: "logged-out" }));
  };
  return (
    <SessionContext.Provider value={gate.session}>
      <Shell onLogout={logout} />
    </SessionContext.Provider>
  );
}
