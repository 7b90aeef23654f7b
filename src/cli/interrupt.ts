// Long-running commands (test, loadtest) stop cleanly on Ctrl-C or SIGTERM:
// the signal aborts what runs, the command reports what was (not) recorded.
/** Runs `use` with a signal that SIGINT or SIGTERM aborts; the handlers are removed after. */
export async function untilInterrupted<T>(use: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    return await use(stop.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
