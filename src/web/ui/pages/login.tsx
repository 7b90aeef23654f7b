// Log in with a user name and password (`slipway users add`): the server
// answers with a session cookie (HttpOnly) and the CSRF token.
import { useState, type FormEvent, type ReactNode } from "react";
import { api, ApiError } from "../api/client.js";
import type { Session } from "../api/types.js";

export function LoginPage(props: { notice?: string | undefined; onLoggedIn: (session: Session) => void }): ReactNode {
  const [user, setUser] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    api.login(user, password).then(props.onLoggedIn, (err: unknown) => {
      setBusy(false);
      setError(err instanceof ApiError ? err.message : "The server did not answer; is slipway serve running?");
    });
  };

  return (
    <main className="login" id="main">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Slipway</h1>
        {props.notice !== undefined && <p className="notice">{props.notice}</p>}
        <label htmlFor="login-user">User</label>
        <input id="login-user" name="user" autoComplete="username" required autoFocus value={user} onChange={(e) => setUser(e.target.value)} />
        <label htmlFor="login-password">Password</label>
        <input id="login-password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        {error !== undefined && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button" disabled={busy}>
          {busy ? "Logging in…" : "Log in"}
        </button>
        <p className="muted small">
          Users are added on the server's machine: <code>slipway users add &lt;name&gt; --role viewer --password-stdin</code>
        </p>
      </form>
    </main>
  );
}
