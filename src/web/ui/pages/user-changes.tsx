// A user row's Change role and Remove, each confirmed in a dialog that says
// what follows (the tokens capped or ended, the sessions ended); the
// server's answer, or its refusal (the last admin, say), is shown above
// the users table.
import { useState, type ReactNode } from "react";
import { failureText } from "../api/client.js";
import { pagesApi, type TokenRow, type UserRow } from "../api/pages-api.js";
import type { Role } from "../api/types.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { liveTokensOf, removalConsequence, roleChangeConsequence, tokensCappedBy } from "../../model/user-changes.js";
import { ROLES, roleAtLeast } from "../session.js";

type Asking = { kind: "remove"; user: UserRow } | { kind: "role"; user: UserRow };
type Outcome = { ok: boolean; message: string };

const atLeast = (a: string, b: string): boolean => roleAtLeast(a as Role, b as Role);
const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;

/** The change dialogs of the users table, and what the last change did. */
export function useUserChanges(tokens: readonly TokenRow[], onChanged: () => void): { buttons: (user: UserRow) => ReactNode; dialog: ReactNode; outcome: ReactNode } {
  const [asking, setAsking] = useState<Asking>();
  const [role, setRole] = useState<Role>("viewer");
  const [outcome, setOutcome] = useState<Outcome>();

  const send = async (run: () => Promise<string>): Promise<void> => {
    setAsking(undefined);
    try {
      setOutcome({ ok: true, message: await run() });
      onChanged();
    } catch (err) {
      setOutcome({ ok: false, message: failureText(err) });
    }
  };
  const remove = (user: UserRow): Promise<void> =>
    send(async () => {
      const { removed } = await pagesApi.removeUser(user.name);
      return `Removed ${removed.name}: ${plural(removed.tokensRevoked.length, "API token")} revoked, ${plural(removed.sessionsEnded, "session")} ended.`;
    });
  const changeRole = (user: UserRow, to: Role): Promise<void> =>
    send(async () => {
      const { changed } = await pagesApi.setRole(user.name, to);
      const capped = changed.tokensCapped.length === 0 ? "" : `; ${plural(changed.tokensCapped.length, "API token")} capped at ${changed.to}`;
      return changed.from === changed.to ? `${changed.name} already has the ${changed.to} role.` : `${changed.name} is now a ${changed.to} (was ${changed.from})${capped}.`;
    });

  const buttons = (user: UserRow): ReactNode => (
    <span className="row-actions">
      <button
        type="button"
        className="button secondary"
        aria-label={`Change the role of ${user.name}`}
        onClick={() => {
          setRole(user.role);
          setAsking({ kind: "role", user });
        }}
      >
        Change role
      </button>
      <button type="button" className="button danger" aria-label={`Remove ${user.name}`} onClick={() => setAsking({ kind: "remove", user })}>
        Remove
      </button>
    </span>
  );

  let dialog: ReactNode = null;
  if (asking?.kind === "remove") {
    const user = asking.user;
    dialog = (
      <ConfirmDialog
        title={`Remove ${user.name}?`}
        body={<p>{removalConsequence(user.name, liveTokensOf(tokens, user.name))}</p>}
        confirmLabel="Remove"
        danger
        onCancel={() => setAsking(undefined)}
        onConfirm={() => void remove(user)}
      />
    );
  } else if (asking?.kind === "role") {
    const user = asking.user;
    dialog = (
      <ConfirmDialog
        title={`Change the role of ${user.name}?`}
        body={
          <>
            <label className="dialog-field">
              New role (now {user.role})
              <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </select>
            </label>
            <p>{roleChangeConsequence(user.name, user.role, role, tokensCappedBy(tokens, user.name, role, atLeast))}</p>
          </>
        }
        confirmLabel="Change role"
        onCancel={() => setAsking(undefined)}
        onConfirm={() => void changeRole(user, role)}
      />
    );
  }

  const shown =
    outcome === undefined ? null : (
      <p className={outcome.ok ? "good-text" : "error"} role={outcome.ok ? "status" : "alert"}>
        {outcome.message}
      </p>
    );
  return { buttons, dialog, outcome: shown };
}
