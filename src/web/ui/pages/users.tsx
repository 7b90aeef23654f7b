// Users (admins): who may use this server with which role, and the API
// tokens — add, remove a user or change their role (confirmed first), create a token (shown once, here, and never again:
// the server keeps only its hash), revoke one (confirmed first). Everyone
// else is told the server's refusal; the navigation offers the page to
// admins only.
import { useState, type ReactNode } from "react";
import { failureText } from "../api/client.js";
import { pagesApi, type CreatedToken, type TokenRow, type UserRow } from "../api/pages-api.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { useLiveData } from "../hooks/use-live-data.js";
import { useUserChanges } from "./user-changes.js";
import { AddUserForm, CreateTokenForm } from "./users-forms.js";
import "./pages.css";

const load = async (): Promise<{ users: UserRow[]; tokens: TokenRow[] }> => {
  const [users, tokens] = await Promise.all([pagesApi.users(), pagesApi.tokens()]);
  return { users: users.users, tokens: tokens.tokens };
};

const when = (iso: string | undefined): string => (iso === undefined ? "—" : iso.slice(0, 19).replace("T", " "));

export function UsersPage(): ReactNode {
  // Another admin's change (or the CLI's, through this server) arrives as an audit entry.
  const { data, error, reload } = useLiveData(load, (e) => e.type === "audit.appended" && /^(user|token) /.test(String(e["subject"] ?? "")));
  const [created, setCreated] = useState<CreatedToken>();
  if (error !== undefined && data === undefined)
    return (
      <section>
        <h1>Users and API tokens</h1>
        <p className="error" role="alert">
          Could not load the users: {error}
        </p>
      </section>
    );
  if (data === undefined) return <p className="loading">Loading the users…</p>;
  return (
    <section className="users-page">
      <h1>Users and API tokens</h1>
      <h2 id="users-title">Users</h2>
      <UsersTable users={data.users} tokens={data.tokens} onChanged={reload} />
      <AddUserForm onAdded={reload} />
      <h2 id="tokens-title">API tokens</h2>
      {created !== undefined && <NewToken token={created} onDone={() => setCreated(undefined)} />}
      <TokensTable tokens={data.tokens} onRevoked={reload} />
      <CreateTokenForm
        users={data.users}
        onCreated={(token) => {
          setCreated(token);
          reload();
        }}
      />
    </section>
  );
}

function UsersTable({ users, tokens, onChanged }: { users: readonly UserRow[]; tokens: readonly TokenRow[]; onChanged: () => void }): ReactNode {
  const changes = useUserChanges(tokens, onChanged);
  return (
    <>
      {changes.outcome}
      <div className="table-scroll">
        <table className="data" aria-labelledby="users-title">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Role</th>
              <th scope="col">Logs in with</th>
              <th scope="col">Added (UTC)</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.name}>
                <th scope="row">{u.name}</th>
                <td>{u.role}</td>
                <td>{u.password ? "password or API token" : "API tokens only"}</td>
                <td className="nowrap">{when(u.createdAt)}</td>
                <td className="nowrap">{changes.buttons(u)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {changes.dialog}
    </>
  );
}

/** The token just created, this once: it cannot be shown again. */
function NewToken({ token, onDone }: { token: CreatedToken; onDone: () => void }): ReactNode {
  return (
    <div className="new-token" role="status" aria-labelledby="new-token-title">
      <h3 id="new-token-title">
        New token {token.id} for {token.user} ({token.role})
      </h3>
      <p>Copy it now: it is shown this once. The server keeps only its hash, so nobody can show it again; if it is lost, revoke it and create another.</p>
      <label className="dialog-field">
        Token
        <input readOnly value={token.token} onFocus={(e) => e.currentTarget.select()} className="token-value" spellCheck={false} />
      </label>
      <button type="button" className="button secondary" onClick={onDone}>
        I have copied it
      </button>
    </div>
  );
}

function TokensTable({ tokens, onRevoked }: { tokens: readonly TokenRow[]; onRevoked: () => void }): ReactNode {
  const [asking, setAsking] = useState<TokenRow>();
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string }>();
  const revoke = async (token: TokenRow): Promise<void> => {
    setAsking(undefined);
    try {
      await pagesApi.revokeToken(token.id);
      setOutcome({ ok: true, message: `Revoked ${token.id}: it stopped working at once.` });
      onRevoked();
    } catch (err) {
      setOutcome({ ok: false, message: failureText(err) });
    }
  };
  return (
    <>
      {outcome !== undefined && (
        <p className={outcome.ok ? "good-text" : "error"} role={outcome.ok ? "status" : "alert"}>
          {outcome.message}
        </p>
      )}
      <div className="table-scroll">
        <table className="data" aria-labelledby="tokens-title">
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">User</th>
              <th scope="col">Role</th>
              <th scope="col">Label</th>
              <th scope="col">Created (UTC)</th>
              <th scope="col">Last used (UTC)</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {tokens.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  No API tokens yet.
                </td>
              </tr>
            )}
            {tokens.map((t) => (
              <tr key={t.id}>
                <th scope="row">
                  <code>{t.id}</code>
                </th>
                <td>{t.user}</td>
                <td>{t.role}</td>
                <td>{t.label ?? ""}</td>
                <td className="nowrap">{when(t.createdAt)}</td>
                <td className="nowrap">{when(t.lastUsedAt)}</td>
                <td>
                  {t.revokedAt !== undefined ? (
                    <span className="muted">revoked {when(t.revokedAt)}</span>
                  ) : (
                    <button type="button" className="button danger" onClick={() => setAsking(t)} aria-label={`Revoke ${t.id}`}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {asking !== undefined && (
        <ConfirmDialog
          title={`Revoke ${asking.id}?`}
          body={
            <p>
              The token of {asking.user} ({asking.role}{asking.label === undefined ? "" : `, ${asking.label}`}) stops working at once; whatever uses it is refused from then on.
            </p>
          }
          confirmLabel="Revoke"
          danger
          onCancel={() => setAsking(undefined)}
          onConfirm={() => void revoke(asking)}
        />
      )}
    </>
  );
}
