import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AnalysisClock, type AnalysisMetric, type AnalysisRunOptions, runAnalysis } from "./analysis-run.js";
import type { MeasureContext, Measurement, MeasureResult, MetricProvider } from "./metric-provider.js";

const T0 = Date.parse("2025-06-01T12:00:00.000Z");

/** Virtual wall-clock time: sleeps are queued, and time jumps to the next one whenever nothing else can run. */
class VirtualClock implements AnalysisClock {
  private time = T0;
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
      const timer = {
        at: this.time + Math.max(0, ms),
        seq: this.sequence++,
        fire: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Seconds since T0. */
  get seconds(): number {
    return (this.time - T0) / 1000;
  }

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
      if (next === undefined) throw new Error("deadlock: the run is pending but nothing is scheduled");
      this.timers = this.timers.filter((t) => t !== next);
      this.time = next.at;
      next.fire();
    }
  }
}

type Step = MeasureResult | Error | "hang" | { after: number; result: MeasureResult };

/** Plays its script, then repeats the last step; records when it was asked (seconds since T0). */
class ScriptedProvider implements MetricProvider {
  readonly description = "scripted";
  readonly calls: number[] = [];
  readonly begins: number[] = [];
  begin?: (context: MeasureContext) => Promise<void>;

  constructor(
    private readonly clock: VirtualClock,
    private readonly script: readonly Step[],
    options: { windowed?: boolean } = {},
  ) {
    if (options.windowed === true) {
      this.begin = async () => {
        this.begins.push(this.clock.seconds);
      };
    }
  }

  async measure(context: MeasureContext): Promise<MeasureResult> {
    this.calls.push(this.clock.seconds);
    const step = this.script[Math.min(this.calls.length, this.script.length) - 1];
    if (step === undefined) throw new Error("empty script");
    if (step === "hang") return new Promise<MeasureResult>((_, reject) => context.signal.addEventListener("abort", () => reject(context.signal.reason)));
    if (step instanceof Error) throw step;
    if ("after" in step) {
      await this.clock.sleep(step.after * 1000, context.signal);
      return step.result;
    }
    return step;
  }
}

const value = (v: unknown): MeasureResult => ({ value: v });

function metric(provider: MetricProvider, overrides: Partial<AnalysisMetric> = {}): AnalysisMetric {
  return { name: "error-rate", provider, successCondition: "result < 0.01", interval: 10, count: 5, failureLimit: 0, inconclusiveLimit: 0, ...overrides };
}

async function analyse(clock: VirtualClock, metrics: AnalysisMetric[], overrides: Partial<AnalysisRunOptions> = {}) {
  const measurements: Measurement[] = [];
  const outcome = await clock.run(
    runAnalysis({
      metrics,
      revision: "r2",
      stableRevision: "r1",
      signal: new AbortController().signal,
      clock,
      onMeasurement: (m) => void measurements.push(m),
      ...overrides,
    }),
  );
  return { outcome, measurements, at: measurements.map((m) => (Date.parse(m.finishedAt) - T0) / 1000) };
}

describe("runAnalysis: count and interval", () => {
  it("measures at once, then every interval, until count; all successful", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0.001)]);
    const { outcome, measurements } = await analyse(clock, [metric(provider)]);
    assert.equal(outcome.phase, "successful");
    assert.deepEqual(provider.calls, [0, 10, 20, 30, 40]);
    assert.deepEqual(measurements.map((m) => [m.index, m.phase]), [[1, "successful"], [2, "successful"], [3, "successful"], [4, "successful"], [5, "successful"]]);
    assert.equal(measurements[0]?.startedAt, "2025-06-01T12:00:00.000Z");
    assert.equal(measurements[0]?.message, "result 0.001: successCondition result < 0.01 holds");
    assert.equal(outcome.metrics[0]?.message, "count (5) reached: 5 successful, 0 failed, 0 inconclusive, 0 errors");
    assert.equal(clock.seconds, 40);
  });

  it("counts the interval from the end of the previous measurement", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [{ after: 3, result: value(0) }]);
    await analyse(clock, [metric(provider, { count: 3 })]);
    assert.deepEqual(provider.calls, [0, 13, 26]);
  });

  it("tolerates failures up to failureLimit and still succeeds", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0.5), value(0), value(0.5), value(0)]);
    const { outcome } = await analyse(clock, [metric(provider, { failureLimit: 2 })]);
    assert.equal(outcome.phase, "successful");
    assert.deepEqual({ ...outcome.metrics[0]?.tally, last: undefined }, { count: 5, successful: 3, failed: 2, inconclusive: 0, error: 0, consecutiveErrors: 0, measurements: 5, last: undefined });
  });
});

