import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventHub, type ServerEvent } from "../app/event-hub.js";
import type { AppEvent } from "../app/events.js";
import { Wakeups } from "../app/wakeups.js";
import { SlipwayError } from "../domain/errors.js";
import { startGroupChange } from "./group-change.js";

function host(): { hub: EventHub; wakeups: Wakeups; events: ServerEvent[] } {
  const hub = new EventHub();
  const events: ServerEvent[] = [];
  hub.subscribe((e) => events.push(e));
  return { hub, wakeups: new Wakeups(), events };
}

const started: AppEvent = { type: "group.started", groupId: "promote-1", environment: "prod", action: "promote", services: ["back", "front"], detail: "from staging" };

describe("a group change started over the API", () => {
  it("answers at its start and goes on in the background: its events reach the hub, its rollouts wake the environment's controller", async () => {
    const h = host();
    let woken = 0;
    h.wakeups.on("prod", () => woken++);
    let finish = (): void => undefined;
    const answer = await startGroupChange(h, "prod", async (reporter, own) => {
      reporter.emit(started);
      own.wake();
      await new Promise<void>((resolve) => (finish = resolve));
      reporter.emit({ type: "group.finished", groupId: "promote-1", environment: "prod", result: "promoted", detail: "…", lockNumber: 4 });
      return { kind: "promoted" };
    });
    assert.deepEqual(answer, { kind: "started", groupId: "promote-1", environment: "prod", services: ["back", "front"] });
    assert.equal(woken, 1);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(
      h.events.map((e) => e.type),
      ["group.started", "group.finished"],
    );
  });

  it("answers with the result when it ends before starting (nothing to do)", async () => {
    assert.deepEqual(await startGroupChange(host(), "prod", async () => ({ kind: "up-to-date" })), { kind: "up-to-date" });
  });

  it("answers with the use case's error (code and hint) when it is refused before starting", async () => {
    await assert.rejects(
      startGroupChange(host(), "prod", async () => {
        throw new SlipwayError("RELEASE_BLOCKED", "prod does not let the lock of staging in yet", { hint: "slipway status" });
      }),
      (err: SlipwayError) => err.code === "RELEASE_BLOCKED" && err.hint === "slipway status",
    );
  });

  it("reports an error after the start as group.error on the hub, with code and hint", async () => {
    const h = host();
    await startGroupChange(h, "prod", async (reporter) => {
      reporter.emit(started);
      throw new SlipwayError("ENGINE_UNAVAILABLE", "Docker went away", { hint: "start Docker" });
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(h.events.at(-1), { type: "group.error", groupId: "promote-1", environment: "prod", code: "ENGINE_UNAVAILABLE", message: "Docker went away", hint: "start Docker" });
  });
});
