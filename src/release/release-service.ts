// `slipway release`: promotes the exact digest CI tested from the dev to the
// prod registry under the release policy — never rebuilding. Order matters
// for safety: copy everything by digest, sign it, attach provenance, and only
// then write the version tag, so an interrupted release leaves no tag and a
// rerun completes it. A prod tag never moves to another digest.
import { join } from "node:path";
import type { LoadedService, LoadedSystem } from "../config/load-system.js";
import { repositoryPath, renderTag } from "../domain/image-names.js";
import { SlipwayError } from "../domain/errors.js";
import { findNamed } from "../domain/unknown-name.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import { canApprove, canReject, changeTypeOf, effectivePolicy, evaluateRelease, expandOwners, strategyKindOf, type ReleaseEvaluation } from "../domain/release-policy.js";
import { GitRepo, findRepoRoot } from "../git/git-repo.js";
import { copyImage } from "../registry/copy-image.js";
import type { RegistryClient } from "../registry/types.js";
import type { PipelineRunStore } from "../store/types.js";
import type { IntegrationRunStore } from "../pipeline/integration-tests.js";
import type { Identity } from "./identity.js";
import { attestationTag } from "./attestations/cosign-att.js";
import { evidenceFor, type EvidenceReport, type VerifiedAttestationCache } from "./attestations/evidence.js";
import { standingOf, type TrustedKey } from "./attestations/read-evidence.js";
import type { EvidenceKind } from "./attestations/statements.js";
import { nextVersion } from "./next-version.js";
import { attachProvenance } from "./signing/attach-provenance.js";
import { ensureSigningKey } from "./signing/keys.js";
import { buildProvenanceStatement } from "./signing/provenance.js";
import { signImage } from "./signing/sign-image.js";
import type { ReleaseRecord, ReleaseStore } from "./types.js";

export interface ReleaseDependencies {
  system: LoadedSystem;
  dev: RegistryClient;
  prod: RegistryClient;
  runs: PipelineRunStore;
  releases: ReleaseStore;
  /** Evidence for the `integration-test` stage: a passed run of `slipway test` with the digest deployed. */
  integrationRuns: Pick<IntegrationRunStore, "passedWith">;
  /** Evidence for the `load-test` stage: a passing `slipway loadtest` scenario with the digest deployed. */
  loadTestRuns: { passedWith(system: string, service: string, digest: string): unknown };
  /** Evidence for the `compatibility` stage: a passed `slipway test --mixed` of this service at the digest. */
  compatibilityRuns: { passedWith(system: string, service: string, digest: string): unknown };
  identity: Identity;
  now: () => Date;
  /**
   * Set when slipway.yaml has `trust:`: stages count only by signed
   * attestations of the digest in the dev registry, verified against these
   * keys; what verified is cached here.
   */
  attestations?: { trust: readonly TrustedKey[]; cache: VerifiedAttestationCache };
  /** With no CI run in the local store: the digest CI pushed for the checkout as it is (its content hash's immutable tag), if any. */
  locateTested?: (service: LoadedService) => Promise<{ digest: string; contentHash: string } | undefined>;
}

export interface ReleaseRequest {
  service: string;
  version?: string;
  prerelease?: string;
}

export type ReleaseOutcome =
  | { kind: "released"; release: ReleaseRecord; copied: { blobs: number; bytes: number; skipped: number }; nothingToDo: string[] }
  | { kind: "already-released"; release: ReleaseRecord }
  | { kind: "blocked"; release: ReleaseRecord; evaluation: ReleaseEvaluation };

export function keysDir(system: LoadedSystem): string {
  return join(system.stateDir, "keys");
}

