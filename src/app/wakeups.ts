// Wake-ups between parts of one process that otherwise poll the store: the
// controllers of `slipway serve` look for recorded commands and rollouts
// every half second (other processes reach them only through the store);
// a change this process records wakes the environment's controller — and
// the rollouts it is driving — at once instead.
export class Wakeups {
  private readonly listeners = new Map<string, Set<() => void>>();

  /** Calls `listener` on every wake of `environment` until the returned function is called. */
  on(environment: string, listener: () => void): () => void {
    const set = this.listeners.get(environment) ?? new Set();
    set.add(listener);
    this.listeners.set(environment, set);
    return () => set.delete(listener);
  }

  wake(environment: string): void {
    for (const listener of [...(this.listeners.get(environment) ?? [])]) listener();
  }
}
