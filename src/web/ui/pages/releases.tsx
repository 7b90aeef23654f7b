// Releases: per service, CI's tested build and every release — version,
// digest, commit, CI run, signature status, where it runs — kept live. A
// waiting release shows what holds it back in words; Approve and Reject are
// offered only to those the release policy lets (an owner who did not
// request it approves; an owner rejects), each confirmed before it is sent.
import { useState, type ReactNode } from "react";
import { failureText } from "../api/client.js";
import { pagesApi, type Placement, type ReleaseRow, type ServiceReleases } from "../api/pages-api.js";
import { ConfirmDialog } from "../components/confirm-dialog.js";
import { StatusBadge } from "../components/status-badge.js";
import { useLiveData } from "../hooks/use-live-data.js";
import { Link, paths } from "../router.js";
import { roleAtLeast, useSession } from "../session.js";
import "./pages.css";

const same = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
const short = (digest: string): string => digest.replace(/^sha256:/, "").slice(0, 12);

export function ReleasesPage(): ReactNode {
  const { data, error, reload } = useLiveData(pagesApi.releases, (e) => e.type === "release.changed" || e.type === "rollout.started" || (e.type === "rollout.progress" && (e as { state?: { phase?: string } }).state?.phase !== "progressing"));
  if (error !== undefined && data === undefined)
    return (
      <p className="error" role="alert">
        Could not load the releases: {error}
      </p>
    );
  if (data === undefined) return <p className="loading">Loading the releases…</p>;
  const waiting = data.services.flatMap((s) => s.releases.filter((r) => r.status === "awaiting-approval").map((r) => ({ service: s, release: r })));
  return (
    <section className="releases-page">
      <h1>Releases</h1>
      <p className="muted">Each service's tested build and releases: digest, commit, CI run, signature, and where each runs. Live.</p>
      <h2>Waiting for approval</h2>
      {waiting.length === 0 ? <p className="muted">No release is waiting.</p> : waiting.map(({ service, release }) => <WaitingRelease key={release.id} service={service} release={release} onDone={reload} />)}
      {data.services.map((s) => (
        <ServiceTable key={s.service} row={s} />
      ))}
    </section>
  );
}

function Where({ runsIn }: { runsIn: readonly Placement[] }): ReactNode {
  if (runsIn.length === 0) return <span className="muted">nowhere</span>;
  return (
    <ul className="inline-list">
      {runsIn.map((p) => (
        <li key={`${p.environment}-${p.as}`}>{p.as === "serving" ? p.environment : `${p.environment} (rolling out)`}</li>
      ))}
    </ul>
  );
}

