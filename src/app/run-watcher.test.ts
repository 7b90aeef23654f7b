import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runJournal } from "../pipeline/run-journal.js";
import type { CiEvent } from "./event-hub.js";
import { watchRunJournals } from "./run-watcher.js";

const at = "2026-12-06T02:00:00.000Z";

describe("watching CI runs' journals", () => {
  it("turns a running run's new events into ci.* events; a run over before the watch began is not replayed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-watch-"));
    const stop = new AbortController();
    try {
      const old = runJournal(dir);
      old({ type: "run-started", runId: "20261206-010000-0000", at, commit: undefined, services: ["a"], concurrency: 1 });
      old({ type: "run-finished", runId: "20261206-010000-0000", at, durationMs: 1, outcome: "passed" });
      const seen: CiEvent[] = [];
      let wake: (() => void) | undefined;
      const watching = watchRunJournals(dir, (e) => (seen.push(e), wake?.()), stop.signal, 20);
      const until = async (count: number): Promise<void> => {
        while (seen.length < count) await new Promise<void>((resolve) => (wake = resolve));
      };
      const write = runJournal(dir);
      const runId = "20261206-020000-beef";
      write({ type: "run-started", runId, at, commit: "abc", services: ["a"], concurrency: 1 });
      write({ type: "service-queued", service: "a", hash: "h", reasons: [] });
      write({ type: "stage-started", service: "a", stage: "build", at });
      write({ type: "stage-output", service: "a", stage: "build", line: "secret-free output" });
      await until(2);
      write({ type: "stage-finished", service: "a", stage: "build", status: "failed", durationMs: 42, logFile: "x", detail: "exit 1" });
      write({ type: "service-finished", service: "a", outcome: "failed", durationMs: 50 });
      write({ type: "run-finished", runId, at, durationMs: 60, outcome: "failed" });
      await until(5);
      stop.abort();
      await watching;
      assert.deepEqual(seen, [
        { type: "ci.run", runId, state: "started", services: ["a"] },
        { type: "ci.stage", runId, service: "a", stage: "build", state: "started" },
        { type: "ci.stage", runId, service: "a", stage: "build", state: "failed", durationMs: 42, detail: "exit 1" },
        { type: "ci.service", runId, service: "a", outcome: "failed" },
        { type: "ci.run", runId, state: "failed" },
      ]);
    } finally {
      stop.abort();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
