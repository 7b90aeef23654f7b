import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PipelineEvent } from "../events.js";
import { plainLinesRenderer } from "./plain-lines.js";
import { scriptedRun } from "./scripted-run.fixture.js";

function render(events: PipelineEvent[]): string {
  let text = "";
  const renderer = plainLinesRenderer((chunk) => (text += chunk));
  for (const event of events) renderer.listener(event);
  return text;
}

describe("plainLinesRenderer", () => {
  it("prints a run as lines a person can follow in a CI log", () => {
    const expected = [
      "run r-20250612-0007 at commit 3f9c2a1b7d4e: 4 services (package, delivery, workflow, ingestion), 2 at a time",
      "[package] up to date: 127.0.0.1:5101/drone-delivery/package:h-5d0e6f1a2b3c",
      "[delivery] queued (source changed: handler.go, geo.go)",
      "[workflow] queued (no image with this content hash in the dev registry)",
      "[ingestion] queued (dependency workflow changed)",
      "[delivery] build started",
      "[workflow] build started",
      "[workflow] build passed (8.4s)",
      "[workflow] unit-test started",
      "[delivery] build passed (12.3s)",
      "[delivery] unit-test started",
      "[workflow] unit-test passed (5.1s)",
      "[workflow] image started",
      "[delivery] unit-test passed (4.0s)",
      "[delivery] image started",
      "[workflow] image passed (9.8s)",
      "[workflow] container-test started",
      "[delivery] image passed (11.2s)",
      "[delivery] container-test started",
      "[delivery] container-test passed (3.3s): 1 of 1 container tests passed",
      "[delivery] push started",
      "[delivery] push passed (2.1s)",
      "[delivery] built (33.1s): 127.0.0.1:5101/drone-delivery/delivery:h-8b2e4d6f0a1c, 127.0.0.1:5101/drone-delivery/delivery:0.4.0-dev.7",
      "[workflow] container-test failed (1m 01s): health check GET /healthz on port 8080 did not pass within 60s",
      '    |   File "/app/workflow_service/settings.py", line 12, in <module>',
      '    |     PACKAGE_URL = os.environ["PACKAGE_URL"]',
      "    | KeyError: 'PACKAGE_URL'",
      "  log: .slipway/runs/r-20250612-0007/workflow/container-test.log",
      "[workflow] push skipped: an earlier stage failed",
      "[workflow] failed (1m 25s)",
      "[ingestion] blocked: dependency workflow failed",
      "run r-20250612-0007 failed in 1m 25s: 1 built, 1 up to date, 1 failed, 1 blocked",
      "  failed: workflow at container-test, log: .slipway/runs/r-20250612-0007/workflow/container-test.log",
      "  blocked: ingestion, dependency workflow failed",
      "",
    ].join("\n");
    assert.equal(render(scriptedRun), expected);
  });

  it("never writes an escape code, even when a tool's log tail has colours", () => {
    assert.ok(!render(scriptedRun).includes("\u001b"));
  });

  it("reports the error of a service that failed outside any stage, and counts cancellations", () => {
    const text = render([
      { type: "run-started", runId: "r-1", at: "2025-06-12T10:00:00.000Z", commit: undefined, services: ["api", "web"], concurrency: 1 },
      { type: "service-finished", service: "api", outcome: "failed", durationMs: 300, error: "Dockerfile not found\nin services/api" },
      { type: "stage-started", service: "web", stage: "build", at: "2025-06-12T10:00:01.000Z" },
      { type: "stage-finished", service: "web", stage: "build", status: "cancelled", durationMs: 1500, logFile: "web/build.log" },
      { type: "service-finished", service: "web", outcome: "cancelled", durationMs: 1500 },
      { type: "run-finished", runId: "r-1", at: "2025-06-12T10:00:02.000Z", durationMs: 2000, outcome: "cancelled" },
    ]);
    assert.equal(
      text,
      [
        "run r-1: 2 services (api, web), 1 at a time",
        "[api] failed (0.3s): Dockerfile not found in services/api",
        "[web] build started",
        "[web] build cancelled (1.5s)",
        "[web] cancelled (1.5s)",
        "run r-1 cancelled in 2.0s: 1 failed, 1 cancelled",
        "  failed: api: Dockerfile not found in services/api",
        "",
      ].join("\n"),
    );
  });
});
