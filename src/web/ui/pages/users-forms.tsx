// The Users page's two forms: add a user (a password for the dashboard, or
// none for a user of API tokens only) and create an API token (at most the
// user's role; the server says so when asked for more).
import { useState, type FormEvent, type ReactNode } from "react";
import { failureText } from "../api/client.js";
import { pagesApi, type CreatedToken, type UserRow } from "../api/pages-api.js";
import type { Role } from "../api/types.js";
import { ROLES } from "../session.js";

function RoleSelect({ id, value, onChange }: { id: string; value: Role; onChange: (role: Role) => void }): ReactNode {
  return (
    <select id={id} value={value} onChange={(e) => onChange(e.target.value as Role)}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {r}
        </option>
      ))}
    </select>
  );
}

export function AddUserForm({ onAdded }: { onAdded: () => void }): ReactNode {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string }>();
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    pagesApi
      .addUser({ name: name.trim(), role, ...(password === "" ? {} : { password }) })
      .then(
        () => {
          setOutcome({ ok: true, message: `Added ${name.trim()} as ${role}${password === "" ? " (API tokens only)" : ""}.` });
          setName("");
          setPassword("");
          onAdded();
        },
        (err: unknown) => setOutcome({ ok: false, message: failureText(err) }),
      )
      .finally(() => setBusy(false));
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-labelledby="add-user-title">
      <h3 id="add-user-title">Add a user</h3>
      <label htmlFor="add-user-name">Name</label>
      <input id="add-user-name" required value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" placeholder="e.g. ada@example.com (as in owners)" />
      <label htmlFor="add-user-role">Role</label>
      <RoleSelect id="add-user-role" value={role} onChange={setRole} />
      <label htmlFor="add-user-password">Password (12 or more characters; none: API tokens only)</label>
      <input id="add-user-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
      <button type="submit" className="button" disabled={busy}>
        Add user
      </button>
      {outcome !== undefined && (
        <p className={outcome.ok ? "good-text" : "error"} role={outcome.ok ? "status" : "alert"}>
          {outcome.message}
        </p>
      )}
    </form>
  );
}

export function CreateTokenForm({ users, onCreated }: { users: readonly UserRow[]; onCreated: (token: CreatedToken) => void }): ReactNode {
  const [user, setUser] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [label, setLabel] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const chosen = user === "" ? users[0]?.name ?? "" : user;
  const submit = (e: FormEvent): void => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    pagesApi
      .createToken({ user: chosen, role, ...(label.trim() === "" ? {} : { label: label.trim() }) })
      .then(
        (token) => {
          setLabel("");
          onCreated(token);
        },
        (err: unknown) => setError(failureText(err)),
      )
      .finally(() => setBusy(false));
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-labelledby="create-token-title">
      <h3 id="create-token-title">Create an API token</h3>
      <label htmlFor="token-user">User</label>
      <select id="token-user" value={chosen} onChange={(e) => setUser(e.target.value)}>
        {users.map((u) => (
          <option key={u.name} value={u.name}>
            {u.name} ({u.role})
          </option>
        ))}
      </select>
      <label htmlFor="token-role">Role (at most the user's)</label>
      <RoleSelect id="token-role" value={role} onChange={setRole} />
      <label htmlFor="token-label">Label (optional: where it is used)</label>
      <input id="token-label" value={label} onChange={(e) => setLabel(e.target.value)} autoComplete="off" placeholder="e.g. CI pipeline" />
      <button type="submit" className="button" disabled={busy || chosen === ""}>
        Create token
      </button>
      {error !== undefined && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
