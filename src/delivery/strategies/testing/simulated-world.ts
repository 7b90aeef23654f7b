// An in-memory runtime + router + analysis runner for planner tests. It
// applies actions the way the controller contract says (types.ts) and throws
// on anything that would fail a request: a weight or preview on a revision
// without a ready instance, or removing the last ready instance of a revision
// that still carries traffic. Time moves only when a test says so.
import type { Action, AnalysisObservation, Observed, ObservedInstance } from "../../types.js";

export interface Behaviour {
  /** After creation; undefined: never ready. */
  readyAfterMs?: number;
  /** After creation; undefined: never exits. */
  exitsAfterMs?: number;
}

export interface AnalysisScriptEntry {
  /** After the run starts. */
  afterMs: number;
  status: "successful" | "failed" | "inconclusive";
  message?: string;
}

interface SimInstance {
  id: string;
  createdAtMs: number;
  readyAtMs?: number;
  exitAtMs?: number;
}

interface SimRevision {
  revision: string;
  number: number;
  behaviour: Behaviour;
  instances: SimInstance[];
}

interface SimRun {
  startedAtMs: number;
  script?: AnalysisScriptEntry;
  stoppedAtMs?: number;
}

export interface WorldSetup {
  nowMs: number;
  /** Oldest first. `running` instances exist already, ready for an hour. */
  revisions: { revision: string; number: number; running?: number; behaviour?: Behaviour }[];
  weights?: Record<string, number>;
  preview?: string;
  /** How each analysis run ends, by key suffix after `a<attempt>-` (e.g. "background", "step-2", "pre-promotion"); unscripted runs keep running. */
  analyses?: Record<string, AnalysisScriptEntry>;
}

export class SimulatedWorld {
  nowMs: number;
  weights: Record<string, number>;
  preview: string | undefined;
  readonly removed: string[] = [];
  readonly created: string[] = [];
  private readonly revisions: SimRevision[];
  private readonly runs = new Map<string, SimRun>();
  private readonly script: Record<string, AnalysisScriptEntry>;
  private nextId = 1;

  constructor(setup: WorldSetup) {
    this.nowMs = setup.nowMs;
    this.weights = { ...(setup.weights ?? {}) };
    this.preview = setup.preview;
    this.script = setup.analyses ?? {};
    this.revisions = setup.revisions.map((r) => ({
      revision: r.revision,
      number: r.number,
      behaviour: r.behaviour ?? { readyAfterMs: 0 },
      instances: Array.from({ length: r.running ?? 0 }, () => ({ id: this.newId(r.revision), createdAtMs: setup.nowMs - 3_600_000, readyAtMs: setup.nowMs - 3_600_000 })),
    }));
  }

  private newId(revision: string): string {
    return `${revision}-i${this.nextId++}`;
  }

  private revision(revision: string): SimRevision {
    const found = this.revisions.find((r) => r.revision === revision);
    if (found === undefined) throw new Error(`the world has no revision ${revision}`);
    return found;
  }

  private live(i: SimInstance): boolean {
    return i.exitAtMs === undefined || i.exitAtMs > this.nowMs;
  }

  private ready(i: SimInstance): boolean {
    return this.live(i) && i.readyAtMs !== undefined && i.readyAtMs <= this.nowMs;
  }

  readyCount(revision: string): number {
    return this.revision(revision).instances.filter((i) => this.ready(i)).length;
  }

  liveCount(revision: string): number {
    return this.revision(revision).instances.filter((i) => this.live(i)).length;
  }

  /** Revisions with live instances, in their order. */
  liveRevisions(): string[] {
    return this.revisions.filter((r) => this.liveCount(r.revision) > 0).map((r) => r.revision);
  }

  observe(): Observed {
    const analyses: Record<string, AnalysisObservation> = {};
    for (const [key, run] of this.runs) {
      const decided = run.script !== undefined && run.startedAtMs + run.script.afterMs <= (run.stoppedAtMs ?? this.nowMs);
      if (decided && run.script !== undefined) {
        const seen: AnalysisObservation = { status: run.script.status };
        if (run.script.message !== undefined) seen.message = run.script.message;
        analyses[key] = seen;
      } else if (run.stoppedAtMs === undefined) {
        analyses[key] = { status: "running" };
      }
    }
    const observed: Observed = {
      nowMs: this.nowMs,
      revisions: this.revisions.map((r) => ({
        revision: r.revision,
        number: r.number,
        image: `registry.test/app@sha256:${r.revision}`,
        instances: r.instances.map((i): ObservedInstance => {
          const instance: ObservedInstance = { id: i.id, phase: this.live(i) ? "running" : "exited", ready: this.ready(i) };
          if (this.ready(i) && i.readyAtMs !== undefined) instance.readySinceMs = i.readyAtMs;
          return instance;
        }),
      })),
      weights: { ...this.weights },
      analyses,
    };
    if (this.preview !== undefined) observed.previewRevision = this.preview;
    return observed;
  }

