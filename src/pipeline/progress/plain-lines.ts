// For CI logs and pipes: one line per event a person cares about, no
// colours, no timestamps (the CI system adds its own), durations where a
// step ends. Stage output is left to the log files: interleaved from several
// services at once it would bury everything else.
import type { PipelineEvent } from "../events.js";
import { painter, sanitizeLogLine } from "./ansi.js";
import { formatDuration, shortCommit } from "./format.js";
import { failureReport, runSummary } from "./run-report.js";
import { RunProgress } from "./run-progress.js";
import type { ProgressRenderer, ProgressSink } from "./types.js";

const noColor = painter(false);

export function plainLinesRenderer(write: ProgressSink): ProgressRenderer {
  const progress = new RunProgress();
  const announcedUpToDate = new Set<string>();

  function describe(event: PipelineEvent): string[] {
    switch (event.type) {
      case "run-started": {
        const commit = event.commit === undefined ? "" : ` at commit ${shortCommit(event.commit)}`;
        return [`run ${event.runId}${commit}: ${event.services.length} services (${event.services.join(", ")}), ${event.concurrency} at a time`];
      }
      case "service-queued":
        return [`[${event.service}] queued${event.reasons.length === 0 ? "" : ` (${event.reasons.join("; ")})`}`];
      case "service-up-to-date":
        announcedUpToDate.add(event.service);
        return [`[${event.service}] up to date: ${event.reference}`];
      case "stage-started":
        return [`[${event.service}] ${event.stage} started`];
      case "stage-output":
        return [];
      case "stage-finished": {
        const failure = progress.failures.at(-1); // this event's, as apply() ran first
        if (event.status === "failed" && failure !== undefined) return failureReport(failure, noColor);
        const detail = event.detail === undefined ? "" : `: ${sanitizeLogLine(event.detail)}`;
        if (event.status === "skipped") return [`[${event.service}] ${event.stage} skipped${detail}`];
        return [`[${event.service}] ${event.stage} ${event.status} (${formatDuration(event.durationMs)})${detail}`];
      }
      case "service-warning":
        return [`[${event.service}] warning: ${sanitizeLogLine(event.message)}`];
      case "service-finished":
        return describeServiceFinished(event);
      case "run-finished":
        return runSummary(progress, noColor);
    }
  }

  function describeServiceFinished(event: Extract<PipelineEvent, { type: "service-finished" }>): string[] {
    const took = `(${formatDuration(event.durationMs)})`;
    switch (event.outcome) {
      case "up-to-date":
        return announcedUpToDate.has(event.service) ? [] : [`[${event.service}] up to date`];
      case "built": {
        const pushed = event.references?.join(", ") ?? event.digest;
        return [`[${event.service}] built ${took}${pushed === undefined ? "" : `: ${pushed}`}`];
      }
      case "failed": {
        // A stage failure has been reported in full already; repeat only what is new.
        const error = event.error === undefined || progress.hasStageFailure(event.service) ? "" : `: ${sanitizeLogLine(event.error)}`;
        return [`[${event.service}] failed ${took}${error}`];
      }
      case "blocked":
        return [`[${event.service}] blocked${event.blockedBy === undefined ? "" : `: dependency ${event.blockedBy} failed`}`];
      case "cancelled":
        return [`[${event.service}] cancelled ${took}`];
    }
  }

  return {
    listener: (event) => {
      progress.apply(event, Date.now());
      for (const line of describe(event)) write(line + "\n");
    },
    dispose: () => {},
  };
}
