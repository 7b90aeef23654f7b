// Promote, pause, resume, abort, roll back: offered only to a role that may
// (deployer and up; the server refuses the rest anyway), each confirmed in
// a dialog before it is sent. The page follows the result on the stream.
import { useState, type ReactNode } from "react";
import { api, ApiError } from "../api/client.js";
import type { RolloutAnswer } from "../api/types.js";
import { roleAtLeast, useSession } from "../session.js";
import { ConfirmDialog } from "./confirm-dialog.js";

type Action = "promote" | "pause" | "resume" | "abort" | "retry" | "rollback";

const WHAT: Record<Action, { label: string; explain: string; danger?: boolean }> = {
  promote: { label: "Promote", explain: "Go on to the next step now (a pause or an inconclusive analysis is passed)." },
  pause: { label: "Pause", explain: "Hold the rollout where it is: nothing moves until it is resumed (a failing analysis still aborts)." },
  resume: { label: "Resume", explain: "Let the rollout go on from where it was paused." },
  abort: { label: "Abort", explain: "Stop the rollout and send all traffic back to the stable revision.", danger: true },
  retry: { label: "Retry", explain: "Start the aborted rollout again from its first step, with fresh analyses." },
  rollback: { label: "Roll back", explain: "Abort what is in flight, or return to the last revision that served healthily.", danger: true },
};

export function availableActions(rollout: RolloutAnswer["rollout"]): Action[] {
  if (rollout.finished) return rollout.outcome === "aborted" ? ["retry", "rollback"] : ["rollback"];
  return [rollout.state.userPaused ? "resume" : "pause", "promote", "abort", "rollback"];
}

export function RolloutActions(props: { env: string; service: string; rollout: RolloutAnswer["rollout"]; onDone: () => void }): ReactNode {
  const session = useSession();
  const [asking, setAsking] = useState<Action>();
  const [result, setResult] = useState<{ ok: boolean; text: string }>();
  if (!roleAtLeast(session.role, "deployer")) return null;

  const run = (action: Action): void => {
    setAsking(undefined);
    const call = action === "rollback" ? api.rollback(props.env, props.service) : api.rolloutAction(props.env, props.service, action, action === "abort" ? { reason: `aborted from the dashboard by ${session.user}` } : {});
    call.then(
      () => setResult({ ok: true, text: `${WHAT[action].label}: recorded; the controller carries it out.` }),
      (err: unknown) => setResult({ ok: false, text: err instanceof ApiError ? `${err.code}: ${err.message}` : String(err) }),
    ).finally(props.onDone);
  };

  return (
    <div className="actions" role="group" aria-label="Rollout actions">
      {availableActions(props.rollout).map((action) => (
        <button key={action} type="button" className={`button${WHAT[action].danger === true ? " danger" : ""}`} onClick={() => setAsking(action)}>
          {WHAT[action].label}
        </button>
      ))}
      {result !== undefined && (
        <p className={result.ok ? "small" : "error"} role="status">
          {result.text}
        </p>
      )}
      {asking !== undefined && (
        <ConfirmDialog
          title={`${WHAT[asking].label} ${props.service} in ${props.env}?`}
          body={<p>{WHAT[asking].explain}</p>}
          confirmLabel={WHAT[asking].label}
          danger={WHAT[asking].danger ?? false}
          onConfirm={() => run(asking)}
          onCancel={() => setAsking(undefined)}
        />
      )}
    </div>
  );
}
