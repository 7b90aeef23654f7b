import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadSystem, type LoadedSystem } from "../../config/load-system.js";
import { repositoryPath } from "../../domain/image-names.js";
import { SlipwayError } from "../../domain/errors.js";
import { parseRegistryUrl } from "../../domain/registry-address.js";
import { currentIdentity } from "../../release/identity.js";
import { approve, keysDir, release, servicesToRelease, type ReleaseOutcome } from "../../release/release-service.js";
import { PUBLIC_KEY_FILE, loadPublicKey } from "../../release/signing/keys.js";
import { verificationError, verifyImage, type VerifyReport } from "../../release/signing/verify.js";
import type { ReleaseRecord } from "../../release/types.js";
import { parseImageReference } from "../../registry/reference.js";
import type { RegistryClient } from "../../registry/types.js";
import { storePath } from "../../store/store-path.js";
import { SqlitePipelineRunStore } from "../../store/sqlite/pipeline-run-store.js";
import { SqliteIntegrationRunStore } from "../../store/sqlite/integration-run-store.js";
import { SqliteReleaseStore } from "../../store/sqlite/release-store.js";
import { SqliteStore } from "../../store/sqlite/sqlite-store.js";
import { paint, type Output } from "../output.js";
import type { CommandContext } from "../main.js";
import { registryClient } from "../registry-clients.js";

interface Opened {
  system: LoadedSystem;
  store: SqliteStore;
  runs: SqlitePipelineRunStore;
  releases: SqliteReleaseStore;
  integrationRuns: SqliteIntegrationRunStore;
  dev: RegistryClient;
  prod: RegistryClient;
  close(): void;
}

async function open(config: string): Promise<Opened> {
  const system = await loadSystem(config);
  const store = SqliteStore.open(storePath(system));
  const dev = registryClient(system, "dev");
  const prod = registryClient(system, "prod");
  return {
    system,
    store,
    runs: new SqlitePipelineRunStore(store.db),
    releases: new SqliteReleaseStore(store.db),
    integrationRuns: new SqliteIntegrationRunStore(store.db),
    dev,
    prod,
    close: () => {
      dev.close();
      prod.close();
      store.close();
    },
  };
}

export async function releaseCommand({ output, globals }: CommandContext, services: string[], opts: { version?: string; prerelease?: string; all?: boolean }): Promise<number> {
  const o = await open(globals.config);
  try {
    const names = opts.all === true ? servicesToRelease(o) : services;
    if (names.length === 0) {
      if (opts.all !== true) throw new SlipwayError("USAGE", "name a service to release, or pass --all");
      output.out("nothing to release: every service's tested digest is already its newest release");
      return 0;
    }
    if (names.length > 1 && opts.version !== undefined) throw new SlipwayError("USAGE", "--version applies to one service at a time");
    const deps = { ...o, identity: currentIdentity(), now: () => new Date() };
    let exit = 0;
    const outcomes: ReleaseOutcome[] = [];
    for (const service of names) {
      const outcome = await release(deps, { service, ...(opts.version ? { version: opts.version } : {}), ...(opts.prerelease ? { prerelease: opts.prerelease } : {}) });
      outcomes.push(outcome);
      if (outcome.kind === "blocked") exit = new SlipwayError("RELEASE_BLOCKED", "").exitCode;
      if (!globals.json) printOutcome(output, outcome);
    }
    if (globals.json) output.out(JSON.stringify({ outcomes }));
    return exit;
  } finally {
    o.close();
  }
}

function printOutcome(output: Output, outcome: ReleaseOutcome): void {
  const r = outcome.release;
  if (outcome.kind === "released") {
    output.out(`${paint(output, "green", "✓")} released ${r.id}: ${r.targetRef} = ${r.digest}`);
    output.out(`  ${r.changeType} release, ${outcome.copied.blobs} blobs copied (${(outcome.copied.bytes / 1e6).toFixed(1)} MB), ${outcome.copied.skipped} already there; signed, provenance attached`);
  } else if (outcome.kind === "already-released") {
    output.out(`${paint(output, "green", "✓")} ${r.id} is already released: ${r.targetRef ?? r.digest}`);
  } else {
    output.out(`${paint(output, "yellow", "…")} ${r.id} (${r.changeType}, ${r.digest.slice(0, 19)}) is waiting:`);
    for (const b of outcome.evaluation.blockers) output.out(`  - ${b.message}\n    to go ahead: ${b.howToSatisfy}`);
  }
}

export async function approveCommand({ output, globals }: CommandContext, releaseId: string, opts: { comment?: string }): Promise<number> {
  const o = await open(globals.config);
  try {
    const result = approve({ ...o, identity: currentIdentity(), now: () => new Date() }, releaseId, opts.comment);
    if (globals.json) {
      output.out(JSON.stringify(result));
      return 0;
    }
    output.out(`${paint(output, "green", "✓")} approved ${releaseId} as ${currentIdentity().name} (${result.evaluation.approvalsCounted}/${result.evaluation.approvalsNeeded} approvals)`);
    if (result.evaluation.allowed) output.out(`  ready: \`slipway release ${result.release.service} --version ${result.release.version}\` promotes it`);
    else for (const b of result.evaluation.blockers) output.out(`  still waiting: ${b.message} (${b.howToSatisfy})`);
    return 0;
  } finally {
    o.close();
  }
}

