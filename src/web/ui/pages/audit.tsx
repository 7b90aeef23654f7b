// Audit: the newest entries of the hash-chained audit log, and whether the
// whole chain verifies (an edited, deleted or reordered row breaks it),
// refreshed as entries are appended.
import type { ReactNode } from "react";
import { pagesApi } from "../api/pages-api.js";
import { useLiveData } from "../hooks/use-live-data.js";
import "./pages.css";

const load = async (): Promise<{ entries: Awaited<ReturnType<typeof pagesApi.audit>>["entries"]; verification: Awaited<ReturnType<typeof pagesApi.verifyAudit>> }> => {
  const [log, verification] = await Promise.all([pagesApi.audit(), pagesApi.verifyAudit()]);
  return { entries: log.entries, verification };
};

export function AuditPage(): ReactNode {
  const { data, error } = useLiveData(load, (e) => e.type === "audit.appended" || e.type === "release.changed");
  if (error !== undefined && data === undefined)
    return (
      <p className="error" role="alert">
        Could not load the audit log: {error}
      </p>
    );
  if (data === undefined) return <p className="loading">Loading the audit log…</p>;
  const { entries, verification } = data;
  return (
    <section className="audit-page">
      <h1>Audit log</h1>
      {verification.ok ? (
        <p className="verdict good" role="status">
          ✓ Hash chain verified: all {verification.entries} entries intact.
        </p>
      ) : (
        <div className="verdict bad" role="alert">
          <p>✗ The hash chain does not verify: the log was changed after it was written.</p>
          <ul>
            {verification.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
        </div>
      )}
      <p className="muted small">The newest {entries.length} entries, newest first. Live.</p>
      <div className="table-scroll">
        <table className="data audit">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">When (UTC)</th>
              <th scope="col">Who</th>
              <th scope="col">Action</th>
              <th scope="col">Subject</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td>
                <td className="nowrap">{e.at.slice(0, 19).replace("T", " ")}</td>
                <td>{e.actor}</td>
                <td className={/refused|failed|rejected/.test(e.action) ? "bad-text" : undefined}>{e.action}</td>
                <td>{e.subject}</td>
                <td>
                  <code className="detail">{Object.keys(e.detail).length === 0 ? "" : JSON.stringify(e.detail)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
