// Releases: promote the digest CI tested to the prod registry under the
// release policy, approve a waiting release, list what is released (with
// signature status), verify an image, and read or verify the audit log.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadSystem, type LoadedSystem } from "../config/load-system.js";
import { repositoryPath } from "../domain/image-names.js";
import { SlipwayError } from "../domain/errors.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import type { Identity } from "../release/identity.js";
import { waitingLabel, type ReleaseBlocker } from "../domain/release-policy.js";
import { findNamed } from "../domain/unknown-name.js";
import { approve, evaluateWaiting, keysDir, reject, release, servicesToRelease, type ApproveResult, type ReleaseOutcome } from "../release/release-service.js";
import { PUBLIC_KEY_FILE, loadPublicKey } from "../release/signing/keys.js";
import { verificationError, verifyImage, type VerifyReport } from "../release/signing/verify.js";
import type { ReleaseRecord } from "../release/types.js";
import { parseImageReference } from "../registry/reference.js";
import type { RegistryClient } from "../registry/types.js";
import { storePath } from "../store/store-path.js";
import { SqlitePipelineRunStore } from "../store/sqlite/pipeline-run-store.js";
import { SqliteIntegrationRunStore } from "../store/sqlite/integration-run-store.js";
import { SqliteLoadTestRunStore } from "../store/sqlite/load-test-run-store.js";
import { SqliteCompatibilityRunStore } from "../store/sqlite/compatibility-run-store.js";
import { SqliteReleaseStore } from "../store/sqlite/release-store.js";
import { SqliteRolloutStore } from "../store/sqlite/rollout-store.js";
import { servingRevision } from "../delivery/controller/begin-rollout.js";
import { SqliteStore } from "../store/sqlite/sqlite-store.js";
import { DockerEngine } from "../docker/engine.js";
import { findPushedDigest } from "../pipeline/pushed-digest.js";
import { evidenceFor, type VerifiedAttestationCache } from "../release/attestations/evidence.js";
import { readEvidence, standingOf, type TrustedKey } from "../release/attestations/read-evidence.js";
import type { EvidenceKind } from "../release/attestations/statements.js";
import { ciStageNames } from "../domain/config-schema.js";
import { effectivePolicy, expandOwners } from "../domain/release-policy.js";
import { trustedKeys } from "../release/attestations/trust.js";
import { SqliteAttestationCache } from "../store/sqlite/attestation-cache.js";
import { signEvidence } from "./evidence-signing.js";
import { registryClient } from "./registry-clients.js";
import { withStateStore } from "./state-store.js";

interface Opened {
  system: LoadedSystem;
  store: SqliteStore;
  runs: SqlitePipelineRunStore;
  releases: SqliteReleaseStore;
  integrationRuns: SqliteIntegrationRunStore;
  loadTestRuns: SqliteLoadTestRunStore;
  compatibilityRuns: SqliteCompatibilityRunStore;
  dev: RegistryClient;
  prod: RegistryClient;
  /** With trust: in slipway.yaml, evidence is read from signed attestations in the registry. */
  attestations?: { trust: readonly TrustedKey[]; cache: VerifiedAttestationCache };
  /** With no CI run in the local store: what the dev registry holds for the checkout. */
  locateTested: (service: LoadedSystem["services"][number]) => Promise<{ digest: string; contentHash: string } | undefined>;
}

async function withReleases<T>(config: string, use: (o: Opened) => Promise<T> | T): Promise<T> {
  const system = await loadSystem(config);
  const store = SqliteStore.open(storePath(system));
  const dev = registryClient(system, "dev");
  const prod = registryClient(system, "prod");
  const trust = trustedKeys(system);
  try {
    return await use({
      system,
      store,
      runs: new SqlitePipelineRunStore(store.db),
      releases: new SqliteReleaseStore(store.db),
      integrationRuns: new SqliteIntegrationRunStore(store.db),
      loadTestRuns: new SqliteLoadTestRunStore(store.db),
      compatibilityRuns: new SqliteCompatibilityRunStore(store.db),
      dev,
      prod,
      ...(trust === undefined ? {} : { attestations: { trust, cache: new SqliteAttestationCache(store.db) } }),
      locateTested: (service) => findPushedDigest(system, new DockerEngine(), dev, service),
    });
  } finally {
    dev.close();
    prod.close();
    store.close();
  }
}

