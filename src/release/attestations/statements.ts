// The in-toto Statements (v1) slipway signs about an image digest, one per
// piece of evidence: the build as SLSA provenance v1, unit and container
// tests as in-toto test-result v0.1, image and push as a slipway predicate,
// integration tests and approvals as slipway predicates too. Every statement
// carries the same facts (`EvidenceFacts`) in a place its predicate allows
// extensions, so one reader gets kind, status and run back out of any of them.
// Pure: building and reading JSON.
import { z } from "zod";
import { evidenceKinds, type EvidenceKindName } from "../../domain/config-schema.js";
import { parseDigest } from "../../registry/reference.js";

export const IN_TOTO_STATEMENT_V1 = "https://in-toto.io/Statement/v1";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
export const TEST_RESULT_V01 = "https://in-toto.io/attestation/test-result/v0.1";
export const SLIPWAY_STAGE_V1 = "https://slipway.dev/attestation/stage/v1";
export const SLIPWAY_INTEGRATION_TEST_V1 = "https://slipway.dev/attestation/integration-test/v1";
export const SLIPWAY_LOAD_TEST_V1 = "https://slipway.dev/attestation/load-test/v1";
export const SLIPWAY_COMPATIBILITY_V1 = "https://slipway.dev/attestation/compatibility/v1";
export const SLIPWAY_APPROVAL_V1 = "https://slipway.dev/attestation/approval/v1";
export const SLIPWAY_BUILD_TYPE = "https://slipway.dev/build-types/container-pipeline/v1";
export const SLIPWAY_BUILDER_ID = "https://slipway.dev/builder/v1";

export { evidenceKinds };
/** What a statement can be evidence of: a CI stage, the system's integration tests, an approval. */
export type EvidenceKind = EvidenceKindName;
export type CiStageKind = Exclude<EvidenceKind, "integration-test" | "load-test" | "compatibility" | "approval">;

/** The facts every statement carries, whatever its predicate. */
export interface EvidenceFacts {
  kind: EvidenceKind;
  /** passed, failed, skipped or cancelled (as the pipeline reports a stage); approvals are "passed". */
  status: string;
  service: string;
  /** The pipeline or test run, when there is one. */
  runId?: string;
  commit?: string;
  contentHash?: string;
  startedOn?: string;
  finishedOn: string;
  durationMs?: number;
  /** Hex SHA-256 of the stage's log file as written. */
  logSha256?: string;
  /** Versions of what ran: slipway, node, docker, the build image. */
  tools?: Record<string, string>;
}

export interface StageEvidence extends EvidenceFacts {
  kind: CiStageKind;
  sourceRepository: string;
  buildImage: string;
}

export interface IntegrationTestEvidence extends EvidenceFacts {
  kind: "integration-test";
  environment: string;
  /** service → digest the tests ran against. */
  lock: Record<string, string>;
}

export interface LoadTestEvidence extends EvidenceFacts {
  kind: "load-test";
  environment: string;
  scenario: string;
  /** service → digest the load test ran against. */
  lock: Record<string, string>;
}

/** The integration tests passed with this digest beside the digests a target environment runs (`slipway test --mixed`). */
export interface CompatibilityEvidence extends EvidenceFacts {
  kind: "compatibility";
  /** The target environment whose digests the other services ran at. */
  environment: string;
  /** service → digest the target ran, and what was tested (the target's with this service at this digest). */
  targetLock: Record<string, string>;
  lock: Record<string, string>;
}

export interface ApprovalEvidence extends EvidenceFacts {
  kind: "approval";
  approver: string;
  version: string;
  comment?: string;
}

export type Evidence = StageEvidence | IntegrationTestEvidence | LoadTestEvidence | CompatibilityEvidence | ApprovalEvidence;

export interface Statement {
  _type: typeof IN_TOTO_STATEMENT_V1;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: string;
  predicate: Record<string, unknown>;
}

