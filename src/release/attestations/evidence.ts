// What a release may count, from the registry: each required kind of evidence
// passes only on an attestation that verified (trusted key, allowed kind, this
// digest). What verified is cached in the local store, so a second look on
// the same machine reads nothing from the registry; a cached entry counts only
// while its key is still trusted for its kind.
import type { RegistryClient } from "../../registry/types.js";
import { readEvidence, standingOf, type AttestationVerdict, type KindStanding, type TrustedKey } from "./read-evidence.js";
import type { EvidenceFacts, EvidenceKind } from "./statements.js";

export interface CachedAttestation {
  artifact: string;
  kind: EvidenceKind;
  signer: string;
  keyId: string;
  facts: EvidenceFacts & Record<string, unknown>;
}

/** The local store's cache of verified attestations (SQLite implements it). */
export interface VerifiedAttestationCache {
  verified(digest: string): CachedAttestation[];
  remember(digest: string, attestation: CachedAttestation): void;
}

export interface EvidenceReport {
  digest: string;
  standings: Map<EvidenceKind, KindStanding>;
  /** Every attestation read from the registry, judged; empty when the cache answered. */
  verdicts: AttestationVerdict[];
  fromCache: boolean;
}

export async function evidenceFor(
  deps: { client: RegistryClient; cache: VerifiedAttestationCache; trust: readonly TrustedKey[] },
  repository: string,
  digest: string,
  kinds: readonly EvidenceKind[],
  /** Read the registry even when the cache answers for `kinds`: e.g. to find approvals given since. */
  fresh = false,
): Promise<EvidenceReport> {
  const cached = deps.cache
    .verified(digest)
    .filter((c) => deps.trust.some((t) => t.keyId === c.keyId && t.may.includes(c.kind)))
    .map((c): AttestationVerdict => ({ ok: true, ...c, detail: `${c.kind} ${c.facts.status}, signed by ${c.signer} (verified earlier)` }));
  const fromCache = kinds.map((k) => standingOf(cached, k, digest));
  if (!fresh && fromCache.every((s) => s.passed)) return { digest, standings: new Map(kinds.map((k, i) => [k, fromCache[i] as KindStanding])), verdicts: [], fromCache: true };

  const verdicts = await readEvidence(deps.client, repository, digest, deps.trust);
  for (const v of verdicts) if (v.ok) deps.cache.remember(digest, { artifact: v.artifact, kind: v.kind, signer: v.signer, keyId: v.keyId, facts: v.facts });
  return { digest, standings: new Map(kinds.map((k) => [k, standingOf(verdicts, k, digest)])), verdicts, fromCache: false };
}