function ServiceTable({ row }: { row: ServiceReleases }): ReactNode {
  return (
    <>
      <h2 id={`service-${row.service}`}>{row.service}</h2>
      <p className="muted small">Owners: {row.owners.length > 0 ? row.owners.join(", ") : "none"}</p>
      <div className="table-scroll">
        <table className="data" aria-labelledby={`service-${row.service}`}>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Digest</th>
              <th scope="col">Commit</th>
              <th scope="col">CI run</th>
              <th scope="col">Signature</th>
              <th scope="col">Runs in</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {row.dev !== undefined && (
              <tr>
                <th scope="row">tested by CI</th>
                <td>
                  <code title={row.dev.digest}>{short(row.dev.digest)}</code>
                </td>
                <td>
                  <code>{(row.dev.commit ?? "—").slice(0, 7)}</code>
                </td>
                <td>{row.dev.runId === "-" ? "—" : <Link to={`${paths.ci}?run=${encodeURIComponent(row.dev.runId)}`}>{row.dev.runId}</Link>}</td>
                <td className="muted">dev registry</td>
                <td>
                  <Where runsIn={row.dev.runsIn} />
                </td>
                <td>{row.dev.integrationRun === undefined ? <span className="muted">no integration test run</span> : `integration tests passed in ${row.dev.integrationRun.environment}`}</td>
              </tr>
            )}
            {row.releases.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  Nothing released yet.
                </td>
              </tr>
            )}
            {row.releases.map((r) => (
              <tr key={r.id}>
                <th scope="row">{r.version}</th>
                <td>
                  <code title={r.digest}>{short(r.digest)}</code>
                </td>
                <td>
                  <code>{(r.commit ?? "—").slice(0, 7)}</code>
                </td>
                <td>{r.runId === undefined ? "—" : <Link to={`${paths.ci}?run=${encodeURIComponent(r.runId)}`}>{r.runId}</Link>}</td>
                <td>
                  <StatusBadge text={r.signature === "-" ? "not signed yet" : r.signature === "verified" ? "successful: verified" : r.signature} />
                </td>
                <td>
                  <Where runsIn={r.runsIn} />
                </td>
                <td>
                  {r.state}
                  {r.status === "refused" && r.statusDetail !== undefined && <div className="muted small">{r.statusDetail}</div>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

type Asking = { kind: "approve" } | { kind: "reject" };

function WaitingRelease({ service, release, onDone }: { service: ServiceReleases; release: ReleaseRow; onDone: () => void }): ReactNode {
  const session = useSession();
  const [asking, setAsking] = useState<Asking>();
  const [text, setText] = useState("");
  const [outcome, setOutcome] = useState<{ ok: boolean; message: string }>();
  const [busy, setBusy] = useState(false);
  const approval = release.approval;
  const mayAct = roleAtLeast(session.role, "approver");
  const isRequester = same(session.user, release.requestedBy);
  const mayApprove = mayAct && !isRequester && approval !== undefined && (approval.approvers === "anyone" || approval.eligible.some((e) => same(e, session.user))) && !release.approvals.some((a) => same(a, session.user));
  const mayReject = mayAct && service.owners.some((o) => same(o, session.user));
  const titleId = `waiting-${release.id}`;

  const act = async (): Promise<void> => {
    if (asking === undefined) return;
    setBusy(true);
    try {
      if (asking.kind === "approve") await pagesApi.approve(release.id, text.trim());
      else await pagesApi.reject(release.id, text.trim());
      setOutcome({ ok: true, message: asking.kind === "approve" ? `Approved ${release.id}.` : `Rejected ${release.id}.` });
      onDone();
    } catch (err) {
      setOutcome({ ok: false, message: failureText(err) });
    } finally {
      setBusy(false);
      setAsking(undefined);
      setText("");
    }
  };

  return (
    <article className="waiting" aria-labelledby={titleId}>
      <h3 id={titleId}>
        {release.id} <span className="muted small">({release.changeType}, digest <code>{short(release.digest)}</code>)</span>
      </h3>
      <p className="small">
        Requested by <strong>{release.requestedBy}</strong> at {release.requestedAt.slice(0, 19).replace("T", " ")} UTC
        {approval !== undefined && (
          <>
            {" "}
            · approvals {approval.counted}/{approval.needed}
            {release.approvals.length > 0 && <> ({release.approvals.join(", ")})</>}
          </>
        )}
      </p>
      {(release.blockers ?? []).length === 0 ? (
        <p className="good-text">Nothing holds it back: `slipway release {release.service} --version {release.version}` promotes it.</p>
      ) : (
        <ul className="blockers" aria-label={`What holds ${release.id} back`}>
          {(release.blockers ?? []).map((b) => (
            <li key={b.rule + b.message}>
              <strong>{b.message}.</strong> To go ahead: {b.howToSatisfy}. <span className="muted small">({b.rule})</span>
            </li>
          ))}
        </ul>
      )}
      {isRequester && mayAct && <p className="notice">You requested this release, so your approval does not count: another owner ({approval?.eligible.join(", ") || "none yet"}) must approve it.</p>}
      {(mayApprove || mayReject) && (
        <div className="actions">
          {mayApprove && (
            <button type="button" className="button" disabled={busy} onClick={() => setAsking({ kind: "approve" })}>
              Approve
            </button>
          )}
          {mayReject && (
            <button type="button" className="button danger" disabled={busy} onClick={() => setAsking({ kind: "reject" })}>
              Reject
            </button>
          )}
        </div>
      )}
      {outcome !== undefined && (
        <p className={outcome.ok ? "good-text" : "error"} role={outcome.ok ? "status" : "alert"}>
          {outcome.message}
        </p>
      )}
      {asking !== undefined && (
        <ConfirmDialog
          title={asking.kind === "approve" ? `Approve ${release.id}?` : `Reject ${release.id}?`}
          confirmLabel={asking.kind === "approve" ? "Approve" : "Reject"}
          danger={asking.kind === "reject"}
          body={
            <label className="dialog-field">
              {asking.kind === "approve" ? "Comment (optional)" : "Why (the requester and the audit log see it)"}
              <textarea value={text} onChange={(e) => setText(e.target.value)} rows={3} required={asking.kind === "reject"} />
            </label>
          }
          onCancel={() => {
            setAsking(undefined);
            setText("");
          }}
          onConfirm={() => {
            if (asking.kind === "reject" && text.trim() === "") return;
            void act();
          }}
        />
      )}
    </article>
  );
}
