// `slipway release`, `approve`, `releases`, `verify`, `audit`: faces over
// src/app/release.ts. The identity acting is the local claim
// (SLIPWAY_IDENTITY, git user.email or the OS user); the server passes an
// authenticated one instead.
import { approveEnvironmentEntry } from "../../app/promotion.js";
import { approveRelease, auditLog, listReleases, rejectRelease, releaseServices, verifyAuditLog, verifyRelease, type ReleaseServicesResult, type ServiceReleases } from "../../app/release.js";
import { SlipwayError } from "../../domain/errors.js";
import { shortDigest } from "../../domain/promotion-path.js";
import { currentIdentity } from "../../release/identity.js";
import type { ApproveResult, ReleaseOutcome } from "../../release/release-service.js";
import type { AuditEntry, AuditVerification, ReleaseRecord } from "../../release/types.js";
import { paint, type Output } from "../output.js";
import type { CommandContext } from "../main.js";

export async function releaseCommand({ output, globals }: CommandContext, services: string[], opts: { version?: string; prerelease?: string; all?: boolean }): Promise<number> {
  return printReleaseResult(output, globals.json, await releaseServices(globals.config, currentIdentity(), services, opts));
}

/** `release`'s answer, from this machine or from a server; the exit code (RELEASE_BLOCKED's when one waits). */
export function printReleaseResult(output: Output, json: boolean, result: ReleaseServicesResult): number {
  if (result.kind === "nothing-to-release") {
    output.out("nothing to release: every service's tested digest is already its newest release");
    return 0;
  }
  if (json) output.out(JSON.stringify({ outcomes: result.outcomes }));
  else for (const outcome of result.outcomes) printOutcome(output, outcome);
  return result.outcomes.some((o) => o.kind === "blocked") ? new SlipwayError("RELEASE_BLOCKED", "").exitCode : 0;
}

function printOutcome(output: Output, outcome: ReleaseOutcome): void {
  const r = outcome.release;
  if (outcome.kind === "released") {
    output.out(`${paint(output, "green", "✓")} released ${r.id}: ${r.targetRef} = ${r.digest}`);
    output.out(`  ${r.changeType} release, ${outcome.copied.blobs} blobs copied (${(outcome.copied.bytes / 1e6).toFixed(1)} MB), ${outcome.copied.skipped} already there; signed, provenance attached`);
    if (outcome.nothingToDo.length > 0) output.out(`  required stage${outcome.nothingToDo.length > 1 ? "s" : ""} ${outcome.nothingToDo.join(", ")}: nothing to do for this service (no commands), counted as passed`);
  } else if (outcome.kind === "already-released") {
    output.out(`${paint(output, "green", "✓")} ${r.id} is already released: ${r.targetRef ?? r.digest}`);
  } else {
    output.out(`${paint(output, "yellow", "…")} ${r.id} (${r.changeType}, ${r.digest.slice(0, 19)}) is waiting:`);
    for (const b of outcome.evaluation.blockers) output.out(`  - ${b.message}\n    to go ahead: ${b.howToSatisfy}`);
  }
}

export async function approveCommand({ output, globals }: CommandContext, releaseId: string, opts: { comment?: string }): Promise<number> {
  const identity = currentIdentity();
  printApproved(output, globals.json, releaseId, identity.name, await approveRelease(globals.config, identity, releaseId, opts.comment));
  return 0;
}

/** `approve --env`: a service's digest may enter the environment with this person's approval. */
export async function approveEntryCommand({ output, globals }: CommandContext, environment: string, arg: string, opts: { comment?: string }): Promise<number> {
  const [service = "", digest] = arg.split("@", 2);
  const result = await approveEnvironmentEntry(globals.config, currentIdentity(), environment, service, { ...(digest === undefined ? {} : { digest }), ...opts });
  if (globals.json) output.out(JSON.stringify(result));
  else output.out(`${paint(output, "green", "✓")} ${result.added ? "approved" : "already approved"} ${result.service}@${shortDigest(result.digest)} to enter ${result.environment} as ${result.approver} (${result.counted}/${result.needed} approvals)`);
  return 0;
}

/** `approve`'s answer, from this machine or from a server. */
export function printApproved(output: Output, json: boolean, releaseId: string, approver: string, result: ApproveResult): void {
  if (json) {
    output.out(JSON.stringify(result));
    return;
  }
  output.out(`${paint(output, "green", "✓")} approved ${releaseId} as ${approver} (${result.evaluation.approvalsCounted}/${result.evaluation.approvalsNeeded} approvals)`);
  if (result.evaluation.allowed) output.out(`  ready: \`slipway release ${result.release.service} --version ${result.release.version}\` promotes it`);
  else for (const b of result.evaluation.blockers) output.out(`  still waiting: ${b.message} (${b.howToSatisfy})`);
}

export async function rejectCommand({ output, globals }: CommandContext, releaseId: string, opts: { reason: string }): Promise<number> {
  printRejected(output, globals.json, await rejectRelease(globals.config, currentIdentity(), releaseId, opts.reason));
  return 0;
}

