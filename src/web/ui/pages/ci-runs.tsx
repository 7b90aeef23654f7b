// CI runs: the newest runs, and one run's services as its build DAG with
// each stage's state, live from the event stream (ci.* events); a stage's
// log streams into the page while the stage writes it.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { dagColumns } from "../../model/run-dag.js";
import { followStageLog, pagesApi, type RunService, type RunView } from "../api/pages-api.js";
import type { ServerEvent } from "../api/events.js";
import { StatusBadge } from "../components/status-badge.js";
import { useLiveData } from "../hooks/use-live-data.js";
import "./pages.css";

const isCi = (e: ServerEvent): boolean => e.type.startsWith("ci.");
const seconds = (ms: number | undefined): string => (ms === undefined ? "" : ` ${(ms / 1000).toFixed(1)} s`);

function selectedFromUrl(): string | undefined {
  return new URLSearchParams(window.location.search).get("run") ?? undefined;
}

export function CiRunsPage(): ReactNode {
  const runs = useLiveData(pagesApi.runs, (e) => e.type === "ci.run");
  const [chosen, setChosen] = useState<string | undefined>(selectedFromUrl);
  const selected = chosen ?? runs.data?.runs[0]?.id;
  const choose = (id: string): void => {
    setChosen(id);
    window.history.replaceState(null, "", `?run=${encodeURIComponent(id)}`);
  };
  if (runs.error !== undefined && runs.data === undefined)
    return (
      <p className="error" role="alert">
        Could not load the runs: {runs.error}
      </p>
    );
  if (runs.data === undefined) return <p className="loading">Loading the CI runs…</p>;
  return (
    <section className="ci-page">
      <h1>CI runs</h1>
      {runs.data.runs.length === 0 ? (
        <p className="muted">No runs yet: `slipway ci` builds what changed, and its runs show here live.</p>
      ) : (
        <div className="ci-layout">
          <nav aria-label="Runs">
            <ul className="run-list">
              {runs.data.runs.map((r) => (
                <li key={r.id}>
                  <button type="button" className={`run-choice${r.id === selected ? " chosen" : ""}`} aria-pressed={r.id === selected} onClick={() => choose(r.id)}>
                    <code>{r.id}</code> <StatusBadge text={r.status} />
                    <span className="muted small"> {r.commit === undefined ? "" : r.commit.slice(0, 7)}</span>
                  </button>
                </li>
              ))}
            </ul>
          </nav>
          {selected !== undefined && <RunDetail key={selected} runId={selected} />}
        </div>
      )}
    </section>
  );
}

function RunDetail({ runId }: { runId: string }): ReactNode {
  const { data, error } = useLiveData(
    () => pagesApi.run(runId),
    (e) => isCi(e) && e["runId"] === runId,
    [runId],
  );
  const [log, setLog] = useState<{ service: string; stage: string }>();
  if (error !== undefined && data === undefined)
    return (
      <p className="error" role="alert">
        Could not load run {runId}: {error}
      </p>
    );
  if (data === undefined) return <p className="loading">Loading run {runId}…</p>;
  const view = data.view;
  return (
    <div className="run-detail">
      <h2>
        Run <code>{view.id}</code> <StatusBadge text={view.status} />
      </h2>
      <p className="muted small">
        {view.startedAt === undefined ? "" : `started ${view.startedAt.slice(0, 19).replace("T", " ")} UTC`}
        {view.commit === undefined ? "" : ` · commit ${view.commit.slice(0, 7)}`}
        {view.durationMs === undefined ? " · running" : ` · took${seconds(view.durationMs)}`}
      </p>
      <Dag view={view} chosen={log} onChoose={setLog} />
      {log !== undefined && <StageLogPanel key={`${log.service}/${log.stage}`} runId={runId} service={log.service} stage={log.stage} />}
    </div>
  );
}

function Dag({ view, chosen, onChoose }: { view: RunView; chosen?: { service: string; stage: string }; onChoose: (c: { service: string; stage: string }) => void }): ReactNode {
  const byName = new Map(view.services.map((s) => [s.service, s]));
  const columns = dagColumns(view.services);
  return (
    <div className="dag" role="list" aria-label="Services of the run, in build order">
      {columns.map((column, i) => (
        <div className="dag-column" key={i}>
          {column.map((name) => {
            const s = byName.get(name);
            return s === undefined ? null : <ServiceNode key={name} s={s} chosen={chosen} onChoose={onChoose} />;
          })}
        </div>
      ))}
    </div>
  );
}

function ServiceNode({ s, chosen, onChoose }: { s: RunService; chosen?: { service: string; stage: string }; onChoose: (c: { service: string; stage: string }) => void }): ReactNode {
  return (
    <div className="dag-node" role="listitem" aria-label={`${s.service}: ${s.state}`}>
      <div className="dag-node-title">
        <strong>{s.service}</strong> <StatusBadge text={s.state} />
      </div>
      {s.dependsOn.length > 0 && <div className="muted small">after {s.dependsOn.join(", ")}</div>}
      {s.error !== undefined && <div className="error small">{s.error}</div>}
      {s.stages.length === 0 ? (
        <div className="muted small">{s.state === "up-to-date" ? "up to date: nothing to build" : "no stages"}</div>
      ) : (
        <ol className="stages">
          {s.stages.map((st) => {
            const current = chosen?.service === s.service && chosen.stage === st.stage;
            return (
              <li key={st.stage} className={`stage stage-${st.state}`}>
                <button type="button" className="stage-button" aria-pressed={current} disabled={st.state === "pending"} onClick={() => onChoose({ service: s.service, stage: st.stage })} title={st.detail}>
                  <span>{st.stage}</span> <StatusBadge text={st.state} />
                  <span className="muted small">{seconds(st.durationMs)}</span>
                </button>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}

function StageLogPanel({ runId, service, stage }: { runId: string; service: string; stage: string }): ReactNode {
  const [text, setText] = useState("");
  const [state, setState] = useState<"following" | "done" | { error: string }>("following");
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const stop = new AbortController();
    followStageLog(runId, service, stage, (piece) => setText((t) => t + piece), stop.signal).then(
      () => setState("done"),
      (err: unknown) => !stop.signal.aborted && setState({ error: err instanceof Error ? err.message : String(err) }),
    );
    return () => stop.abort();
  }, [runId, service, stage]);
  useEffect(() => {
    const el = pre.current;
    if (el !== null) el.scrollTop = el.scrollHeight;
  }, [text]);
  return (
    <section className="stage-log" aria-label={`${stage} log of ${service}`}>
      <h3>
        {service} · {stage} log {state === "following" ? <span className="badge busy">live</span> : state === "done" ? <span className="badge idle">complete</span> : null}
      </h3>
      {typeof state === "object" && (
        <p className="error" role="alert">
          {state.error}
        </p>
      )}
      <pre ref={pre} tabIndex={0} className="log">
        {text === "" && state === "done" ? "(the stage wrote nothing)" : text}
      </pre>
    </section>
  );
}