describe("runAnalysis: failureLimit aborts within interval × failureLimit", () => {
  for (const failureLimit of [0, 1, 2, 4]) {
    it(`failureLimit ${failureLimit}: failed after ${failureLimit + 1} failures, at ${failureLimit * 10} s`, async () => {
      const clock = new VirtualClock();
      const provider = new ScriptedProvider(clock, [value(0.2)]);
      const { outcome, measurements, at } = await analyse(clock, [metric(provider, { failureLimit, count: 10 })]);
      assert.equal(outcome.phase, "failed");
      assert.equal(measurements.length, failureLimit + 1);
      assert.equal(at.at(-1), 10 * failureLimit);
      assert.equal(clock.seconds, 10 * failureLimit);
      assert.equal(outcome.message, `metric "error-rate" is failed: failed (${failureLimit + 1}) > failureLimit (${failureLimit}); last measurement: result 0.2: successCondition result < 0.01 does not hold`);
    });
  }

  it("a windowed provider (the router's) measures one interval after it begins, so it fails at interval × (failureLimit + 1)", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0.2)], { windowed: true });
    const { outcome, at } = await analyse(clock, [metric(provider, { failureLimit: 2 })]);
    assert.equal(outcome.phase, "failed");
    assert.deepEqual(provider.begins, [0]);
    assert.deepEqual(at, [10, 20, 30]);
  });
});

describe("runAnalysis: inconclusive and errors", () => {
  it("is inconclusive when neither condition holds more than inconclusiveLimit times", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0.02)]);
    const { outcome, measurements } = await analyse(clock, [metric(provider, { failureCondition: "result > 0.05", inconclusiveLimit: 1 })]);
    assert.equal(outcome.phase, "inconclusive");
    assert.equal(measurements.length, 2);
    assert.equal(outcome.metrics[0]?.message, "inconclusive (2) > inconclusiveLimit (1)");
    assert.match(measurements[0]?.message ?? "", /neither successCondition result < 0.01 nor failureCondition result > 0.05 holds/);
  });

  it("takes a provider's verdict (no data) instead of the conditions", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [{ value: null, verdict: { phase: "inconclusive", reason: "no data: no requests reached r2 in the last 10 s" } }]);
    const { outcome, measurements } = await analyse(clock, [metric(provider)]);
    assert.equal(outcome.phase, "inconclusive");
    assert.equal(measurements[0]?.message, "no data: no requests reached r2 in the last 10 s");
  });

  it("is inconclusive when a condition reads baseline and there is none", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [{ value: 120, baselineUnavailable: "no requests reached the stable revision r1 in the last 10 s" }]);
    const { measurements } = await analyse(clock, [metric(provider, { successCondition: "result <= baseline * 1.2" })]);
    assert.equal(measurements[0]?.phase, "inconclusive");
    assert.match(measurements[0]?.message ?? "", /compares with baseline, but there is none \(no requests reached the stable revision r1/);
  });

  it("compares with the baseline when there is one", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [{ value: 130, baseline: 100 }]);
    const { outcome, measurements } = await analyse(clock, [metric(provider, { successCondition: "result <= baseline * 1.2" })]);
    assert.equal(outcome.phase, "failed");
    assert.equal(measurements[0]?.message, "result 130, baseline 100: successCondition result <= baseline * 1.2 does not hold");
  });

  it("fails the run after more than consecutiveErrorLimit (default 4) errors in a row", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [new Error("connection refused")]);
    const { outcome, measurements } = await analyse(clock, [metric(provider)]);
    assert.equal(outcome.phase, "failed");
    assert.equal(outcome.metrics[0]?.phase, "error");
    assert.deepEqual(measurements.map((m) => m.phase), ["error", "error", "error", "error", "error"]);
    assert.equal(measurements[0]?.message, "connection refused");
    assert.match(outcome.message, /^metric "error-rate" kept erroring: consecutive errors \(5\) > consecutiveErrorLimit \(4\)/);
  });

  it("does not count errors toward count, and a verdict resets the consecutive errors", async () => {
    const clock = new VirtualClock();
    const boom = new Error("HTTP 503");
    const provider = new ScriptedProvider(clock, [boom, boom, value(0), boom, value(0), boom, boom, value(0)]);
    const { outcome, measurements } = await analyse(clock, [metric(provider, { count: 3, consecutiveErrorLimit: 2 })]);
    assert.equal(outcome.phase, "successful");
    assert.equal(measurements.length, 8);
    assert.deepEqual(outcome.metrics[0]?.tally.error, 5);
  });

  it("makes a condition that does not fit the value an error, not a failure", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value([])]);
    const { measurements } = await analyse(clock, [metric(provider, { successCondition: "result[0] < 1", consecutiveErrorLimit: 0 })]);
    assert.equal(measurements[0]?.phase, "error");
    assert.match(measurements[0]?.message ?? "", /out of range/);
  });

  it("gives up on a measurement after the provider's time limit", async () => {
    const clock = new VirtualClock();
    const provider = Object.assign(new ScriptedProvider(clock, ["hang", value(0)]), { timeoutMs: 5000 });
    const { measurements } = await analyse(clock, [metric(provider, { count: 1 })]);
    assert.deepEqual(measurements.map((m) => [m.phase, (Date.parse(m.finishedAt) - T0) / 1000]), [["error", 5], ["successful", 15]]);
    assert.equal(measurements[0]?.message, "scripted gave no result within 5 s");
  });
});