export async function release(deps: ReleaseDependencies, request: ReleaseRequest): Promise<ReleaseOutcome> {
  const { system, releases } = deps;
  const service = findService(system, request.service);
  const name = service.config.name;
  const dev = parseRegistryUrl(system.config.registries.dev.url);
  const prod = parseRegistryUrl(system.config.registries.prod.url);
  const devRepo = repositoryPath(system.config, service.config, dev);
  const prodRepo = repositoryPath(system.config, service.config, prod);

  // What CI tested: the newest run that built this service or found it up to date,
  // or — on a machine that did not run CI — what the registry holds for this checkout.
  const tested = await testedBuild(deps, service);
  if (tested === undefined) {
    throw new SlipwayError("RELEASE_REFUSED", `${name} has no image that passed CI`, { hint: "run `slipway ci` first; a release promotes what CI pushed, it never builds" });
  }
  const digest = tested.record.digest;
  if ((await deps.dev.headManifest(devRepo, digest)) === undefined) {
    throw new SlipwayError("RELEASE_REFUSED", `${name}: the tested digest ${digest} is no longer in the dev registry (${dev.authority}/${devRepo})`, {
      hint: "run `slipway ci` again to push it",
    });
  }

  const latest = releases.latestReleased(name);
  if (latest?.digest === digest && request.version === undefined) return { kind: "already-released", release: latest };

  if (request.version !== undefined) {
    const earlier = releases.findRelease(name, request.version);
    if (earlier?.status === "released" && earlier.digest !== digest) {
      releases.appendAudit({ actor: deps.identity.name, action: "release-refused", subject: earlier.id, detail: { reason: "version-immutable", released: earlier.digest, requested: digest } });
      throw new SlipwayError("RELEASE_REFUSED", `${earlier.id} was released as ${earlier.digest}; a released version never moves to another digest (${digest})`, {
        hint: "release the new digest as a new version: leave --version out, or pass a higher one",
      });
    }
  }
  const version = await decideVersion(deps, service, latest, request);
  const tag = renderTag(system.config.conventions.tags.release, { service: name, version, hash: tested.record.contentHash, ...(tested.commit ? { commit: tested.commit } : {}) });
  const existing = await deps.prod.headManifest(prodRepo, tag);
  if (existing !== undefined && existing.digest !== digest) {
    releases.appendAudit({ actor: deps.identity.name, action: "release-refused", subject: `${name}@${version}`, detail: { reason: "tag-immutable", tag, existing: existing.digest, requested: digest } });
    throw new SlipwayError("RELEASE_REFUSED", `${prod.authority}/${prodRepo}:${tag} already points to ${existing.digest}; a released version never moves to another digest (${digest})`, {
      hint: "release the new digest as a new version, e.g. --version with the next patch",
    });
  }

  const id = `${name}@${version}`;
  const previous = releases.getRelease(id);
  if (previous?.status === "released") {
    if (previous.digest === digest && existing !== undefined) return { kind: "already-released", release: previous };
    if (previous.digest !== digest) {
      throw new SlipwayError("RELEASE_REFUSED", `${id} was released as ${previous.digest}; it cannot become ${digest}`, { hint: "release a new version" });
    }
  }
  // A request for another digest than the one waiting restarts the approvals: they were given for that digest.
  // A request after a rejection is new too.
  const stillWaiting = previous !== undefined && previous.digest === digest && previous.status === "awaiting-approval";
  const requestedAt = stillWaiting ? previous.requestedAt : deps.now().toISOString();
  const changeType = changeTypeOf(latest?.version, version);
  // Point the record at the run that built and tested the digest, not a later run that found it up to date.
  const built = deps.runs.findBuild(name, tested.record.contentHash);
  const needsApprovals = effectivePolicy(system.config.releasePolicy, service.config.tier, service.config.releasePolicy).rules[changeTypeOf(latest?.version, version)].approvals > 0;
  const evidence = deps.attestations === undefined ? undefined : await evidenceFor({ client: deps.dev, ...deps.attestations }, devRepo, digest, requiredKinds(deps, service), needsApprovals);
  const attested = evidence?.standings.get("push")?.accepted?.facts ?? evidence?.standings.get("build")?.accepted?.facts;
  const origin = built ?? (tested.runId === "" && attested?.runId !== undefined ? { runId: attested.runId, ...(attested.commit ? { commit: attested.commit } : {}) } : tested);
  const record: ReleaseRecord = {
    id,
    service: name,
    version,
    digest,
    changeType,
    sourceRef: `${dev.authority}/${devRepo}@${digest}`,
    ...(origin.commit ? { commit: origin.commit } : {}),
    runId: origin.runId,
    contentHash: tested.record.contentHash,
    requestedBy: stillWaiting ? previous.requestedBy : deps.identity.name,
    requestedAt,
    status: "awaiting-approval",
  };

  const evaluation = evaluate(deps, service, record, evidence);
  if (!evaluation.allowed) {
    record.statusDetail = evaluation.blockers.map((b) => b.message).join("; ");
    releases.saveRelease(record);
    if (!stillWaiting) {
      releases.appendAudit({ actor: deps.identity.name, action: "release-requested", subject: id, detail: { digest, changeType, runId: tested.runId } });
    }
    releases.appendAudit({ actor: deps.identity.name, action: "release-blocked", subject: id, detail: { blockers: evaluation.blockers.map((b) => b.rule) } });
    return { kind: "blocked", release: record, evaluation };
  }
  if (!stillWaiting) {
    releases.appendAudit({ actor: deps.identity.name, action: "release-requested", subject: id, detail: { digest, changeType, runId: tested.runId } });
  }

  // Everything by digest first; the tag is written last. A registry that fails
  // on the way leaves no tag and no "released" record; the audit log says
  // where it stopped, and a rerun completes it (copies skip what is there).
  let step = "copy the image";
  let copy: Awaited<ReturnType<typeof copyImage>>;
  try {
    copy = await copyImage(deps.dev, devRepo, digest, deps.prod, prodRepo, {});
    if (copy.digest !== digest) throw new SlipwayError("DIGEST_MISMATCH", `copying ${name} gave ${copy.digest}, not ${digest}`);
    // The evidence goes with the image: prod holds the whole story of each release.
    step = "copy the attestations";
    for (const artifact of countedArtifacts(evidence)) await copyImage(deps.dev, devRepo, artifact, deps.prod, prodRepo, {});
  if (evidence !== undefined) {
    // cosign's copy of the attestations (sha256-<hex>.att), so `cosign verify-attestation` works against prod too.
    const att = await deps.dev.headManifest(devRepo, attestationTag(digest));
    if (att !== undefined) await copyImage(deps.dev, devRepo, att.digest, deps.prod, prodRepo, { tag: attestationTag(digest) });
  }
    step = "sign the image";
    const key = ensureSigningKey(keysDir(system));
    record.signatureDigest = await signImage(deps.prod, prodRepo, digest, key.privateKey);
    const statement = buildProvenanceStatement(
      {
        sourceRepository: await sourceRepository(service.dir),
        commit: origin.commit ?? "uncommitted",
        service: name,
        version,
        runId: origin.runId,
        contentHash: tested.record.contentHash,
        buildImage: service.config.build.image,
        testResults: (built?.record.stages ?? []).map((s) => ({ stage: s.stage, status: s.status, durationMs: s.durationMs })),
        startedOn: built?.record ? new Date(deps.now().getTime() - built.record.durationMs).toISOString() : deps.now().toISOString(),
        finishedOn: deps.now().toISOString(),
      },
      `${prod.authority}/${prodRepo}`,
      digest,
    );
    step = "attach the provenance";
    const manifest = await deps.prod.getManifest(prodRepo, digest);
    record.provenanceDigest = await attachProvenance(deps.prod, prodRepo, manifest.descriptor, statement);
    // The provenance is signed too, so replacing it is detected like a replaced image.
    await signImage(deps.prod, prodRepo, record.provenanceDigest, key.privateKey);
    step = `push the tag ${tag}`;
    await deps.prod.putManifest(prodRepo, tag, manifest.bytes, manifest.descriptor.mediaType);
    const check = await deps.prod.headManifest(prodRepo, tag);
    if (check?.digest !== digest) throw new SlipwayError("DIGEST_MISMATCH", `${prodRepo}:${tag} resolves to ${check?.digest ?? "nothing"} after the release, not ${digest}`);
  } catch (err) {
    releases.appendAudit({ actor: deps.identity.name, action: "release-failed", subject: id, detail: { digest, step, error: err instanceof Error ? err.message : String(err) } });
    throw err;
  }

  record.status = "released";
  record.releasedAt = deps.now().toISOString();
  record.targetRef = `${prod.authority}/${prodRepo}:${tag}`;
  delete record.statusDetail;
  releases.saveRelease(record);
  releases.appendAudit({
    actor: deps.identity.name,
    action: "promoted",
    subject: id,
    detail: { digest, from: record.sourceRef, to: record.targetRef, approvals: releases.approvals(id).map((a) => a.approver), signature: record.signatureDigest, provenance: record.provenanceDigest },
  });
  return { kind: "released", release: record, copied: { blobs: copy.blobs.copied + copy.blobs.mounted, bytes: copy.bytes.copied + copy.bytes.mounted, skipped: copy.blobs.skipped }, nothingToDo: evaluation.satisfiedWithNothingToDo };
}

