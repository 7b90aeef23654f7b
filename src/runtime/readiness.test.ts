import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReadinessProbe } from "../domain/config-schema.js";
import { type Clock, formatDuration, type Liveness, type ProbeAttempt, type ProbeResult, type ReadinessOptions, waitUntilReady } from "./readiness.js";

/**
 * Virtual time: sleeps are timers on a queue, and time jumps to the next
 * timer whenever every promise that can make progress has settled. Runs are
 * exact and instant.
 */
class VirtualClock implements Clock {
  private time = 0;
  private sequence = 0;
  private timers: { at: number; seq: number; fire: () => void }[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal?.reason);
      };
      const fire = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const timer = { at: this.time + Math.max(0, ms), seq: this.sequence++, fire };
      this.timers.push(timer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Advances time until `work` settles. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    work.then(
      () => (settled = true),
      () => (settled = true),
    );
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return work;
      const next = [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined) throw new Error("deadlock: the wait is pending but nothing is scheduled");
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fire();
    }
  }

  /** Runs `action` at virtual time `at`. */
  at(at: number, action: () => void): void {
    void this.sleep(at - this.time).then(action);
  }
}

function spec(overrides: Partial<ReadinessProbe> = {}): ReadinessProbe {
  return { http: { path: "/healthz" }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3, ...overrides };
}

type Step = ProbeResult | "hang" | { after: number; result: ProbeResult } | Error;

/** A probe that plays its script, then repeats the last step; it records when it ran and with which timeout. */
function scriptedProbe(clock: VirtualClock, script: readonly Step[]) {
  const calls: { at: number; timeoutMs: number }[] = [];
  const probe = async (timeoutMs: number): Promise<ProbeResult> => {
    calls.push({ at: clock.now(), timeoutMs });
    const step = script[Math.min(calls.length, script.length) - 1];
    if (step === undefined) throw new Error("empty script");
    if (step === "hang") return new Promise<ProbeResult>(() => {});
    if (step instanceof Error) throw step;
    if ("after" in step) {
      await clock.sleep(step.after);
      return step.result;
    }
    return step;
  };
  return { probe, calls };
}

const ok: ProbeResult = { ok: true };
const fail = (detail: string): ProbeResult => ({ ok: false, detail });

function options(clock: VirtualClock, overrides: Partial<ReadinessOptions> = {}): ReadinessOptions {
  return { deadlineMs: 60_000, signal: new AbortController().signal, clock, ...overrides };
}

