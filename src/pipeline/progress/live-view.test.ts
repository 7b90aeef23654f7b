import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it, mock } from "node:test";
import type { PipelineEvent } from "../events.js";
import { cursor, stripAnsi } from "./ansi.js";
import { liveViewRenderer, redrawIntervalMs } from "./live-view.js";
import { runId, scriptedRun, workflowContainerTestLog } from "./scripted-run.fixture.js";

interface Screen {
  chunks: string[];
  listener: (event: PipelineEvent) => void;
  dispose: () => void;
  /** Everything written, as the lines a person would read: escapes and carriage returns removed. */
  visibleLines: () => string[];
}

function liveScreen(columns = 100, color = false): Screen {
  const chunks: string[] = [];
  const view = liveViewRenderer({ write: (chunk) => chunks.push(chunk), color, columns });
  return {
    chunks,
    listener: view.listener,
    dispose: () => view.dispose(),
    visibleLines: () => stripAnsi(chunks.join("")).replace(/\r/g, "").split("\n"),
  };
}

/** Plays the scripted run with `stepMs` between events, as a real run would spread them out. */
function playScriptedRun(screen: Screen, stepMs = 700): void {
  for (const event of scriptedRun) {
    screen.listener(event);
    mock.timers.tick(stepMs);
  }
}

const at = "2025-06-12T10:00:00.000Z";
const runStarted: PipelineEvent = { type: "run-started", runId: "r-1", at, commit: undefined, services: ["api", "web"], concurrency: 1 };

describe("liveViewRenderer", () => {
  beforeEach(() => mock.timers.enable({ apis: ["setInterval", "Date"], now: 0 }));
  afterEach(() => {
    mock.restoreAll();
    mock.timers.reset();
  });

  it("ends with the final table, then the summary, then shows the cursor again", () => {
    const screen = liveScreen();
    playScriptedRun(screen);
    const lines = screen.visibleLines();
    const finalTable = lines.slice(lines.lastIndexOf("service    build     unit-test  image     container-test  push      outcome") + 1);
    assert.deepEqual(finalTable, [
      "package    up to date  package:h-5d0e6f1a2b3c",
      "delivery   ✓ 12.3s   ✓ 4.0s     ✓ 11.2s   ✓ 3.3s          ✓ 2.1s    built",
      "workflow   ✓ 8.4s    ✓ 5.1s     ✓ 9.8s    ✗ 1m 01s        –         failed",
      "ingestion  –         –          –         –               –         blocked by workflow",
      "",
      `run ${runId} failed in 1m 25s: 1 built, 1 up to date, 1 failed, 1 blocked`,
      `  failed: workflow at container-test, log: ${workflowContainerTestLog}`,
      "  blocked: ingestion, dependency workflow failed",
      "",
    ]);
    const output = screen.chunks.join("");
    assert.ok(output.endsWith(cursor.show), "the cursor is shown again at the end");
    assert.equal(output.split(cursor.hide).length - 1, 1, "hidden once");
    assert.equal(output.split(cursor.show).length - 1, 1, "shown once");
  });

  it("prints a failed stage's report once, above the table, so it stays in the scrollback", () => {
    const screen = liveScreen(120);
    playScriptedRun(screen);
    const lines = screen.visibleLines();
    const heading = "[workflow] container-test failed (1m 01s): health check GET /healthz on port 8080 did not pass within 60s";
    assert.equal(lines.filter((line) => line === heading).length, 1);
    const report = lines.slice(lines.indexOf(heading), lines.indexOf(heading) + 5);
    assert.deepEqual(report.slice(1, 5), [
      '    |   File "/app/workflow_service/settings.py", line 12, in <module>',
      '    |     PACKAGE_URL = os.environ["PACKAGE_URL"]',
      "    | KeyError: 'PACKAGE_URL'",
      `  log: ${workflowContainerTestLog}`,
    ]);
  });

  it("shows running stages with a spinner and elapsed seconds, pending cells and queued services", () => {
    const screen = liveScreen();
    screen.listener(runStarted);
    screen.listener({ type: "service-queued", service: "api", hash: "a", reasons: [] });
    screen.listener({ type: "service-queued", service: "web", hash: "w", reasons: [] });
    screen.listener({ type: "stage-started", service: "api", stage: "build", at });
    mock.timers.tick(3000);
    const frame = screen.visibleLines().slice(-5, -1);
    assert.equal(frame[0], "slipway ci · 3s · run r-1 · 1 at a time");
    assert.match(frame[2] ?? "", /^api +[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] 3s +· +· +· +·$/);
    assert.match(frame[3] ?? "", /^web +· +· +· +· +· +queued$/);
    screen.dispose();
  });

  it("draws at most ten frames a second however fast events arrive", () => {
    const screen = liveScreen();
    screen.listener(runStarted);
    mock.timers.tick(redrawIntervalMs);
    const before = screen.chunks.length;
    for (let ms = 0; ms < 1000; ms += 2) {
      const service = ms % 4 === 0 ? "api" : "web";
      screen.listener({ type: "stage-started", service, stage: "build", at });
      screen.listener({ type: "stage-finished", service, stage: "build", status: "passed", durationMs: ms, logFile: "build.log" });
      mock.timers.tick(2);
    }
    const frames = screen.chunks.length - before;
    assert.ok(frames <= 1000 / redrawIntervalMs, `${frames} frames in one second`);
    assert.ok(frames >= 1000 / redrawIntervalMs - 1, `${frames} frames in one second`);
    screen.dispose();
  });

  it("clears its timer when the run finishes, so the process can exit", () => {
    const cleared = mock.method(globalThis, "clearInterval");
    const screen = liveScreen();
    playScriptedRun(screen);
    assert.equal(cleared.mock.callCount(), 1);
    const written = screen.chunks.length;
    mock.timers.tick(10_000);
    assert.equal(screen.chunks.length, written, "nothing drawn after run-finished");
  });

  it("restores the cursor and stops drawing when disposed mid-run (Ctrl-C)", () => {
    const screen = liveScreen();
    screen.listener(runStarted);
    screen.listener({ type: "stage-started", service: "api", stage: "build", at });
    mock.timers.tick(500);
    assert.ok(screen.chunks.join("").includes(cursor.hide));
    screen.dispose();
    screen.dispose();
    assert.equal(screen.chunks.at(-1), cursor.show);
    const written = screen.chunks.length;
    screen.listener({ type: "stage-finished", service: "api", stage: "build", status: "passed", durationMs: 600, logFile: "build.log" });
    mock.timers.tick(1000);
    assert.equal(screen.chunks.length, written);
  });

  it("writes nothing on dispose if it never drew", () => {
    const screen = liveScreen();
    screen.dispose();
    assert.deepEqual(screen.chunks, []);
  });

  for (const columns of [30, 40, 60, 80, 120]) {
    it(`keeps every line within ${columns} columns, except whole log paths`, () => {
      const screen = liveScreen(columns, true);
      playScriptedRun(screen, 150);
      const pathLines = [`  log: ${workflowContainerTestLog}`, `  failed: workflow at container-test, log: ${workflowContainerTestLog}`];
      for (const line of screen.visibleLines()) {
        if (pathLines.includes(line)) continue;
        assert.ok([...line].length <= columns, `${[...line].length} > ${columns}: ${line}`);
      }
      const lines = screen.visibleLines();
      for (const pathLine of pathLines) assert.ok(lines.includes(pathLine), `log path printed whole: ${pathLine}`);
    });
  }
});
