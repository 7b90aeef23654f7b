// A CI run as a person watches it: each service of the run (a node of the
// build DAG, with the services it waits for) and the state of each of its
// stages — folded from the run's journal while it runs, or from the stored
// record of a run that wrote none. Pure.
import type { RunRecord } from "../store/types.js";
import { stages, type PipelineEvent } from "./events.js";

export type StageState = "pending" | "running" | "passed" | "failed" | "skipped" | "cancelled";
export type ServiceState = "queued" | "running" | "built" | "up-to-date" | "failed" | "blocked" | "cancelled";

export interface StageView {
  stage: string;
  state: StageState;
  durationMs?: number;
  /** Why a stage was skipped or failed. */
  detail?: string;
}

export interface ServiceView {
  service: string;
  /** Services of this run it is built after (build.dependsOn). */
  dependsOn: string[];
  state: ServiceState;
  /** Why it is built (what changed). */
  reasons: string[];
  stages: StageView[];
  digest?: string;
  error?: string;
  durationMs?: number;
}

export interface RunView {
  id: string;
  status: "running" | "passed" | "failed" | "cancelled";
  startedAt?: string;
  commit?: string;
  durationMs?: number;
  services: ServiceView[];
}

/** The build DAG: each service's build.dependsOn. */
export type BuildGraph = ReadonlyMap<string, readonly string[]>;

function node(service: string, graph: BuildGraph, state: ServiceState, names: ReadonlySet<string>): ServiceView {
  return { service, dependsOn: (graph.get(service) ?? []).filter((d) => names.has(d)), state, reasons: [], stages: [] };
}

/** The run as its journal tells it so far. */
export function foldJournal(id: string, events: readonly PipelineEvent[], graph: BuildGraph): RunView {
  const view: RunView = { id, status: "running", services: [] };
  const byName = new Map<string, ServiceView>();
  let names = new Set<string>();
  const service = (name: string): ServiceView => {
    let s = byName.get(name);
    if (s === undefined) {
      s = node(name, graph, "queued", names);
      byName.set(name, s);
      view.services.push(s);
    }
    return s;
  };
  const stage = (s: ServiceView, name: string): StageView => {
    let st = s.stages.find((x) => x.stage === name);
    if (st === undefined) {
      st = { stage: name, state: "pending" };
      s.stages.push(st);
    }
    return st;
  };
  for (const event of events) {
    switch (event.type) {
      case "run-started":
        view.startedAt = event.at;
        if (event.commit !== undefined) view.commit = event.commit;
        names = new Set(event.services);
        for (const name of event.services) service(name);
        break;
      case "service-up-to-date":
        Object.assign(service(event.service), { state: "up-to-date", digest: event.digest });
        break;
      case "service-queued": {
        const s = service(event.service);
        s.reasons = event.reasons;
        for (const name of stages) stage(s, name);
        break;
      }
      case "stage-started": {
        const s = service(event.service);
        s.state = "running";
        stage(s, event.stage).state = "running";
        break;
      }
      case "stage-finished": {
        const st = stage(service(event.service), event.stage);
        Object.assign(st, { state: event.status, durationMs: event.durationMs, ...(event.detail === undefined ? {} : { detail: event.detail }) });
        break;
      }
      case "service-finished": {
        const s = service(event.service);
        Object.assign(s, { state: event.outcome, durationMs: event.durationMs, ...(event.digest === undefined ? {} : { digest: event.digest }), ...(event.error === undefined ? {} : { error: event.error }), ...(event.blockedBy === undefined ? {} : { error: `blocked by ${event.blockedBy}` }) });
        // Stages that never started will not: a failure or cancellation ends the service.
        for (const st of s.stages) if (st.state === "pending" && event.outcome !== "built") st.state = "cancelled";
        break;
      }
      case "run-finished":
        view.status = event.outcome;
        view.durationMs = event.durationMs;
        for (const s of view.services) for (const st of s.stages) if (st.state === "running" || st.state === "pending") st.state = "cancelled";
        break;
      default:
        break;
    }
  }
  return view;
}

/** A finished run from its stored record (runs recorded before journals, or whose journal is gone). */
export function fromRecord(run: RunRecord, graph: BuildGraph): RunView {
  const names = new Set(run.services.map((s) => s.service));
  return {
    id: run.id,
    status: run.status,
    startedAt: run.startedAt,
    ...(run.commit === undefined ? {} : { commit: run.commit }),
    ...(run.durationMs === undefined ? {} : { durationMs: run.durationMs }),
    services: run.services.map((s) => ({
      ...node(s.service, graph, s.outcome as ServiceState, names),
      reasons: s.reasons,
      stages: s.stages.map((st) => ({ stage: st.stage, state: st.status as StageState, durationMs: st.durationMs, ...(st.detail === undefined ? {} : { detail: st.detail }) })),
      ...(s.digest === undefined ? {} : { digest: s.digest }),
      ...(s.error === undefined ? {} : { error: s.error }),
      durationMs: s.durationMs,
    })),
  };
}

/** Whether a stage's log may still grow: the stage runs, or has not started, in a run still going. */
export function stageMayGrow(view: RunView, service: string, stage: string): boolean {
  if (view.status !== "running") return false;
  const s = view.services.find((x) => x.service === service);
  if (s === undefined || (s.state !== "queued" && s.state !== "running")) return false;
  const st = s.stages.find((x) => x.stage === stage);
  return st === undefined || st.state === "running" || st.state === "pending";
}