/** Services whose tested digest is not yet the newest release. */
export function servicesToRelease(deps: Pick<ReleaseDependencies, "system" | "runs" | "releases">): string[] {
  return deps.system.services
    .map((s) => s.config.name)
    .filter((name) => {
      const tested = deps.runs.latestSuccessful(name)?.record.digest;
      return tested !== undefined && tested !== deps.releases.latestReleased(name)?.digest;
    });
}

export interface ApproveResult {
  release: ReleaseRecord;
  evaluation: ReleaseEvaluation;
}

export function approve(deps: Omit<ReleaseDependencies, "dev" | "prod">, releaseId: string, comment?: string): ApproveResult {
  const record = waitingRelease(deps, releaseId, "approved");
  const service = findService(deps.system, record.service);
  const policy = effectivePolicy(deps.system.config.releasePolicy, service.config.tier, service.config.releasePolicy);
  const rule = policy.rules[record.changeType];
  const owners = expandOwners(service.config.owners, deps.system.config.teams);
  const decision = canApprove({ service: record.service, approver: deps.identity.name, requester: record.requestedBy, approvers: rule.approvers, owners, approvals: currentApprovals(deps.releases, record) });
  if (!decision.allowed) {
    deps.releases.appendAudit({ actor: deps.identity.name, action: "approval-refused", subject: releaseId, detail: { reason: decision.reason } });
    throw new SlipwayError("APPROVAL_REFUSED", decision.reason, { hint: decision.hint });
  }
  deps.releases.addApproval({ releaseId, approver: deps.identity.name, at: deps.now().toISOString(), ...(comment ? { comment } : {}) });
  deps.releases.appendAudit({ actor: deps.identity.name, action: "approved", subject: releaseId, detail: { digest: record.digest, ...(comment ? { comment } : {}) } });
  return { release: record, evaluation: evaluate(deps, service, record) };
}

