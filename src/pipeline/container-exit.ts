// Waiting for a test container to finish: container tests and integration
// tests both run a command in a test image and need its exit code, or to know
// it is still running at its deadline.
import { systemClock } from "../runtime/readiness.js";

const EXIT_POLL_MS = 250;

/** The exit code, or undefined if it still runs after timeoutMs. `inspect` is the engine's container inspect. */
export async function waitForExit(inspect: () => Promise<{ State: { Running: boolean; ExitCode: number } }>, timeoutMs: number, signal: AbortSignal): Promise<number | undefined> {
  const giveUpAt = performance.now() + timeoutMs;
  for (;;) {
    const { State } = await inspect();
    if (!State.Running) return State.ExitCode;
    if (performance.now() >= giveUpAt) return undefined;
    await systemClock.sleep(Math.min(EXIT_POLL_MS, giveUpAt - performance.now()), signal);
  }
}
