import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { mapConcurrently } from "./concurrency.js";

describe("mapConcurrently", () => {
  it("keeps order and never exceeds the limit", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapConcurrently([5, 1, 4, 2, 3], 2, async (n) => {
      peak = Math.max(peak, ++running);
      await sleep(n);
      running--;
      return n * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30]);
    assert.equal(peak, 2);
  });
  it("starts nothing after a failure and waits for what runs", async () => {
    const started: number[] = [];
    let settled = 0;
    await assert.rejects(
      mapConcurrently([1, 2, 3, 4], 2, async (n) => {
        started.push(n);
        if (n === 1) throw new Error("boom");
        await sleep(20);
        settled++;
      }),
      /boom/,
    );
    assert.deepEqual(started, [1, 2]);
    assert.equal(settled, 1);
  });
  it("handles no items", async () => assert.deepEqual(await mapConcurrently([], 3, async () => 1), []));
});