/** The waiting release `releaseId`, or a USAGE error naming the ones that wait. */
function waitingRelease(deps: Pick<ReleaseDependencies, "system" | "releases">, releaseId: string, verb: "approved" | "rejected"): ReleaseRecord {
  const record = deps.releases.getRelease(releaseId);
  if (record === undefined) {
    const service = releaseId.includes("@") ? releaseId.slice(0, releaseId.lastIndexOf("@")) : releaseId;
    findService(deps.system, service);
    const waiting = deps.releases.listReleases().filter((r) => r.status === "awaiting-approval").map((r) => r.id);
    throw new SlipwayError("USAGE", `no release "${releaseId}"`, { hint: waiting.length > 0 ? `waiting for approval: ${waiting.join(", ")}` : "`slipway release <service>` requests one" });
  }
  if (record.status !== "awaiting-approval") throw new SlipwayError("USAGE", `${releaseId} is ${record.status}; only a release awaiting approval can be ${verb}`);
  return record;
}

/**
 * Rejects a waiting release: it becomes refused, with who and why, and a
 * later `slipway release` of the same digest is a new request (approvals
 * start again). Only an owner of the service may reject.
 */
export function reject(deps: Pick<ReleaseDependencies, "system" | "releases" | "identity" | "now">, releaseId: string, reason: string): ReleaseRecord {
  const record = waitingRelease(deps, releaseId, "rejected");
  const service = findService(deps.system, record.service);
  const decision = canReject({ service: record.service, rejecter: deps.identity.name, owners: expandOwners(service.config.owners, deps.system.config.teams) });
  if (!decision.allowed) {
    deps.releases.appendAudit({ actor: deps.identity.name, action: "rejection-refused", subject: releaseId, detail: { reason: decision.reason } });
    throw new SlipwayError("APPROVAL_REFUSED", decision.reason, { hint: decision.hint });
  }
  const rejected: ReleaseRecord = { ...record, status: "refused", statusDetail: `rejected by ${deps.identity.name} at ${deps.now().toISOString()}: ${reason}` };
  deps.releases.saveRelease(rejected);
  deps.releases.appendAudit({ actor: deps.identity.name, action: "rejected", subject: releaseId, detail: { digest: record.digest, reason } });
  return rejected;
}