export type ReleaseServicesResult = { kind: "nothing-to-release" } | { kind: "done"; outcomes: ReleaseOutcome[] };

export async function releaseServices(config: string, identity: Identity, services: string[], opts: { version?: string; prerelease?: string; all?: boolean }): Promise<ReleaseServicesResult> {
  return withReleases(config, async (o) => {
    const names = opts.all === true ? servicesToRelease(o) : services;
    if (names.length === 0) {
      if (opts.all !== true) throw new SlipwayError("USAGE", "name a service to release, or pass --all");
      return { kind: "nothing-to-release" };
    }
    if (names.length > 1 && opts.version !== undefined) throw new SlipwayError("USAGE", "--version applies to one service at a time");
    const deps = { ...o, identity, now: () => new Date() };
    const outcomes: ReleaseOutcome[] = [];
    for (const service of names) outcomes.push(await release(deps, { service, ...(opts.version ? { version: opts.version } : {}), ...(opts.prerelease ? { prerelease: opts.prerelease } : {}) }));
    return { kind: "done", outcomes };
  });
}

/** Approves a waiting release as `identity`; the release policy decides whether that approval counts. */
export async function approveRelease(config: string, identity: Identity, releaseId: string, comment?: string): Promise<ApproveResult> {
  return withReleases(config, async (o) => {
    const now = new Date();
    const result = approve({ ...o, identity, now: () => now }, releaseId, comment);
    // With trust:, the approval is signed and travels with the digest, so a release elsewhere counts it.
    if (o.attestations !== undefined) {
      const r = result.release;
      await signEvidence(o.system, [{ service: r.service, digest: r.digest, evidence: { kind: "approval", status: "passed", service: r.service, finishedOn: now.toISOString(), approver: identity.name, version: r.version, ...(comment ? { comment } : {}) } }]);
    }
    return result;
  });
}

/** Rejects a waiting release as `identity` (an owner of the service): it is refused, with the reason, in the record and the audit log. */
export async function rejectRelease(config: string, identity: Identity, releaseId: string, reason: string): Promise<ReleaseRecord> {
  const system = await loadSystem(config);
  return withReleaseStore(config, (releases) => reject({ system, releases, identity, now: () => new Date() }, releaseId, reason));
}

/** Where a digest runs: serving in an environment, or the target of a rollout in flight there. */
export interface Placement {
  environment: string;
  as: "serving" | "rolling out";
}

export interface ServiceReleases {
  service: string;
  /** The people who own the service (teams expanded): who may approve (all but the requester) or reject. */
  owners: string[];
  dev?: { digest: string; runId: string; commit?: string; integrationRun?: { id: string; environment: string }; attested?: string[]; runsIn: Placement[] };
  releases: (ReleaseRecord & {
    runsIn: Placement[];
    approvals: string[];
    signature: string;
    /** The status for a person: a waiting release labelled by what holds it back (waitingLabel), plus "ABORTED in <env>" marks. */
    state: string;
    /** Environments where a rollout of this digest was aborted (a plain deploy there passes it over). */
    abortedIn: { environment: string; rolloutId: string; reason?: string; abortedAt: string }[];
    /** What holds a waiting release back, judged now. */
    blockers?: ReleaseBlocker[];
    /** For a waiting release: who may approve it ("owners": the eligible ones, never the requester; "anyone": anyone but the requester) and the count. */
    approval?: { approvers: "owners" | "anyone"; eligible: string[]; counted: number; needed: number };
  })[];
}

