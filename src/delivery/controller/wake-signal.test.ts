import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { WakeSignal } from "./wake-signal.js";

const HOUR = 3_600_000;
/** Which comes first: the sleep, or a generous bound that only a missed wake-up reaches. */
const race = (p: Promise<void>): Promise<string> => Promise.race([p.then(() => "woke"), sleep(5_000).then(() => "slept on")]);

describe("WakeSignal", () => {
  it("a nudge while asleep wakes the sleeper", async () => {
    const w = new WakeSignal();
    const slept = w.sleep(HOUR, new AbortController().signal);
    w.nudge();
    assert.equal(await race(slept), "woke");
  });

  it("a nudge while awake (during a plan's actions) is kept: the next sleep ends at once", async () => {
    const w = new WakeSignal();
    w.nudge();
    assert.equal(await race(w.sleep(HOUR, new AbortController().signal)), "woke");
  });

  it("clear() forgets nudges the next observation covers; a woken sleep used its nudge up", async () => {
    const w = new WakeSignal();
    w.nudge();
    w.clear();
    const stop = new AbortController();
    const first = w.sleep(HOUR, stop.signal);
    assert.equal(await Promise.race([first.then(() => "woke"), sleep(50).then(() => "asleep")]), "asleep");
    stop.abort();
    await first;
    const again = new AbortController();
    const second = w.sleep(HOUR, again.signal);
    assert.equal(await Promise.race([second.then(() => "woke"), sleep(50).then(() => "asleep")]), "asleep");
    again.abort();
    await second;
  });
});