/**
 * With trust: the stages and integration tests that passed by verified
 * attestations — fetched (`evidence`) or, where none was fetched (approve),
 * as cached — and why each other one did not count. Else the local records.
 */
function stageFacts(deps: EvaluationDependencies, service: LoadedService, record: ReleaseRecord, evidence: EvidenceReport | undefined): { passedStages: string[]; stageReasons: Record<string, string>; nothingToDoStages: string[] } {
  if (deps.attestations !== undefined) {
    const kinds = requiredKinds(deps, service);
    const cached = deps.attestations.cache.verified(record.digest).filter((c) => deps.attestations?.trust.some((t) => t.keyId === c.keyId && t.may.includes(c.kind)));
    const standings = evidence?.standings ?? new Map(kinds.map((k) => [k, standingOf(cached.map((c) => ({ ok: true as const, ...c, detail: "" })), k, record.digest)]));
    const passedStages = kinds.filter((k) => standings.get(k)?.passed === true);
    const stageReasons = Object.fromEntries(kinds.flatMap((k) => { const reason = standings.get(k)?.reason; return reason === undefined ? [] : [[k, reason]]; }));
    // CI skips a stage only when it has nothing to do (no commands configured); its signed attestation says "skipped".
    const nothingToDoStages = kinds.filter((k) => standings.get(k)?.accepted?.facts.status === "skipped");
    return { passedStages, stageReasons, nothingToDoStages };
  }
  const built = record.contentHash === undefined ? undefined : deps.runs.findBuild(record.service, record.contentHash);
  const stages = built?.record.stages ?? [];
  return {
    passedStages: [
      ...stages.filter((s) => s.status === "passed").map((s) => s.stage),
      ...(deps.integrationRuns.passedWith(deps.system.config.system, record.service, record.digest) === undefined ? [] : ["integration-test"]),
      ...(deps.loadTestRuns.passedWith(deps.system.config.system, record.service, record.digest) === undefined ? [] : ["load-test"]),
      ...(deps.compatibilityRuns.passedWith(deps.system.config.system, record.service, record.digest) === undefined ? [] : ["compatibility"]),
    ],
    stageReasons: {},
    // CI skips a stage only when it has nothing to do (no commands configured).
    nothingToDoStages: stages.filter((s) => s.status === "skipped").map((s) => s.stage),
  };
}

/** The kinds of evidence the service's release policy requires. */
function requiredKinds(deps: Pick<ReleaseDependencies, "system">, service: LoadedService): EvidenceKind[] {
  return effectivePolicy(deps.system.config.releasePolicy, service.config.tier, service.config.releasePolicy).requireStages;
}

/** The attestation artifacts that counted, to copy to prod with the image. */
function countedArtifacts(evidence: EvidenceReport | undefined): string[] {
  if (evidence === undefined) return [];
  const fromStandings = [...evidence.standings.values()].flatMap((s) => (s.accepted === undefined ? [] : [s.accepted.artifact]));
  const verified = evidence.verdicts.filter((v) => v.ok).map((v) => v.artifact);
  return [...new Set([...fromStandings, ...verified])];
}

interface TestedBuild {
  /** "" when no local run knows the digest (found in the registry by its content hash). */
  runId: string;
  commit?: string;
  record: { digest: string; contentHash: string };
}