/** The statement for `evidence` about the image `subjectName@subjectDigest`. */
export function buildStatement(evidence: Evidence, subjectName: string, subjectDigest: string): Statement {
  const { algorithm, hex } = parseDigest(subjectDigest);
  const subject = [{ name: subjectName, digest: { [algorithm]: hex } }];
  const facts = factsOf(evidence);
  const base = { _type: IN_TOTO_STATEMENT_V1, subject } as const;
  switch (evidence.kind) {
    case "build":
      return {
        ...base,
        predicateType: SLSA_PROVENANCE_V1,
        predicate: {
          buildDefinition: {
            buildType: SLIPWAY_BUILD_TYPE,
            externalParameters: { sourceRepository: evidence.sourceRepository, commit: evidence.commit ?? "uncommitted", service: evidence.service },
            internalParameters: { slipway: facts },
            resolvedDependencies: [
              { name: "source", uri: `${evidence.sourceRepository.startsWith("git+") ? "" : "git+"}${evidence.sourceRepository}@${evidence.commit ?? "uncommitted"}`, ...(evidence.commit ? { digest: { gitCommit: evidence.commit } } : {}) },
              { name: "build-image", uri: `oci://${evidence.buildImage}` },
            ],
          },
          runDetails: {
            builder: { id: SLIPWAY_BUILDER_ID, ...(evidence.tools ? { version: evidence.tools } : {}) },
            metadata: { invocationId: evidence.runId ?? "", ...(evidence.startedOn ? { startedOn: evidence.startedOn } : {}), finishedOn: evidence.finishedOn },
            byproducts: evidence.logSha256 === undefined ? [] : [{ name: "build.log", mediaType: "text/plain", digest: { sha256: evidence.logSha256 } }],
          },
        },
      };
    case "unit-test":
    case "container-test":
      return {
        ...base,
        predicateType: TEST_RESULT_V01,
        predicate: {
          result: evidence.status === "passed" ? "PASSED" : evidence.status === "skipped" ? "WARNED" : "FAILED",
          configuration: [{ name: evidence.kind, uri: `oci://${evidence.buildImage}` }],
          ...(evidence.runId ? { url: `slipway:run/${evidence.runId}` } : {}),
          passedTests: evidence.status === "passed" ? [evidence.kind] : [],
          warnedTests: evidence.status === "skipped" ? [evidence.kind] : [],
          failedTests: evidence.status === "passed" || evidence.status === "skipped" ? [] : [evidence.kind],
          slipway: facts,
        },
      };
    case "image":
    case "push":
      return { ...base, predicateType: SLIPWAY_STAGE_V1, predicate: { ...facts, sourceRepository: evidence.sourceRepository } };
    case "integration-test":
      return { ...base, predicateType: SLIPWAY_INTEGRATION_TEST_V1, predicate: { ...facts, environment: evidence.environment, lock: evidence.lock } };
    case "load-test":
      return { ...base, predicateType: SLIPWAY_LOAD_TEST_V1, predicate: { ...facts, environment: evidence.environment, scenario: evidence.scenario, lock: evidence.lock } };
    case "compatibility":
      return { ...base, predicateType: SLIPWAY_COMPATIBILITY_V1, predicate: { ...facts, environment: evidence.environment, targetLock: evidence.targetLock, lock: evidence.lock } };
    case "approval":
      return { ...base, predicateType: SLIPWAY_APPROVAL_V1, predicate: { ...facts, approver: evidence.approver, version: evidence.version, ...(evidence.comment ? { comment: evidence.comment } : {}) } };
  }
}

const factsSchema = z.looseObject({
  kind: z.enum(evidenceKinds),
  status: z.string().min(1),
  service: z.string().min(1),
  runId: z.string().optional(),
  commit: z.string().optional(),
  contentHash: z.string().optional(),
  startedOn: z.string().optional(),
  finishedOn: z.string(),
  durationMs: z.number().optional(),
  logSha256: z.string().optional(),
  tools: z.record(z.string(), z.string()).optional(),
});

const statementSchema = z.looseObject({
  _type: z.literal(IN_TOTO_STATEMENT_V1),
  subject: z.array(z.looseObject({ name: z.string(), digest: z.record(z.string(), z.string()) })).min(1),
  predicateType: z.string().min(1),
  predicate: z.record(z.string(), z.unknown()),
});

export interface ReadStatement {
  statement: Statement;
  facts: EvidenceFacts & Record<string, unknown>;
}

/** Parses statement bytes and finds its facts; throws an Error naming the first thing wrong. */
export function readStatement(bytes: Uint8Array): ReadStatement {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Error("the statement is not JSON");
  }
  const parsed = statementSchema.safeParse(json);
  if (!parsed.success) throw new Error(`not an in-toto v1 Statement: ${firstIssue(parsed.error)}`);
  const statement = parsed.data as Statement;
  const raw = factsLocation(statement);
  const facts = factsSchema.safeParse(raw);
  if (!facts.success) throw new Error(`a ${statement.predicateType} statement without slipway's facts: ${firstIssue(facts.error)}`);
  if (expectedPredicate(facts.data.kind) !== statement.predicateType) throw new Error(`a ${facts.data.kind} statement must be a ${expectedPredicate(facts.data.kind)}, not ${statement.predicateType}`);
  return { statement, facts: facts.data as EvidenceFacts & Record<string, unknown> };
}

/** True when one of the statement's subjects is `digest`. */
export function namesDigest(statement: Statement, digest: string): boolean {
  const { algorithm, hex } = parseDigest(digest);
  return statement.subject.some((s) => s.digest[algorithm] === hex);
}

export function expectedPredicate(kind: EvidenceKind): string {
  if (kind === "build") return SLSA_PROVENANCE_V1;
  if (kind === "unit-test" || kind === "container-test") return TEST_RESULT_V01;
  if (kind === "integration-test") return SLIPWAY_INTEGRATION_TEST_V1;
  if (kind === "load-test") return SLIPWAY_LOAD_TEST_V1;
  if (kind === "compatibility") return SLIPWAY_COMPATIBILITY_V1;
  if (kind === "approval") return SLIPWAY_APPROVAL_V1;
  return SLIPWAY_STAGE_V1;
}

function factsOf(evidence: Evidence): EvidenceFacts {
  const keys: (keyof EvidenceFacts)[] = ["kind", "status", "service", "runId", "commit", "contentHash", "startedOn", "finishedOn", "durationMs", "logSha256", "tools"];
  return Object.fromEntries(keys.filter((k) => evidence[k] !== undefined).map((k) => [k, evidence[k]])) as unknown as EvidenceFacts;
}

function factsLocation(statement: Statement): unknown {
  const p = statement.predicate;
  if (statement.predicateType === SLSA_PROVENANCE_V1) return field(field(field(p, "buildDefinition"), "internalParameters"), "slipway");
  if (statement.predicateType === TEST_RESULT_V01) return field(p, "slipway");
  return p;
}

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue === undefined ? "invalid" : `${issue.path.join(".") || "(root)"}: ${issue.message}`;
}