  apply(action: Action): void {
    switch (action.type) {
      case "scale":
        return this.scale(action.revision, action.replicas);
      case "route":
        return this.route(action.weights, action.preview);
      case "startAnalysis": {
        if (this.runs.has(action.key)) return;
        const suffix = action.key.replace(/^a\d+-/, "");
        const script = this.script[suffix];
        this.runs.set(action.key, { startedAtMs: this.nowMs, ...(script === undefined ? {} : { script }) });
        return;
      }
      case "stopAnalysis": {
        const run = this.runs.get(action.key);
        if (run !== undefined && run.stoppedAtMs === undefined) run.stoppedAtMs = this.nowMs;
        return;
      }
      case "forgetRevisions":
        for (const revision of action.revisions) {
          if (this.liveCount(revision) > 0 || (this.weights[revision] ?? 0) > 0) throw new Error(`forgot ${revision} while it runs or carries traffic`);
          this.revisions.splice(this.revisions.indexOf(this.revision(revision)), 1);
        }
        return;
      case "wait":
      case "complete":
        return;
    }
  }

  private carriesTraffic(revision: string): boolean {
    return (this.weights[revision] ?? 0) > 0 || this.preview === revision;
  }

  private scale(revision: string, replicas: number): void {
    const r = this.revision(revision);
    r.instances = r.instances.filter((i) => this.live(i));
    while (r.instances.length < replicas) {
      const id = this.newId(revision);
      const instance: SimInstance = { id, createdAtMs: this.nowMs };
      if (r.behaviour.readyAfterMs !== undefined) instance.readyAtMs = this.nowMs + r.behaviour.readyAfterMs;
      if (r.behaviour.exitsAfterMs !== undefined) instance.exitAtMs = this.nowMs + r.behaviour.exitsAfterMs;
      r.instances.push(instance);
      this.created.push(id);
    }
    // Not ready first, then newest first: the instances removed are the ones that serve least.
    const victims = [...r.instances]
      .sort((a, b) => Number(this.ready(a)) - Number(this.ready(b)) || b.createdAtMs - a.createdAtMs)
      .slice(0, Math.max(0, r.instances.length - replicas));
    r.instances = r.instances.filter((i) => !victims.includes(i));
    if (victims.length > 0 && this.carriesTraffic(revision) && this.readyCount(revision) === 0) {
      throw new Error(`removed the last ready instance of ${revision} while it carries traffic (weights ${JSON.stringify(this.weights)}, preview ${this.preview ?? "none"})`);
    }
    this.removed.push(...victims.map((v) => v.id));
  }

  private route(weights: Record<string, number>, preview: string | null): void {
    const total = Object.values(weights).reduce((s, w) => s + w, 0);
    if (total !== 100) throw new Error(`weights add up to ${total}`);
    for (const [revision, weight] of Object.entries(weights)) {
      if (weight > 0 && this.readyCount(revision) === 0) throw new Error(`routed ${weight}% to ${revision}, which has no ready instance`);
    }
    if (preview !== null && this.readyCount(preview) === 0) throw new Error(`previewed ${preview}, which has no ready instance`);
    this.weights = Object.fromEntries(Object.entries(weights).filter(([, w]) => w > 0));
    this.preview = preview ?? undefined;
  }

  /** The next moment something changes by itself: an instance turns ready or exits, an analysis decides. */
  nextEventMs(): number | undefined {
    const times: number[] = [];
    for (const r of this.revisions) {
      for (const i of r.instances) {
        if (i.readyAtMs !== undefined && i.readyAtMs > this.nowMs) times.push(i.readyAtMs);
        if (i.exitAtMs !== undefined && i.exitAtMs > this.nowMs) times.push(i.exitAtMs);
      }
    }
    for (const run of this.runs.values()) {
      if (run.script !== undefined && run.stoppedAtMs === undefined && run.startedAtMs + run.script.afterMs > this.nowMs) times.push(run.startedAtMs + run.script.afterMs);
    }
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Requests would fail now if a weighted revision had no ready instance. */
  unservedRevisions(): string[] {
    return Object.entries(this.weights)
      .filter(([revision, w]) => w > 0 && this.readyCount(revision) === 0)
      .map(([revision]) => revision);
  }
}
