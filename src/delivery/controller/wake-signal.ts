// How the rollout loop sleeps between plans: until a deadline, an abort, or
// a nudge (readiness or an analysis changed). A nudge that arrives while the
// loop is not asleep — during observe, plan or apply, e.g. the watch showing
// the pod the plan just deleted, or a new pod turning Ready — is kept, so the
// next sleep ends at once instead of missing it and sleeping its full time.
export class WakeSignal {
  private wake: (() => void) | undefined;
  private pending = false;

  nudge(): void {
    if (this.wake !== undefined) this.wake();
    else this.pending = true;
  }

  /** Forget earlier nudges: what they announced is about to be observed. */
  clear(): void {
    this.pending = false;
  }

  /** Resolves after ms, on abort, or on a nudge (also one since the last clear()). */
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.wake = undefined;
        this.pending = false;
        resolve();
      };
      const timer = setTimeout(done, this.pending || signal.aborted ? 0 : ms);
      signal.addEventListener("abort", done, { once: true });
      this.wake = done;
    });
  }
}