describe("runAnalysis: several metrics", () => {
  it("stops the others when one fails, dropping their measurement in flight", async () => {
    const clock = new VirtualClock();
    const failing = new ScriptedProvider(clock, [value(0), value(0.5)]);
    const slow = new ScriptedProvider(clock, [{ after: 15, result: value(0) }]);
    const { outcome, measurements } = await analyse(clock, [metric(failing), metric(slow, { name: "smoke", interval: 60 })]);
    assert.equal(outcome.phase, "failed");
    assert.deepEqual(outcome.metrics.map((m) => [m.name, m.phase]), [["error-rate", "failed"], ["smoke", "stopped"]]);
    assert.deepEqual(measurements.map((m) => m.metric), ["error-rate", "error-rate"]);
    assert.equal(clock.seconds, 10);
  });

  it("is inconclusive when the worst is inconclusive, and successful only when all are", async () => {
    const clock = new VirtualClock();
    const fine = new ScriptedProvider(clock, [value(0)]);
    const unsure = new ScriptedProvider(clock, [value(0.02)]);
    const { outcome } = await analyse(clock, [metric(fine, { count: 2 }), metric(unsure, { name: "latency", failureCondition: "result > 0.05", count: 3, inconclusiveLimit: 2 })]);
    assert.equal(outcome.phase, "inconclusive");
    assert.deepEqual(outcome.metrics.map((m) => m.phase), ["successful", "inconclusive"]);
  });
});

