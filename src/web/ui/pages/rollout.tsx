// One service's rollout in one environment: state, the steps with the
// current one highlighted, live weights, traffic charts per revision, the
// analyses with every measurement, and the actions a deployer may take.
import type { ReactNode } from "react";
import { shortDigest } from "../../model/live.js";
import { timeline } from "../../model/steps.js";
import type { RolloutAnswer } from "../api/types.js";
import { AnalysisRuns } from "../components/analysis-runs.js";
import { RolloutActions } from "../components/rollout-actions.js";
import { StatusBadge } from "../components/status-badge.js";
import { StepTimeline } from "../components/step-timeline.js";
import { TrafficBar } from "../components/traffic-bar.js";
import { TrafficCharts } from "../components/traffic-charts.js";
import { useRollout } from "../hooks/use-rollout.js";
import { useTraffic } from "../hooks/use-traffic.js";
import { Link, paths } from "../router.js";

export function RolloutPage({ env, service }: { env: string; service: string }): ReactNode {
  const { answer, eventWeights, error, refetch } = useRollout(env, service);
  const traffic = useTraffic(env, service);
  const heading = (
    <h1>
      {service} <span className="muted">in</span> {env}
    </h1>
  );
  if (answer === undefined)
    return (
      <section>
        {heading}
        {error === undefined ? <p className="loading">Loading the rollout…</p> : <p className="error" role="alert">{error}</p>}
      </section>
    );
  const { rollout } = answer;
  const labelOf = revisionLabeller(answer);
  const latest = traffic?.points[traffic.points.length - 1];
  // The newer of the event stream's split and the last sample of the router.
  const weights = eventWeights !== undefined && (latest === undefined || eventWeights.atMs >= latest.atMs) ? eventWeights.weights : (latest?.weights ?? {});
  // Stable first, then the target, then any other: the bar and the charts keep one order and colour per revision.
  const revisions = [rollout.state.stableRevision, rollout.state.targetRevision, ...answer.revisions.map((r) => r.name)].filter((r, i, all): r is string => r !== undefined && all.indexOf(r) === i);
  const shares = revisions.filter((r) => (weights[r] ?? 0) > 0).map((revision) => ({ label: labelOf(revision), percent: weights[revision] ?? 0 }));

  return (
    <section className="rollout">
      <p className="small">
        <Link to={paths.overview}>← Overview</Link>
      </p>
      {heading}
      <div className="rollout-summary">
        <StatusBadge text={rollout.finished ? (rollout.outcome ?? "finished") : `${rollout.state.phase}${rollout.state.userPaused ? " (paused)" : ""}`} />
        <span>
          {rollout.state.stableRevision === undefined ? "first deployment" : labelOf(rollout.state.stableRevision)} → <strong>{labelOf(rollout.state.targetRevision)}</strong> ({rollout.state.strategy})
        </span>
        <span className="muted small">
          {rollout.id}
          {answer.commandPending ? " · a command waits for the controller" : ""}
        </span>
      </div>
      {rollout.state.message !== undefined && <p className="notice">{rollout.state.message}</p>}
      {rollout.state.pause !== undefined && !rollout.finished && <p className="notice">Paused: {rollout.state.pause.reason}</p>}
      <RolloutActions env={env} service={service} rollout={rollout} onDone={refetch} />
      <h2>Steps</h2>
      <StepTimeline steps={timeline({ strategy: rollout.strategy, state: rollout.state, finished: rollout.finished })} />
      <h2>Weights</h2>
      <div className="weights" data-testid="weights">
        <TrafficBar shares={shares} />
      </div>
      <h2>Traffic by revision</h2>
      <TrafficCharts series={traffic} revisions={revisions.map((name) => ({ name, label: labelOf(name) }))} />
      <h2>Analysis</h2>
      <AnalysisRuns analyses={rollout.state.analyses} measurements={answer.measurements} />
    </section>
  );
}

/** A revision by its version when it has one, else its short digest. */
function revisionLabeller(answer: RolloutAnswer): (revision: string) => string {
  const byName = new Map(answer.revisions.map((r) => [r.name, r]));
  return (revision) => {
    const r = byName.get(revision);
    return r === undefined ? revision : (r.version ?? shortDigest(r.image));
  };
}
