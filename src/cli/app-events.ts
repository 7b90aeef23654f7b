// The CLI's face of the application layer's events: each becomes the line a
// person reads (results on stdout, diagnostics on stderr).
import type { AppEvent, Endpoints, Reporter } from "../app/events.js";
import type { DriveResult } from "../app/drive.js";
import { followedLine, progressLine } from "../delivery/controller/progress-line.js";
import { paint, type Output } from "./output.js";

/** "endpoint http://127.0.0.1:4309, preview http://127.0.0.1:14309" */
export function endpointsText(e: Endpoints): string {
  return `endpoint ${e.endpoint}${e.preview === undefined ? "" : `, preview ${e.preview}`}`;
}

/**
 * Prints events as lines. Progress repeats only when it changed; with
 * `prefixService` every line of a service starts with `[service]` (the
 * controller interleaves many).
 */
export function lineReporter(output: Output, opts: { json: boolean; prefixService?: boolean }): Reporter {
  const last = new Map<string, string>();
  const changed = (key: string, line: string): boolean => {
    const was = last.get(key);
    last.set(key, line);
    return was !== line;
  };
  const tag = (event: AppEvent): string => (opts.prefixService === true && "service" in event ? `[${event.service}] ` : "");
  const out = (event: AppEvent, line: string): void => output.out(tag(event) + line);
  const err = (event: AppEvent, line: string): void => output.err(tag(event) + line);
  return {
    emit(event) {
      switch (event.type) {
        case "rollout.started":
          if (event.cause === "rollback") out(event, `rollout ${event.rolloutId}: rolling ${event.service} back to ${event.targetRevision}${event.version ? ` (${event.version})` : ""}`);
          else out(event, `rollout ${event.rolloutId}: ${event.service} → ${event.image} (${event.targetRevision}) in ${event.environment}${event.cause === "deploy" ? `, ${event.strategy}` : ""}; ${endpointsText(event.endpoints)}`);
          return;
        case "rollout.progress": {
          const line = progressLine(event.state, event.observed, event.stepCount);
          if (changed(event.rolloutId, line) && !opts.json) out(event, line);
          return;
        }
        case "rollout.retrying":
          return err(event, paint(output, "yellow", `retrying: ${event.message}`));
        case "rollout.following":
          return err(event, `the controller of this rollout runs in process ${event.pid}; following it`);
        case "rollout.followed": {
          const line = followedLine(event.state, event.stepCount);
          if (changed(event.rolloutId, line)) out(event, line);
          return;
        }
        case "instances.orphansRemoved":
          return err(event, `removed ${event.names.length} orphaned instance(s): ${event.names.join(", ")}`);
        case "controller.driving":
          return out(event, `driving rollout ${event.rolloutId} (${event.strategy}) from ${event.phase}`);
        case "controller.driveFailed":
          return err(event, `stopped driving ${event.rolloutId}: ${event.message}; trying again in ${event.retryInMs / 1000} s`);
        case "repair.log":
          return out(event, event.line);
        case "repair.failed":
          return err(event, `replica repair failed: ${event.message}; trying again in ${event.retryInMs / 1000} s`);
        case "image.pulled":
          return output.err(`pulled ${event.image}`);
        case "restore.skipped":
          return output.out(`${event.service}: already runs ${event.image} in ${event.environment}; skipped`);
        case "integration.started":
          if (!opts.json) output.out(`integration tests ${event.id} in ${event.environment}: ${Object.entries(event.deployed).map(([s, d]) => `${s} ${d.slice(0, 19)}`).join(", ")}`);
          return;
        case "integration.result": {
          const r = event.result;
          if (!opts.json) output.out(`${r.passed ? paint(output, "green", "✓") : paint(output, "red", "✗")} ${r.name} (${(r.durationMs / 1000).toFixed(1)}s): ${r.detail}`);
          return;
        }
        case "compatibility.started":
          if (!opts.json) output.out(`compatibility ${event.id}: ${event.service} at ${event.digest.slice(0, 19)} beside what ${event.environment} runs, deployed into ${event.scratch}`);
          return;
        case "loadtest.started":
          if (!opts.json) output.out(`load test ${event.scenario} (${event.id}) in ${event.environment}: ${event.url} for ${event.rampSeconds === undefined ? "" : `a ${event.rampSeconds} s ramp, then `}${event.durationSeconds} s`);
          return;
        case "deploy.note":
          return out(event, event.message);
        case "rollback.path":
          if (event.live >= event.desired) return out(event, `${event.revision} still runs (kept warm after the last update): moving the traffic back`);
          return out(event, `${event.revision} has ${event.live} of ${event.desired} instances left (its scale-down delay had passed): re-creating ${event.desired - event.live}; traffic moves as they become ready`);
        case "scaleDown.handedOver":
          if (!opts.json) out(event, `${event.revisions.join(", ")} kept running for a rollback (a weight flip) until ${new Date(event.untilMs).toISOString()}, then scaled down in the background by the ${event.by}`);
          return;
        case "service.undeployed":
          return out(event, `${event.service}: undeployed from ${event.environment} (${event.instances} instance${event.instances === 1 ? "" : "s"} drained and stopped${event.revision === undefined ? "" : `; ${event.revision} no longer serves`})`);
        case "group.started":
          return output.out(`${event.action === "promote" ? "promoting" : "rolling back"} ${event.environment} ${event.detail} as one group (${event.groupId}): ${event.services.join(" → ")}`);
        case "group.step":
          return out(event, `[group] ${event.message}`);
        case "group.rollingBack":
          return output.out(paint(output, "red", `${event.failed} failed (${event.reason}): rolling the group back, dependents first`));
        case "group.finished":
          return output.out(`${event.environment}: ${event.result} — recorded as lock ${event.lockNumber}`);
        case "warning":
          return output.err(paint(output, "yellow", event.message));
      }
    },
  };
}

/**
 * How a drive ended, for a person, and the exit code: 0 when the rollout
 * ended as expected (healthy; aborted for `rollout abort`) or paused as
 * asked, 130 when interrupted. A followed rollout was reported as it went.
 */
export function reportDriveEnd(output: Output, json: boolean, service: string, environment: string, result: DriveResult): number {
  const { end, rolloutId, expected } = result;
  if (result.followedFrom !== undefined) return end.kind === "complete" ? (end.outcome === expected ? 0 : 1) : 0;
  const where = `${service} --env ${environment}`;
  if (json) output.out(JSON.stringify({ rollout: rolloutId, end: end.kind, outcome: end.kind === "complete" ? end.outcome : undefined, state: end.state }));
  if (end.kind === "complete") {
    if (!json) output.out(`${end.outcome === "healthy" ? paint(output, "green", "healthy") : paint(output, "red", end.outcome)}: rollout ${rolloutId}${end.state.abortReason ? ` (${end.state.abortReason})` : ""}`);
    return end.outcome === expected ? 0 : 1;
  }
  if (end.kind === "interrupted") {
    if (!json) output.out(`stopped watching; rollout ${rolloutId} stays where it is — continue with \`slipway rollout resume ${where}\``);
    return 130;
  }
  if (!json) {
    const why = end.state.userPaused ? "paused by `slipway rollout pause`" : (end.state.pause?.reason ?? "paused");
    output.out(`${paint(output, "yellow", "paused")}: ${why} — continue with \`slipway rollout ${end.state.userPaused ? "resume" : "promote"} ${where}\``);
  }
  return 0;
}
