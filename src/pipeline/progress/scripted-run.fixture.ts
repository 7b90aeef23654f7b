// A realistic `slipway ci` run of the drone-delivery example, for the
// renderers' tests: package is up to date, delivery is built, workflow fails
// its container test, and ingestion, which depends on workflow, is blocked.
import type { PipelineEvent, StageName } from "../events.js";

const at = (second: number): string => new Date(Date.UTC(2025, 5, 12, 10, 0, second)).toISOString();
export const runId = "r-20250612-0007";
const logDir = `.slipway/runs/${runId}`;
export const workflowContainerTestLog = `${logDir}/workflow/container-test.log`;

const started = (service: string, stage: StageName, second: number): PipelineEvent => ({ type: "stage-started", service, stage, at: at(second) });
const passed = (service: string, stage: StageName, durationMs: number, detail?: string): PipelineEvent => ({
  type: "stage-finished",
  service,
  stage,
  status: "passed",
  durationMs,
  logFile: `${logDir}/${service}/${stage}.log`,
  ...(detail === undefined ? {} : { detail }),
});

export const scriptedRun: PipelineEvent[] = [
  { type: "run-started", runId, at: at(0), commit: "3f9c2a1b7d4e8a6f0c5b2d9e1a7f3c8b4d6e0a2f", services: ["package", "delivery", "workflow", "ingestion"], concurrency: 2 },
  {
    type: "service-up-to-date",
    service: "package",
    hash: "5d0e6f1a2b3c",
    digest: "sha256:9a1f0c3e5b7d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a",
    reference: "127.0.0.1:5101/drone-delivery/package:h-5d0e6f1a2b3c",
  },
  {
    type: "service-finished",
    service: "package",
    outcome: "up-to-date",
    durationMs: 40,
    digest: "sha256:9a1f0c3e5b7d2f4a6c8e0b1d3f5a7c9e2b4d6f8a0c1e3b5d7f9a2c4e6b8d0f1a",
    references: ["127.0.0.1:5101/drone-delivery/package:h-5d0e6f1a2b3c"],
  },
  { type: "service-queued", service: "delivery", hash: "8b2e4d6f0a1c", reasons: ["source changed: handler.go, geo.go"] },
  { type: "service-queued", service: "workflow", hash: "3f9c2a1b7d4e", reasons: ["no image with this content hash in the dev registry"] },
  { type: "service-queued", service: "ingestion", hash: "c7a9e1b3d5f0", reasons: ["dependency workflow changed"] },
  started("delivery", "build", 0),
  started("workflow", "build", 0),
  { type: "stage-output", service: "delivery", stage: "build", line: "go: downloading github.com/google/uuid v1.6.0" },
  { type: "stage-output", service: "workflow", stage: "build", line: "Successfully installed flask-3.0.3" },
  passed("workflow", "build", 8400),
  started("workflow", "unit-test", 8),
  passed("delivery", "build", 12300),
  started("delivery", "unit-test", 12),
  { type: "stage-output", service: "delivery", stage: "unit-test", line: "ok  \tdrone-delivery/delivery\t0.412s" },
  passed("workflow", "unit-test", 5100),
  started("workflow", "image", 14),
  passed("delivery", "unit-test", 4000),
  started("delivery", "image", 16),
  passed("workflow", "image", 9800),
  started("workflow", "container-test", 24),
  passed("delivery", "image", 11200),
  started("delivery", "container-test", 27),
  passed("delivery", "container-test", 3300, "1 of 1 container tests passed"),
  started("delivery", "push", 31),
  passed("delivery", "push", 2100),
  {
    type: "service-finished",
    service: "delivery",
    outcome: "built",
    durationMs: 33100,
    digest: "sha256:4c6e8a0b2d4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c",
    references: ["127.0.0.1:5101/drone-delivery/delivery:h-8b2e4d6f0a1c", "127.0.0.1:5101/drone-delivery/delivery:0.4.0-dev.7"],
  },
  {
    type: "stage-finished",
    service: "workflow",
    stage: "container-test",
    status: "failed",
    durationMs: 60600,
    logFile: workflowContainerTestLog,
    detail: "health check GET /healthz on port 8080 did not pass within 60s",
    logTail: [
      '  File "/app/workflow_service/settings.py", line 12, in <module>',
      '    PACKAGE_URL = os.environ["PACKAGE_URL"]',
      "\u001b[31mKeyError\u001b[0m: 'PACKAGE_URL'",
    ],
  },
  { type: "stage-finished", service: "workflow", stage: "push", status: "skipped", durationMs: 0, logFile: `${logDir}/workflow/push.log`, detail: "an earlier stage failed" },
  {
    type: "service-finished",
    service: "workflow",
    outcome: "failed",
    durationMs: 84700,
    error: "container-test failed: health check GET /healthz on port 8080 did not pass within 60s",
  },
  { type: "service-finished", service: "ingestion", outcome: "blocked", durationMs: 0, blockedBy: "workflow" },
  { type: "run-finished", runId, at: at(85), durationMs: 85200, outcome: "failed" },
];