export async function listReleases(config: string, service: string | undefined): Promise<ServiceReleases[]> {
  return withReleases(config, async (o) => {
    const names = service === undefined ? o.system.services.map((s) => s.config.name) : [service];
    const keyFile = join(keysDir(o.system), PUBLIC_KEY_FILE);
    const publicKey = existsSync(keyFile) ? loadPublicKey(keyFile) : undefined;
    const prod = parseRegistryUrl(o.system.config.registries.prod.url);
    const rows: ServiceReleases[] = [];
    const rollouts = new SqliteRolloutStore(o.store.db);
    for (const name of names) {
      const svc = findNamed("service", name, o.system.services, (s) => s.config.name, o.system.config.system);
      const tested = o.runs.latestSuccessful(name);
      const placed = placements(rollouts, o.system, name);
      const runsIn = (digest: string): Placement[] => placed.get(digest) ?? [];
      const list = [];
      for (const r of o.releases.listReleases(name)) {
        let signature = "-";
        if (r.status === "released") {
          const report = publicKey === undefined ? undefined : await verifyImage(o.prod, repositoryPath(o.system.config, svc.config, prod), r.digest, publicKey);
          signature = report === undefined ? "no key" : report.signature.ok ? "verified" : `FAILED (${report.signature.reason ?? report.signature.detail})`;
        }
        // A waiting release is judged now: approvals, stages and freezes change while it waits.
        const waiting = r.status === "awaiting-approval" ? evaluateWaiting({ ...o, now: () => new Date() }, r) : undefined;
        const aborted = rollouts.abortedImages({ system: o.system.config.system, service: name }).filter((a) => a.digest === r.digest);
        const state = [waiting === undefined ? r.status : waitingLabel(waiting), ...aborted.map((a) => `ABORTED in ${a.environment}`)].join(", ");
        const abortedIn = aborted.map(({ environment, rolloutId, reason, abortedAt }) => ({ environment, rolloutId, ...(reason === undefined ? {} : { reason }), abortedAt }));
        list.push({ ...r, runsIn: runsIn(r.digest), approvals: o.releases.approvals(r.id).map((a) => a.approver), signature, state, abortedIn, ...(waiting ? { blockers: waiting.blockers, approval: { approvers: waiting.approvers, eligible: waiting.eligibleApprovers, counted: waiting.approvalsCounted, needed: waiting.approvalsNeeded } } : {}) });
      }
      const integration = tested?.record.digest === undefined ? undefined : o.integrationRuns.passedWith(o.system.config.system, name, tested.record.digest);
      let dev: ServiceReleases["dev"] = tested?.record.digest ? { digest: tested.record.digest, runsIn: runsIn(tested.record.digest), runId: tested.runId, ...(tested.commit ? { commit: tested.commit } : {}), ...(integration ? { integrationRun: { id: integration.id, environment: integration.environment } } : {}) } : undefined;
      // With trust:, what the registry attests about the tested digest — found by content hash when this machine never ran CI.
      if (o.attestations !== undefined) {
        const digest = dev?.digest ?? (await o.locateTested(svc))?.digest;
        if (digest !== undefined) {
          const kinds = effectivePolicy(o.system.config.releasePolicy, svc.config.tier, svc.config.releasePolicy).requireStages;
          const evidence = await evidenceFor({ client: o.dev, ...o.attestations }, repositoryPath(o.system.config, svc.config, parseRegistryUrl(o.system.config.registries.dev.url)), digest, kinds);
          const push = evidence.standings.get("push")?.accepted?.facts;
          dev ??= { digest, runsIn: runsIn(digest), runId: push?.runId ?? "-", ...(push?.commit ? { commit: push.commit } : {}) };
          dev.attested = kinds.filter((k) => evidence.standings.get(k)?.passed === true);
        }
      }
      rows.push({ service: name, owners: expandOwners(svc.config.owners, o.system.config.teams), ...(dev === undefined ? {} : { dev }), releases: list });
    }
    return rows;
  });
}

/** By digest: the environments whose serving revision, or in-flight rollout's target, runs it (from the rollout records). */
function placements(rollouts: SqliteRolloutStore, system: LoadedSystem, service: string): Map<string, Placement[]> {
  const byDigest = new Map<string, Placement[]>();
  const add = (image: string | undefined, placement: Placement): void => {
    const digest = image?.split("@")[1];
    if (digest !== undefined) byDigest.set(digest, [...(byDigest.get(digest) ?? []), placement]);
  };
  for (const { name: environment } of system.config.environments) {
    const scope = { system: system.config.system, environment, service };
    const latest = rollouts.latestRollout(scope);
    if (latest === undefined) continue;
    const revisions = rollouts.listRevisions(scope);
    const imageOf = (revision: string | undefined): string | undefined => revisions.find((r) => r.name === revision)?.image;
    const inFlight = !latest.finished && !latest.state.aborted;
    const serving = inFlight ? latest.state.stableRevision : servingRevision(latest);
    add(imageOf(serving), { environment, as: "serving" });
    if (inFlight) add(imageOf(latest.state.targetRevision), { environment, as: "rolling out" });
  }
  return byDigest;
}

