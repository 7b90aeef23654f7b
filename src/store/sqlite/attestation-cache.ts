// The verified-attestation cache in SQLite: what `slipway release` verified
// from the registry, so the next look on this machine needs no registry reads.
import type Database from "better-sqlite3";
import type { CachedAttestation, VerifiedAttestationCache } from "../../release/attestations/evidence.js";

interface Row {
  artifact: string;
  kind: string;
  signer: string;
  key_id: string;
  facts: string;
}

export class SqliteAttestationCache implements VerifiedAttestationCache {
  constructor(private readonly db: Database.Database) {}

  verified(digest: string): CachedAttestation[] {
    const rows = this.db.prepare("SELECT artifact, kind, signer, key_id, facts FROM verified_attestations WHERE digest = ? ORDER BY verified_at").all(digest) as Row[];
    return rows.map((r) => ({ artifact: r.artifact, kind: r.kind as CachedAttestation["kind"], signer: r.signer, keyId: r.key_id, facts: JSON.parse(r.facts) as CachedAttestation["facts"] }));
  }

  remember(digest: string, a: CachedAttestation): void {
    this.db
      .prepare("INSERT OR IGNORE INTO verified_attestations (artifact, digest, kind, signer, key_id, facts, verified_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(a.artifact, digest, a.kind, a.signer, a.keyId, JSON.stringify(a.facts), new Date().toISOString());
  }
}
