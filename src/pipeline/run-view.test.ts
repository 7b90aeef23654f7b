import assert from "node:assert/strict";
import { mkdtempSync, rmSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { PipelineEvent } from "./events.js";
import { journalPath, readJournal, runJournal } from "./run-journal.js";
import { foldJournal, fromRecord, stageMayGrow } from "./run-view.js";

const graph = new Map([
  ["api", ["lib"]],
  ["lib", []],
  ["web", ["api"]],
]);
const at = "2026-12-06T02:00:00.000Z";
const start: PipelineEvent[] = [
  { type: "run-started", runId: "20261206-020000-abcd", at, commit: "abc1234", services: ["api", "lib", "web"], concurrency: 2 },
  { type: "service-up-to-date", service: "web", hash: "h", digest: "sha256:web", reference: "r" },
  { type: "service-queued", service: "lib", hash: "h1", reasons: ["lib/src/a.ts changed"] },
  { type: "service-queued", service: "api", hash: "h2", reasons: ["depends on lib"] },
  { type: "stage-started", service: "lib", stage: "build", at },
  { type: "stage-output", service: "lib", stage: "build", line: "compiling" },
];

describe("a CI run's view from its journal", () => {
  it("shows the DAG of the run's services and each stage's state as it goes", () => {
    const view = foldJournal("20261206-020000-abcd", start, graph);
    assert.equal(view.status, "running");
    assert.deepEqual(
      view.services.map((s) => [s.service, s.state, s.dependsOn]),
      [
        ["api", "queued", ["lib"]],
        ["lib", "running", []],
        ["web", "up-to-date", ["api"]],
      ],
    );
    assert.deepEqual(view.services.find((s) => s.service === "lib")?.stages.map((s) => `${s.stage}:${s.state}`), ["build:running", "unit-test:pending", "image:pending", "container-test:pending", "push:pending"]);
    assert.equal(stageMayGrow(view, "lib", "build"), true);
    assert.equal(stageMayGrow(view, "api", "build"), true, "not started yet");
    assert.equal(stageMayGrow(view, "web", "build"), false, "up to date: no stages");
  });
  it("a failed stage ends its service: stages that never started are cancelled, and the run's end closes every log", () => {
    const view = foldJournal(
      "20261206-020000-abcd",
      [
        ...start,
        { type: "stage-finished", service: "lib", stage: "build", status: "failed", durationMs: 1200, logFile: "x", detail: "exit 2" },
        { type: "service-finished", service: "lib", outcome: "failed", durationMs: 1300, error: "build failed" },
        { type: "service-finished", service: "api", outcome: "blocked", durationMs: 0, blockedBy: "lib" },
      ],
      graph,
    );
    const lib = view.services.find((s) => s.service === "lib");
    assert.deepEqual(lib?.stages.map((s) => `${s.stage}:${s.state}`), ["build:failed", "unit-test:cancelled", "image:cancelled", "container-test:cancelled", "push:cancelled"]);
    assert.equal(lib?.stages[0]?.detail, "exit 2");
    assert.equal(view.services.find((s) => s.service === "api")?.error, "blocked by lib");
    assert.equal(stageMayGrow(view, "lib", "build"), false);
    const ended = foldJournal("20261206-020000-abcd", [...start, { type: "run-finished", runId: "20261206-020000-abcd", at, durationMs: 5, outcome: "cancelled" }], graph);
    assert.equal(ended.status, "cancelled");
    assert.equal(stageMayGrow(ended, "lib", "build"), false);
    assert.equal(ended.services.find((s) => s.service === "lib")?.stages[0]?.state, "cancelled");
  });
  it("from a stored record, for runs without a journal", () => {
    const view = fromRecord(
      { id: "r1", startedAt: at, status: "passed", durationMs: 9, services: [{ service: "api", outcome: "built", contentHash: "h", digest: "sha256:x", references: [], stages: [{ stage: "build", status: "passed", durationMs: 3, logFile: "l" }], reasons: ["new"], durationMs: 9 }] },
      graph,
    );
    assert.deepEqual(view.services, [{ service: "api", dependsOn: [], state: "built", reasons: ["new"], stages: [{ stage: "build", state: "passed", durationMs: 3 }], digest: "sha256:x", durationMs: 9 }]);
  });
  it("the journal keeps every event but stage output, and a reader leaves a half-written line for later", () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-journal-"));
    try {
      const write = runJournal(dir);
      for (const e of start) write(e);
      const path = journalPath(dir, "20261206-020000-abcd");
      const first = readJournal(path);
      assert.deepEqual(first.events, start.filter((e) => e.type !== "stage-output"));
      appendFileSync(path, '{"type":"stage-fin');
      const second = readJournal(path, first.offset);
      assert.deepEqual(second, { events: [], offset: first.offset });
      appendFileSync(path, 'ished","service":"lib","stage":"build","status":"passed","durationMs":1,"logFile":"x"}\n');
      assert.equal(readJournal(path, second.offset).events[0]?.type, "stage-finished");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
