import assert from "node:assert/strict";
import { test } from "node:test";
import { Wakeups } from "./wakeups.js";

test("a wake reaches the environment's listeners until they unsubscribe, and no other environment's", () => {
  const wakeups = new Wakeups();
  const woken: string[] = [];
  const off = wakeups.on("dev", () => woken.push("dev"));
  wakeups.on("prod", () => woken.push("prod"));
  wakeups.wake("dev");
  off();
  wakeups.wake("dev");
  wakeups.wake("test");
  assert.deepEqual(woken, ["dev"]);
});
