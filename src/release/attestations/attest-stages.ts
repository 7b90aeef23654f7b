// The CI side: one signed statement per stage, attached to the pushed digest
// in the dev registry (implements pipeline's StageAttestor port). Also the
// single-statement attach used for integration tests and approvals.
import { createHash, type KeyObject } from "node:crypto";
import { readFile } from "node:fs/promises";
import { SlipwayError } from "../../domain/errors.js";
import type { StageAttestationRequest, StageAttestor } from "../../pipeline/attestor-port.js";
import type { RegistryClient } from "../../registry/types.js";
import { attachAttestation } from "./attach.js";
import { appendCosignAttestation } from "./cosign-att.js";
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope } from "./dsse.js";
import { buildStatement, type CiStageKind, type Evidence } from "./statements.js";

export interface Attester {
  client: RegistryClient;
  /** `registry` as the statements' subject names it, e.g. 127.0.0.1:5000. */
  registryName: string;
  privateKey: KeyObject;
  /** Versions of what ran, recorded in every statement. */
  tools: Record<string, string>;
}

export function stageAttestor(attester: Attester): StageAttestor {
  return async (request: StageAttestationRequest) => {
    const attached: string[] = [];
    for (const stage of request.stages) {
      const evidence: Evidence = {
        kind: stage.stage as CiStageKind,
        status: stage.status,
        service: request.service,
        runId: request.runId,
        ...(request.commit ? { commit: request.commit } : {}),
        contentHash: request.contentHash,
        startedOn: stage.startedAt,
        finishedOn: stage.finishedAt,
        durationMs: stage.durationMs,
        logSha256: await sha256OfFile(stage.logFile),
        tools: { ...attester.tools, buildImage: request.buildImage },
        sourceRepository: request.sourceRepository,
        buildImage: request.buildImage,
      };
      attached.push(await attest(attester, request.repository, request.digest, evidence));
    }
    return attached;
  };
}

/** Signs `evidence` about `repository@digest` and attaches it; returns the artifact's digest. */
export async function attest(attester: Attester, repository: string, digest: string, evidence: Evidence): Promise<string> {
  const image = await attester.client.headManifest(repository, digest);
  if (image === undefined) throw new SlipwayError("REGISTRY_NOT_FOUND", `cannot attest ${repository}@${digest} at ${attester.client.registry}: there is no such image`, { hint: "attest a digest that was pushed" });
  const statement = buildStatement(evidence, `${attester.registryName}/${repository}`, digest);
  const envelope = signEnvelope(IN_TOTO_PAYLOAD_TYPE, new TextEncoder().encode(JSON.stringify(statement)), attester.privateKey);
  const artifact = await attachAttestation(attester.client, repository, image, envelope, { kind: evidence.kind, statement, created: evidence.finishedOn });
  // Also where cosign looks; the referrer above is what slipway reads.
  await appendCosignAttestation(attester.client, repository, digest, artifact.envelope, statement.predicateType, new Date(evidence.finishedOn));
  return artifact.digest;
}

async function sha256OfFile(path: string): Promise<string | undefined> {
  try {
    return createHash("sha256").update(await readFile(path)).digest("hex");
  } catch {
    return undefined;
  }
}