describe("waitUntilReady", () => {
  it("probes first after the initial delay and is ready on one success", async () => {
    const clock = new VirtualClock();
    const { probe, calls } = scriptedProbe(clock, [ok]);
    const outcome = await clock.run(waitUntilReady(probe, spec({ initialDelaySeconds: 5 }), options(clock)));
    assert.deepEqual(outcome, { ready: true, afterMs: 5000, attempts: 1, endedBy: "ready" });
    assert.deepEqual(calls, [{ at: 5000, timeoutMs: 1000 }]);
  });

  it("probes every period until one succeeds, and keeps the last failure", async () => {
    const clock = new VirtualClock();
    const { probe, calls } = scriptedProbe(clock, [fail("connection refused"), fail("HTTP 503"), ok]);
    const outcome = await clock.run(waitUntilReady(probe, spec({ periodSeconds: 2 }), options(clock)));
    assert.deepEqual(outcome, { ready: true, afterMs: 4000, attempts: 3, lastError: "HTTP 503", endedBy: "ready" });
    assert.deepEqual(calls.map((c) => c.at), [0, 2000, 4000]);
  });

  it("counts the period from the start of the previous probe, not its end", async () => {
    const clock = new VirtualClock();
    const { probe, calls } = scriptedProbe(clock, [{ after: 700, result: fail("slow") }, ok]);
    const outcome = await clock.run(waitUntilReady(probe, spec({ periodSeconds: 2 }), options(clock)));
    assert.equal(outcome.afterMs, 2000);
    assert.deepEqual(calls.map((c) => c.at), [0, 2000]);
  });

  it("needs successThreshold consecutive successes; a failure in between starts the count again", async () => {
    const clock = new VirtualClock();
    const { probe } = scriptedProbe(clock, [ok, ok, fail("blip"), ok, ok, ok]);
    const attempts: ProbeAttempt[] = [];
    const outcome = await clock.run(
      waitUntilReady(probe, spec({ periodSeconds: 1, successThreshold: 3 }), options(clock, { onAttempt: (a) => attempts.push(a) })),
    );
    assert.equal(outcome.ready, true);
    assert.equal(outcome.attempts, 6);
    assert.equal(outcome.afterMs, 5000);
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.atMs, a.consecutiveSuccesses, a.consecutiveFailures]),
      [
        [1, 0, 1, 0],
        [2, 1000, 2, 0],
        [3, 2000, 0, 1],
        [4, 3000, 1, 0],
        [5, 4000, 2, 0],
        [6, 5000, 3, 0],
      ],
    );
  });

  it("keeps probing after failureThreshold consecutive failures, as Kubernetes does", async () => {
    const clock = new VirtualClock();
    const { probe } = scriptedProbe(clock, [fail("x"), fail("x"), fail("x"), fail("x"), fail("x"), ok]);
    const outcome = await clock.run(waitUntilReady(probe, spec({ periodSeconds: 1, failureThreshold: 2 }), options(clock)));
    assert.deepEqual(outcome, { ready: true, afterMs: 5000, attempts: 6, lastError: "x", endedBy: "ready" });
  });

  it("gives up at the deadline, not before, with the attempts made and the last error", async () => {
    const clock = new VirtualClock();
    const { probe, calls } = scriptedProbe(clock, [fail("HTTP 404")]);
    const outcome = await clock.run(waitUntilReady(probe, spec({ periodSeconds: 1 }), options(clock, { deadlineMs: 3500 })));
    assert.deepEqual(outcome, { ready: false, afterMs: 3500, attempts: 4, lastError: "HTTP 404", endedBy: "deadline" });
    assert.deepEqual(calls.map((c) => c.at), [0, 1000, 2000, 3000]);
  });

  it("gives up without probing when the initial delay reaches past the deadline", async () => {
    const clock = new VirtualClock();
    const { probe, calls } = scriptedProbe(clock, [ok]);
    const outcome = await clock.run(waitUntilReady(probe, spec({ initialDelaySeconds: 30 }), options(clock, { deadlineMs: 10_000 })));
    assert.deepEqual(outcome, { ready: false, afterMs: 10_000, attempts: 0, endedBy: "deadline" });
    assert.equal(calls.length, 0);
  });

  it("fails a probe that does not answer within timeoutSeconds and probes again a period after it started", async () => {
    const clock = new VirtualClock();
    const { probe, calls } = scriptedProbe(clock, ["hang", "hang", ok]);
    const attempts: ProbeAttempt[] = [];
    const outcome = await clock.run(
      waitUntilReady(probe, spec({ periodSeconds: 5, timeoutSeconds: 2 }), options(clock, { onAttempt: (a) => attempts.push(a) })),
    );
    assert.deepEqual(outcome, { ready: true, afterMs: 10_000, attempts: 3, lastError: "no answer within 2s", endedBy: "ready" });
    assert.deepEqual(calls, [
      { at: 0, timeoutMs: 2000 },
      { at: 5000, timeoutMs: 2000 },
      { at: 10_000, timeoutMs: 2000 },
    ]);
    assert.deepEqual(attempts.map((a) => a.durationMs), [2000, 2000, 0]);
  });

  it("counts an answer that comes after the timeout as a failure", async () => {
    const clock = new VirtualClock();
    const { probe } = scriptedProbe(clock, [{ after: 3000, result: ok }, ok]);
    const outcome = await clock.run(waitUntilReady(probe, spec({ periodSeconds: 5, timeoutSeconds: 1 }), options(clock)));
    assert.equal(outcome.attempts, 2);
    assert.equal(outcome.lastError, "no answer within 1s");
  });

  it("never lets a probe run past the deadline", async () => {
    const clock = new VirtualClock();
    const { probe, calls } = scriptedProbe(clock, ["hang"]);
    const outcome = await clock.run(waitUntilReady(probe, spec({ periodSeconds: 4, timeoutSeconds: 3 }), options(clock, { deadlineMs: 5000 })));
    assert.deepEqual(calls, [
      { at: 0, timeoutMs: 3000 },
      { at: 4000, timeoutMs: 1000 },
    ]);
    assert.deepEqual(outcome, { ready: false, afterMs: 5000, attempts: 2, lastError: "no answer within 1s", endedBy: "deadline" });
  });

  it("counts a probe that throws as a failure with its message", async () => {
    const clock = new VirtualClock();
    const { probe } = scriptedProbe(clock, [new Error("exec failed: container is paused"), ok]);
    const outcome = await clock.run(waitUntilReady(probe, spec({ periodSeconds: 1 }), options(clock)));
    assert.equal(outcome.ready, true);
    assert.equal(outcome.lastError, "exec failed: container is paused");
  });

  it("stops as soon as the instance exits, even during the initial delay, and reports the exit", async () => {
    const clock = new VirtualClock();
    const { probe, calls } = scriptedProbe(clock, [ok]);
    let liveness: Liveness = { alive: true };
    clock.at(2300, () => (liveness = { alive: false, detail: "exited with code 2" }));
    const outcome = await clock.run(
      waitUntilReady(probe, spec({ initialDelaySeconds: 20 }), options(clock, { isAlive: () => Promise.resolve(liveness), livenessIntervalMs: 500 })),
    );
    assert.deepEqual(outcome, { ready: false, afterMs: 2500, attempts: 0, endedBy: "exit", exitDetail: "exited with code 2" });
    assert.equal(calls.length, 0);
  });

  it("checks liveness before each probe, so a crash between probes is not taken for a failed probe", async () => {
    const clock = new VirtualClock();
    let alive = true;
    const { probe } = scriptedProbe(clock, [fail("connection refused")]);
    clock.at(1000, () => (alive = false));
    const outcome = await clock.run(
      waitUntilReady(probe, spec({ periodSeconds: 1 }), options(clock, { isAlive: () => Promise.resolve({ alive }), livenessIntervalMs: 10_000 })),
    );
    assert.deepEqual(outcome, { ready: false, afterMs: 1000, attempts: 1, lastError: "connection refused", endedBy: "exit", exitDetail: "the process exited" });
  });

  it("rejects with the abort reason when aborted while waiting", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const { probe, calls } = scriptedProbe(clock, [fail("x")]);
    clock.at(2500, () => controller.abort(new Error("cancelled by Ctrl-C")));
    await assert.rejects(
      clock.run(waitUntilReady(probe, spec({ periodSeconds: 1 }), options(clock, { signal: controller.signal }))),
      /cancelled by Ctrl-C/,
    );
    assert.equal(calls.length, 3);
  });

  it("rejects at once when aborted during a probe that hangs", async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const { probe } = scriptedProbe(clock, ["hang"]);
    clock.at(100, () => controller.abort(new Error("stop")));
    const started = clock.now();
    await assert.rejects(clock.run(waitUntilReady(probe, spec({ timeoutSeconds: 10 }), options(clock, { signal: controller.signal }))), /stop/);
    assert.equal(clock.now() - started, 100);
  });

  it("rejects without probing when the signal is already aborted", async () => {
    const clock = new VirtualClock();
    const { probe, calls } = scriptedProbe(clock, [ok]);
    await assert.rejects(clock.run(waitUntilReady(probe, spec(), options(clock, { signal: AbortSignal.abort(new Error("early")) }))), /early/);
    assert.equal(calls.length, 0);
  });

  it("works on the real clock", async () => {
    let n = 0;
    const probe = (): Promise<ProbeResult> => Promise.resolve(++n < 3 ? fail("not yet") : ok);
    const outcome = await waitUntilReady(probe, spec({ initialDelaySeconds: 0.01, periodSeconds: 0.02 }), {
      deadlineMs: 5000,
      signal: new AbortController().signal,
      isAlive: () => Promise.resolve({ alive: true }),
      livenessIntervalMs: 5,
    });
    assert.equal(outcome.ready, true);
    assert.equal(outcome.attempts, 3);
    assert.ok(outcome.afterMs >= 45 && outcome.afterMs < 2000, `afterMs ${outcome.afterMs}`);
  });
});

describe("formatDuration", () => {
  const rows: [number, string][] = [
    [2000, "2s"],
    [1500, "1.5s"],
    [250, "250 ms"],
    [1234.6, "1235 ms"],
  ];
  for (const [ms, text] of rows) it(`${ms} → ${text}`, () => assert.equal(formatDuration(ms), text));
});