async function testedBuild(deps: ReleaseDependencies, service: LoadedService): Promise<TestedBuild | undefined> {
  const local = deps.runs.latestSuccessful(service.config.name);
  if (local?.record.digest !== undefined) return { runId: local.runId, ...(local.commit ? { commit: local.commit } : {}), record: { digest: local.record.digest, contentHash: local.record.contentHash } };
  const located = await deps.locateTested?.(service);
  return located === undefined ? undefined : { runId: "", record: located };
}

type EvaluationDependencies = Omit<ReleaseDependencies, "dev" | "prod" | "identity" | "runs" | "locateTested"> & { runs: Pick<ReleaseDependencies["runs"], "findBuild"> };

/** Where a waiting release stands now (approvals, stages and freezes change while it waits), for `slipway releases`. */
export function evaluateWaiting(deps: EvaluationDependencies, record: ReleaseRecord): ReleaseEvaluation {
  return evaluate(deps, findService(deps.system, record.service), record);
}

function evaluate(deps: EvaluationDependencies, service: LoadedService, record: ReleaseRecord, evidence?: EvidenceReport): ReleaseEvaluation {
  const policy = effectivePolicy(deps.system.config.releasePolicy, service.config.tier, service.config.releasePolicy);
  const { passedStages, stageReasons, nothingToDoStages } = stageFacts(deps, service, record, evidence);
  return evaluateRelease({
    changeType: record.changeType,
    policy,
    owners: expandOwners(service.config.owners, deps.system.config.teams),
    requester: record.requestedBy,
    approvals: [...currentApprovals(deps.releases, record), ...attestedApprovals(deps, record)],
    passedStages,
    stageReasons,
    nothingToDoStages,
    now: deps.now(),
    freeze: deps.system.config.releasePolicy?.freeze ?? [],
    strategy: strategyKindOf(service.config.strategy),
  });
}

/**
 * With trust: approvals signed by a key allowed to sign approvals, for this
 * digest (the statement's subject) and version, as verified into the cache.
 */
function attestedApprovals(deps: Pick<ReleaseDependencies, "attestations">, record: ReleaseRecord): { approver: string }[] {
  const trust = deps.attestations?.trust;
  if (trust === undefined || deps.attestations === undefined) return [];
  return deps.attestations.cache
    .verified(record.digest)
    .filter((c) => c.kind === "approval" && c.facts["version"] === record.version && typeof c.facts["approver"] === "string" && trust.some((t) => t.keyId === c.keyId && t.may.includes("approval")))
    .map((c) => ({ approver: c.facts["approver"] as string }));
}

/** Approvals given since this digest was requested: older ones were for another digest. */
function currentApprovals(releases: ReleaseStore, record: ReleaseRecord): { approver: string }[] {
  return releases.approvals(record.id).filter((a) => a.at >= record.requestedAt);
}

async function decideVersion(deps: ReleaseDependencies, service: LoadedService, latest: ReleaseRecord | undefined, request: ReleaseRequest): Promise<string> {
  const root = findRepoRoot(service.dir);
  const commits = root === undefined || latest === undefined ? [] : await new GitRepo(root).commitsTouching([service.dir, ...service.config.build.inputs.map((i) => join(deps.system.root, i))], latest.commit);
  return nextVersion({
    service: service.config.name,
    current: latest?.version,
    ...(latest?.commit ? { currentSha: latest.commit } : {}),
    base: service.config.version,
    commits,
    ...(request.version ? { explicit: request.version } : {}),
    ...(request.prerelease ? { prerelease: request.prerelease } : {}),
    existingVersions: deps.releases.listReleases(service.config.name).map((r) => r.version),
  }).version;
}

/** The repository holding the service's folder: its own, when it lives elsewhere than slipway.yaml. */
async function sourceRepository(serviceDir: string): Promise<string> {
  const root = findRepoRoot(serviceDir);
  return (root === undefined ? undefined : await new GitRepo(root).remoteUrl()) ?? `file://${root ?? serviceDir}`;
}

function findService(system: LoadedSystem, name: string): LoadedService {
  return findNamed("service", name, system.services, (s) => s.config.name, system.config.system);
}