export interface StageAttestation {
  kind: EvidenceKind;
  passed: boolean;
  /** What decided: the verified attestation, or why none counts. */
  detail: string;
  reason?: string;
}

export interface VerifyResult extends VerifyReport {
  provenanceSignature: VerifyReport["signature"] | undefined;
  /** With trust: each stage the service's policy requires, by the attestations of the digest. */
  attestations?: StageAttestation[];
  ok: boolean;
  /** Why it failed, with its exit code; undefined when ok. */
  error?: SlipwayError;
}

export async function verifyRelease(config: string, image: string, opts: { key?: string }): Promise<VerifyResult> {
  return withReleases(config, async (o) => {
    const ref = parseImageReference(image);
    const role = (["prod", "dev"] as const).find((r) => parseRegistryUrl(o.system.config.registries[r].url).authority === ref.registry);
    const reference = ref.digest ?? ref.tag;
    if (reference === undefined) throw new SlipwayError("USAGE", `${image} names no tag or digest`, { hint: "e.g. 127.0.0.1:5102/system/service:1.2.0" });
    if (role === undefined) throw new SlipwayError("USAGE", `${ref.registry} is neither the dev nor the prod registry of ${o.system.config.system}`, { hint: `prod is ${parseRegistryUrl(o.system.config.registries.prod.url).authority}` });
    const client = role === "prod" ? o.prod : o.dev;
    const key = loadPublicKey(opts.key ?? join(keysDir(o.system), PUBLIC_KEY_FILE));
    const report = await verifyImage(client, ref.repository, reference, key);
    // The provenance artifact carries a signature of its own (see release-service).
    let provenanceSignature: VerifyReport["signature"] | undefined;
    if (report.provenance.artifactDigest !== undefined) {
      provenanceSignature = (await verifyImage(client, ref.repository, report.provenance.artifactDigest, key)).signature;
    }
    // With trust:, the stages the service's policy requires must be attested for this digest, read afresh (verify trusts no cache).
    const attestations = o.attestations === undefined ? undefined : await attestedStages(o.system, client, ref.repository, report.digest, o.attestations.trust);
    const attested = attestations === undefined || attestations.every((a) => a.passed);
    const ok = report.ok && provenanceSignature?.ok === true && attested;
    const error = ok
      ? undefined
      : (verificationError(report) ??
        (provenanceSignature?.ok !== true
          ? new SlipwayError("SIGNATURE_INVALID", "the provenance's signature does not verify")
          : new SlipwayError("ATTESTATION_INVALID", `${report.image}@${report.digest}: ${attestations?.filter((a) => !a.passed).map((a) => a.reason).join("; ")}`, { hint: "run `slipway ci` for this build with a key trust: allows, or release another build" })));
    return { ...report, provenanceSignature, ...(attestations === undefined ? {} : { attestations }), ok, ...(error === undefined ? {} : { error }) };
  });
}

function withReleaseStore<T>(config: string, use: (releases: SqliteReleaseStore) => T): Promise<T> {
  return withStateStore(config, (store) => use(new SqliteReleaseStore(store.db)));
}

export async function auditLog(config: string, limit: number) {
  return withReleaseStore(config, (r) => r.listAudit(limit));
}

export async function verifyAuditLog(config: string) {
  return withReleaseStore(config, (r) => r.verifyAudit());
}

/** The required stages of the service stored in `repository`, judged by the attestations of `digest` in that registry. */
async function attestedStages(system: LoadedSystem, client: RegistryClient, repository: string, digest: string, trust: readonly TrustedKey[]): Promise<StageAttestation[]> {
  const address = (["dev", "prod"] as const).map((r) => parseRegistryUrl(system.config.registries[r].url)).find((a) => a.authority === client.registry);
  const service = address === undefined ? undefined : system.services.find((s) => repositoryPath(system.config, s.config, address) === repository);
  const kinds: EvidenceKind[] = service === undefined ? [...ciStageNames] : effectivePolicy(system.config.releasePolicy, service.config.tier, service.config.releasePolicy).requireStages;
  const verdicts = await readEvidence(client, repository, digest, trust);
  return kinds.map((kind) => {
    const standing = standingOf(verdicts, kind, digest);
    return { kind, passed: standing.passed, detail: standing.accepted?.detail ?? standing.reason ?? "", ...(standing.reason === undefined ? {} : { reason: standing.reason }) };
  });
}
