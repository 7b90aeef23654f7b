import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReadinessProbe } from "../domain/config-schema.js";
import type { Instance, Runtime } from "../runtime/types.js";
import { countReady } from "./ready-instances.js";

const probe = { http: { path: "/healthz" }, initialDelaySeconds: 0, periodSeconds: 0.01, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 } as ReadinessProbe;
const instance = { name: "i-1" } as Instance;

/** Only probeOnce matters here: answers in turn, counting the calls. */
function runtimeAnswering(answers: readonly boolean[]): { runtime: Runtime; calls: () => number } {
  let n = 0;
  const runtime = { probeOnce: async () => answers[Math.min(n++, answers.length - 1)] ?? false } as unknown as Runtime;
  return { runtime, calls: () => n };
}

describe("countReady (whether the system is settled before it is tested or locked)", () => {
  it("tries a probe that failed once again, as readiness would: one slow answer is not an instance that is down", async () => {
    const { runtime, calls } = runtimeAnswering([false, true]);
    assert.equal(await countReady(runtime, [instance], probe), 1);
    assert.equal(calls(), 2);
  });

  it("gives up after failureThreshold probes", async () => {
    const { runtime, calls } = runtimeAnswering([false]);
    assert.equal(await countReady(runtime, [instance], probe), 0);
    assert.equal(calls(), 3);
  });

  it("probes again only the instances that failed", async () => {
    const { runtime, calls } = runtimeAnswering([true, false, true]);
    assert.equal(await countReady(runtime, [instance, { name: "i-2" } as Instance], probe), 2);
    assert.equal(calls(), 3);
  });
});