export async function releasesCommand({ output, globals }: CommandContext, service: string | undefined): Promise<number> {
  const o = await open(globals.config);
  try {
    const names = service === undefined ? o.system.services.map((s) => s.config.name) : [service];
    const keyFile = join(keysDir(o.system), PUBLIC_KEY_FILE);
    const publicKey = existsSync(keyFile) ? loadPublicKey(keyFile) : undefined;
    const prod = parseRegistryUrl(o.system.config.registries.prod.url);
    const rows: { service: string; dev?: { digest: string; runId: string; commit?: string; integrationRun?: { id: string; environment: string } }; releases: (ReleaseRecord & { approvals: string[]; signature: string })[] }[] = [];
    for (const name of names) {
      const svc = o.system.services.find((s) => s.config.name === name);
      if (svc === undefined) throw new SlipwayError("USAGE", `unknown service "${name}"`);
      const tested = o.runs.latestSuccessful(name);
      const list = [];
      for (const r of o.releases.listReleases(name)) {
        let signature = "-";
        if (r.status === "released") {
          const report = publicKey === undefined ? undefined : await verifyImage(o.prod, repositoryPath(o.system.config, svc.config, prod), r.digest, publicKey);
          signature = report === undefined ? "no key" : report.signature.ok ? "verified" : `FAILED (${report.signature.reason ?? report.signature.detail})`;
        }
        list.push({ ...r, approvals: o.releases.approvals(r.id).map((a) => a.approver), signature });
      }
      const integration = tested?.record.digest === undefined ? undefined : o.integrationRuns.passedWith(o.system.config.system, name, tested.record.digest);
      rows.push({
        service: name,
        ...(tested?.record.digest ? { dev: { digest: tested.record.digest, runId: tested.runId, ...(tested.commit ? { commit: tested.commit } : {}), ...(integration ? { integrationRun: { id: integration.id, environment: integration.environment } } : {}) } } : {}),
        releases: list,
      });
    }
    if (globals.json) {
      output.out(JSON.stringify({ services: rows }));
      return 0;
    }
    for (const row of rows) {
      output.out(paint(output, "bold", row.service));
      const integration = row.dev?.integrationRun ? `integration tests passed in ${row.dev.integrationRun.environment} (${row.dev.integrationRun.id})` : "no integration test run with it";
      output.out(`  dev   ${row.dev ? `${row.dev.digest.slice(0, 19)}  commit ${(row.dev.commit ?? "-").slice(0, 7)}  run ${row.dev.runId}  ${integration}` : "no tested image"}`);
      if (row.releases.length === 0) output.out("  prod  nothing released");
      for (const r of row.releases) {
        const who = r.approvals.length > 0 ? r.approvals.join(", ") : "no approvals";
        output.out(`  prod  ${r.version.padEnd(12)} ${r.digest.slice(0, 19)}  commit ${(r.commit ?? "-").slice(0, 7)}  run ${r.runId ?? "-"}  ${r.status}  approvals: ${who}  signature: ${r.signature}`);
      }
    }
    return 0;
  } finally {
    o.close();
  }
}

export async function verifyCommand({ output, globals }: CommandContext, image: string, opts: { key?: string }): Promise<number> {
  const o = await open(globals.config);
  try {
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
    const ok = report.ok && provenanceSignature?.ok === true;
    if (globals.json) output.out(JSON.stringify({ ...report, provenanceSignature, ok }));
    else {
      const mark = (good: boolean): string => (good ? paint(output, "green", "✓") : paint(output, "red", "✗"));
      output.out(`${image} → ${report.digest ?? "?"}`);
      output.out(`  ${mark(report.signature.ok)} signature: ${report.signature.detail}`);
      output.out(`  ${mark(report.provenance.ok)} provenance: ${report.provenance.detail}`);
      output.out(`  ${mark(provenanceSignature?.ok === true)} provenance signature: ${provenanceSignature?.detail ?? "no provenance to check"}`);
    }
    if (ok) return 0;
    return (verificationError(report) ?? new SlipwayError("SIGNATURE_INVALID", "the provenance's signature does not verify")).exitCode;
  } finally {
    o.close();
  }
}

export async function auditCommand({ output, globals }: CommandContext, opts: { limit: string }): Promise<number> {
  const o = await open(globals.config);
  try {
    const entries = o.releases.listAudit(Number(opts.limit) || 50);
    if (globals.json) output.out(JSON.stringify({ entries }));
    else for (const e of entries) output.out(`${String(e.seq).padStart(5)}  ${e.at.slice(0, 19).replace("T", " ")}  ${e.actor.padEnd(24)} ${e.action.padEnd(18)} ${e.subject}  ${JSON.stringify(e.detail)}`);
    return 0;
  } finally {
    o.close();
  }
}

export async function auditVerifyCommand({ output, globals }: CommandContext): Promise<number> {
  const o = await open(globals.config);
  try {
    const result = o.releases.verifyAudit();
    if (globals.json) output.out(JSON.stringify(result));
    else if (result.ok) output.out(`${paint(output, "green", "✓")} audit log intact: ${result.entries} entries, hash chain verified`);
    else {
      output.out(`${paint(output, "red", "✗")} audit log tampered with:`);
      for (const p of result.problems) output.out(`  ${p}`);
    }
    return result.ok ? 0 : new SlipwayError("AUDIT_TAMPERED", "").exitCode;
  } finally {
    o.close();
  }
}