/** `reject`'s answer, from this machine or from a server. */
export function printRejected(output: Output, json: boolean, release: ReleaseRecord): void {
  if (json) output.out(JSON.stringify({ release }));
  else output.out(`${paint(output, "red", "✗")} ${release.id} ${release.statusDetail ?? "rejected"}; \`slipway release ${release.service}\` requests it again`);
}

export async function releasesCommand({ output, globals }: CommandContext, service: string | undefined): Promise<number> {
  printReleases(output, globals.json, await listReleases(globals.config, service));
  return 0;
}

/** `releases`, from this machine or from a server. */
export function printReleases(output: Output, json: boolean, rows: readonly ServiceReleases[]): void {
  if (json) {
    output.out(JSON.stringify({ services: rows }));
    return;
  }
  for (const row of rows) {
    output.out(paint(output, "bold", row.service));
    const integration = row.dev?.integrationRun ? `integration tests passed in ${row.dev.integrationRun.environment} (${row.dev.integrationRun.id})` : "no integration test run with it";
    output.out(`  dev   ${row.dev ? `${row.dev.digest.slice(0, 19)}  commit ${(row.dev.commit ?? "-").slice(0, 7)}  run ${row.dev.runId}  ${integration}` : "no tested image"}`);
    if (row.dev?.attested !== undefined) output.out(`        attested (verified against trust:): ${row.dev.attested.length > 0 ? row.dev.attested.join(", ") : "nothing"}`);
    if (row.releases.length === 0) output.out("  prod  nothing released");
    for (const r of row.releases) {
      const who = r.approvals.length > 0 ? r.approvals.join(", ") : "no approvals";
      output.out(`  prod  ${r.version.padEnd(12)} ${r.digest.slice(0, 19)}  commit ${(r.commit ?? "-").slice(0, 7)}  run ${r.runId ?? "-"}  ${r.state}  approvals: ${who}  signature: ${r.signature}`);
      if (r.runsIn.length > 0) output.out(`        runs in ${r.runsIn.map((p) => (p.as === "serving" ? p.environment : `${p.environment} (rolling out)`)).join(", ")}`);
      for (const a of r.abortedIn) output.out(`        aborted in ${a.environment} by rollout ${a.rolloutId}${a.reason ? `: ${a.reason}` : ""}; a plain \`slipway deploy ${row.service} --env ${a.environment}\` skips it`);
      for (const b of r.blockers ?? []) output.out(`        ${b.message} (${b.rule}); to go ahead: ${b.howToSatisfy}`);
    }
  }
}

export async function verifyCommand({ output, globals }: CommandContext, image: string, opts: { key?: string }): Promise<number> {
  const { error, ...report } = await verifyRelease(globals.config, image, opts);
  if (globals.json) output.out(JSON.stringify(report));
  else {
    const mark = (good: boolean): string => (good ? paint(output, "green", "✓") : paint(output, "red", "✗"));
    output.out(`${image} → ${report.digest ?? "?"}`);
    output.out(`  ${mark(report.signature.ok)} signature: ${report.signature.detail}`);
    output.out(`  ${mark(report.provenance.ok)} provenance: ${report.provenance.detail}`);
    output.out(`  ${mark(report.provenanceSignature?.ok === true)} provenance signature: ${report.provenanceSignature?.detail ?? "no provenance to check"}`);
    for (const a of report.attestations ?? []) output.out(`  ${mark(a.passed)} attested ${a.kind}: ${a.passed ? a.detail : (a.reason ?? a.detail)}`);
  }
  return error === undefined ? 0 : error.exitCode;
}

export async function auditCommand({ output, globals }: CommandContext, opts: { limit: string }): Promise<number> {
  printAudit(output, globals.json, await auditLog(globals.config, Number(opts.limit) || 50));
  return 0;
}

export function printAudit(output: Output, json: boolean, entries: readonly AuditEntry[]): void {
  if (json) output.out(JSON.stringify({ entries }));
  else for (const e of entries) output.out(`${String(e.seq).padStart(5)}  ${e.at.slice(0, 19).replace("T", " ")}  ${e.actor.padEnd(24)} ${e.action.padEnd(18)} ${e.subject}  ${JSON.stringify(e.detail)}`);
}

export async function auditVerifyCommand({ output, globals }: CommandContext): Promise<number> {
  return printAuditVerify(output, globals.json, await verifyAuditLog(globals.config));
}

/** Prints the hash chain's verdict; the exit code (AUDIT_TAMPERED's when it is broken). */
export function printAuditVerify(output: Output, json: boolean, result: AuditVerification): number {
  if (json) output.out(JSON.stringify(result));
  else if (result.ok) output.out(`${paint(output, "green", "✓")} audit log intact: ${result.entries} entries, hash chain verified`);
  else {
    output.out(`${paint(output, "red", "✗")} audit log tampered with:`);
    for (const p of result.problems) output.out(`  ${p}`);
  }
  return result.ok ? 0 : new SlipwayError("AUDIT_TAMPERED", "").exitCode;
}
