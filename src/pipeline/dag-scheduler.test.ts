import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { runDag, type DagNode } from "./dag-scheduler.js";

const nodes = (edges: Record<string, string[]>): DagNode[] => Object.entries(edges).map(([id, dependsOn]) => ({ id, dependsOn }));

describe("runDag", () => {
  it("runs dependencies first and never more than the limit at once", async () => {
    const log: string[] = [];
    let active = 0;
    let peak = 0;
    const outcomes = await runDag(
      nodes({ app: ["lib", "proto"], lib: [], proto: [], docs: [], tools: [] }),
      async (id) => {
        active++;
        peak = Math.max(peak, active);
        log.push(`start ${id}`);
        await sleep(5);
        log.push(`end ${id}`);
        active--;
        return id.toUpperCase();
      },
      { concurrency: 2 },
    );
    assert.equal(peak, 2);
    assert.ok(log.indexOf("start app") > log.indexOf("end lib"));
    assert.ok(log.indexOf("start app") > log.indexOf("end proto"));
    assert.deepEqual(outcomes.get("app"), { status: "done", value: "APP" });
    assert.equal(outcomes.size, 5);
  });

  it("blocks what depends on a failure, transitively, and runs the rest", async () => {
    const ran: string[] = [];
    const blocked: string[] = [];
    const outcomes = await runDag(
      nodes({ a: [], b: ["a"], c: ["b"], d: [] }),
      async (id) => {
        ran.push(id);
        if (id === "a") throw new Error("boom");
        return id;
      },
      { concurrency: 4, onBlocked: (id, by) => blocked.push(`${id}<${by}`) },
    );
    assert.deepEqual(ran.sort(), ["a", "d"]);
    assert.equal(outcomes.get("a")?.status, "failed");
    assert.deepEqual(outcomes.get("b"), { status: "blocked", blockedBy: "a" });
    assert.deepEqual(outcomes.get("c"), { status: "blocked", blockedBy: "b" });
    assert.deepEqual(blocked, ["b<a", "c<b"]);
    assert.equal(outcomes.get("d")?.status, "done");
  });

  it("counts a returned value as failure when told to", async () => {
    const outcomes = await runDag(nodes({ a: [], b: ["a"] }), async () => ({ ok: false }), { concurrency: 1, isFailure: (v) => !v.ok });
    assert.equal(outcomes.get("a")?.status, "failed");
    assert.equal(outcomes.get("b")?.status, "blocked");
  });

  it("on abort, tells running tasks and starts nothing new", async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const outcomes = await runDag(
      nodes({ a: [], b: [], c: ["a"] }),
      async (id, signal) => {
        started.push(id);
        if (id === "a") controller.abort();
        await sleep(5);
        if (signal.aborted) throw new Error("aborted");
        return id;
      },
      { concurrency: 1, signal: controller.signal },
    );
    assert.deepEqual(started, ["a"]);
    assert.deepEqual([...outcomes].map(([id, o]) => `${id}:${o.status}`).sort(), ["a:cancelled", "b:cancelled", "c:cancelled"]);
  });
});
