// Runs tasks in dependency order, independent ones in parallel up to a limit.
// A failed task blocks only what depends on it; the rest still run, so one
// broken service does not hide the others' results. An abort starts nothing
// new and tells running tasks through their signal.

export interface DagNode {
  id: string;
  dependsOn: readonly string[];
}

export type DagOutcome<R> =
  | { status: "done"; value: R }
  | { status: "failed"; value?: R; error?: unknown }
  | { status: "blocked"; blockedBy: string }
  | { status: "cancelled" };

export interface DagOptions<R> {
  concurrency: number;
  signal?: AbortSignal;
  /** A task may finish without throwing and still count as failed (e.g. a failed stage). */
  isFailure?: (value: R) => boolean;
  /** Called when a task cannot run because a dependency failed. */
  onBlocked?: (id: string, blockedBy: string) => void;
}

export async function runDag<R>(nodes: readonly DagNode[], run: (id: string, signal: AbortSignal) => Promise<R>, options: DagOptions<R>): Promise<Map<string, DagOutcome<R>>> {
  const ids = new Set(nodes.map((n) => n.id));
  const deps = new Map(nodes.map((n) => [n.id, n.dependsOn.filter((d) => ids.has(d))]));
  const outcomes = new Map<string, DagOutcome<R>>();
  const running = new Map<string, Promise<void>>();
  const controller = new AbortController();
  const abort = (): void => controller.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", abort, { once: true });
  if (options.signal?.aborted) abort();

  const limit = Math.max(1, options.concurrency);
  try {
    for (;;) {
      for (const node of nodes) {
        if (outcomes.has(node.id) || running.has(node.id)) continue;
        const nodeDeps = deps.get(node.id) ?? [];
        const failedDep = nodeDeps.find((d) => {
          const o = outcomes.get(d);
          return o !== undefined && o.status !== "done";
        });
        if (failedDep !== undefined) {
          outcomes.set(node.id, { status: "blocked", blockedBy: failedDep });
          options.onBlocked?.(node.id, failedDep);
          continue;
        }
        if (controller.signal.aborted) {
          outcomes.set(node.id, { status: "cancelled" });
          continue;
        }
        if (running.size >= limit || !nodeDeps.every((d) => outcomes.has(d))) continue;
        running.set(node.id, execute(node.id));
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } finally {
    options.signal?.removeEventListener("abort", abort);
  }
  return outcomes;

  async function execute(id: string): Promise<void> {
    try {
      const value = await run(id, controller.signal);
      outcomes.set(id, options.isFailure?.(value) === true ? { status: "failed", value } : { status: "done", value });
    } catch (error) {
      outcomes.set(id, controller.signal.aborted ? { status: "cancelled" } : { status: "failed", error });
    } finally {
      running.delete(id);
    }
  }
}