describe("runAnalysis: resuming from persisted measurements", () => {
  const persisted = (index: number, phase: Measurement["phase"], finishedAtSeconds: number): Measurement => ({
    metric: "error-rate",
    index,
    phase,
    startedAt: new Date(T0 + finishedAtSeconds * 1000).toISOString(),
    finishedAt: new Date(T0 + finishedAtSeconds * 1000).toISOString(),
    value: 0,
    message: "persisted",
  });

  it("does not repeat finished measurements: continues at the next index, one interval after the last", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0)]);
    const previous = [persisted(1, "successful", 0), persisted(2, "failed", 10)];
    const { outcome, measurements } = await analyse(clock, [metric(provider, { failureLimit: 1 })], { previous });
    assert.equal(outcome.phase, "successful");
    assert.deepEqual(measurements.map((m) => m.index), [3, 4, 5]);
    assert.deepEqual(provider.calls, [20, 30, 40]);
    assert.equal(outcome.metrics[0]?.tally.failed, 1);
  });

  it("measures at once when the next measurement is overdue (the controller was down longer than an interval)", async () => {
    const clock = new VirtualClock();
    await clock.run(clock.sleep(95_000));
    const provider = new ScriptedProvider(clock, [value(0)]);
    const { measurements } = await analyse(clock, [metric(provider, { count: 3 })], { previous: [persisted(1, "successful", 0)] });
    assert.deepEqual(provider.calls, [95, 105]);
    assert.deepEqual(measurements.map((m) => m.index), [2, 3]);
  });

  it("remembers failures: one more failure past the limit fails at once", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0.5)]);
    const { outcome, measurements } = await analyse(clock, [metric(provider, { failureLimit: 1 })], { previous: [persisted(1, "failed", 0)] });
    assert.equal(outcome.phase, "failed");
    assert.deepEqual(measurements.map((m) => m.index), [2]);
  });

  it("returns a decided analysis without measuring", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0)]);
    const { outcome } = await analyse(clock, [metric(provider)], { previous: [persisted(1, "failed", 0)] });
    assert.equal(outcome.phase, "failed");
    assert.deepEqual(provider.calls, []);
  });

  it("returns a finished analysis without measuring", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0)]);
    const previous = [1, 2, 3].map((i) => persisted(i, "successful", i * 10));
    const { outcome } = await analyse(clock, [metric(provider, { count: 3 })], { previous });
    assert.equal(outcome.phase, "successful");
    assert.deepEqual(provider.calls, []);
  });

  it("gives a windowed provider a fresh first reading and a full window after a restart", async () => {
    const clock = new VirtualClock();
    await clock.run(clock.sleep(12_000));
    const provider = new ScriptedProvider(clock, [value(0)], { windowed: true });
    await analyse(clock, [metric(provider, { count: 2 })], { previous: [persisted(1, "successful", 10)] });
    assert.deepEqual(provider.begins, [12]);
    assert.deepEqual(provider.calls, [22]);
  });

  it("refuses measurements of a metric the analysis does not have", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0)]);
    await assert.rejects(analyse(clock, [metric(provider, { name: "latency" })], { previous: [persisted(1, "successful", 0)] }), /metric "error-rate", which this analysis does not have/);
  });
});

describe("runAnalysis: stopping", () => {
  it("rejects with the signal's reason when aborted, and measures no more", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0)]);
    const controller = new AbortController();
    void clock.sleep(25_000).then(() => controller.abort(new Error("rollout aborted by alice")));
    await assert.rejects(analyse(clock, [metric(provider)], { signal: controller.signal }), /rollout aborted by alice/);
    assert.deepEqual(provider.calls, [0, 10, 20]);
  });

  it("waits for an in-flight measurement to clean up before it returns", async () => {
    const clock = new VirtualClock();
    const cleanedUp: number[] = [];
    const job: MetricProvider = {
      description: "job",
      measure: (context) =>
        new Promise((_, reject) =>
          context.signal.addEventListener("abort", () => {
            // Like removing a container: it takes a moment after the abort.
            void clock.sleep(2000).then(() => {
              cleanedUp.push(clock.seconds);
              reject(context.signal.reason);
            });
          }),
        ),
    };
    const failing = new ScriptedProvider(clock, [value(0.5)]);
    const { outcome } = await analyse(clock, [metric(failing, { successCondition: "result < 0.01" }), metric(job, { name: "smoke" })]);
    assert.equal(outcome.phase, "failed");
    assert.deepEqual(cleanedUp, [2]);
    assert.equal(clock.seconds, 2);
  });

  it("checks conditions before measuring anything", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0)]);
    await assert.rejects(analyse(clock, [metric(provider, { failureCondition: "result >" })]), (err: Error & { code?: string }) => {
      assert.equal(err.code, "CONFIG_INVALID");
      assert.match(err.message, /^failureCondition of metric "error-rate" "result >" is not valid: .* at column 9$/);
      return true;
    });
    assert.deepEqual(provider.calls, []);
  });

  it("stops and rethrows when persisting a measurement fails", async () => {
    const clock = new VirtualClock();
    const provider = new ScriptedProvider(clock, [value(0)]);
    const other = new ScriptedProvider(clock, [value(0)]);
    const onMeasurement = (m: Measurement): void => {
      if (m.index === 2 && m.metric === "error-rate") throw new Error("disk full");
    };
    await assert.rejects(analyse(clock, [metric(provider), metric(other, { name: "other", interval: 7 })], { onMeasurement }), /disk full/);
    assert.deepEqual(provider.calls, [0, 10]);
    assert.deepEqual(other.calls, [0, 7]);
  });
});
