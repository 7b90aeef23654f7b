// Asks before an action that changes what serves: a modal <dialog> (the
// browser keeps focus inside it; Escape cancels), focus on Cancel first.
import { useEffect, useRef, type ReactNode } from "react";

export function ConfirmDialog(props: { title: string; body: ReactNode; confirmLabel: string; danger?: boolean; onConfirm: () => void; onCancel: () => void }): ReactNode {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const el = dialog.current;
    if (el !== null && !el.open) el.showModal();
    return () => el?.close();
  }, []);
  return (
    <dialog ref={dialog} className="confirm" aria-labelledby="confirm-title" onCancel={props.onCancel}>
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.body}</div>
      <div className="dialog-buttons">
        <button type="button" className="button secondary" autoFocus onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" className={`button${props.danger === true ? " danger" : ""}`} onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}
