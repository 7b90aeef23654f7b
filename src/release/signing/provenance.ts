// SLSA v1 provenance in an in-toto Statement v1: which source (repository,
// commit), which pipeline run, which build image and which tests produced an
// image digest. Attached to the image as an OCI artifact whose `subject` is
// the image, so the referrers API (or its `sha256-<hex>` tag fallback) finds
// it. Pure: building, parsing and the artifact manifest.
import { z } from "zod";
import { parseDigest } from "../../registry/reference.js";
import { MediaTypes, type Descriptor, type Manifest } from "../../registry/types.js";

export const IN_TOTO_STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1";
/** Artifact type and layer media type of the attached statement. */
export const IN_TOTO_MEDIA_TYPE = "application/vnd.in-toto+json";
/** What the fields of buildDefinition mean; a name, not yet a published page. */
export const SLIPWAY_BUILD_TYPE = "https://slipway.dev/build-types/container-pipeline/v1";
export const SLIPWAY_BUILDER_ID = "https://slipway.dev/builder/v1";
/** The OCI 1.1 empty descriptor: artifacts without a config point at the two bytes `{}`. */
export const EMPTY_CONFIG: Descriptor = { mediaType: MediaTypes.ociEmpty, digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", size: 2, data: "e30=" };

export interface TestResult {
  stage: string;
  /** As the pipeline reports a stage: passed, failed, skipped, cancelled. */
  status: string;
  durationMs: number;
}

export interface ProvenanceInput {
  /** Where the source lives: a URL (https://…, ssh://…) or the path CI read it from. */
  sourceRepository: string;
  commit: string;
  service: string;
  version: string;
  /** The pipeline run that built and tested the image. */
  runId: string;
  /** Slipway's content hash of the service's inputs. */
  contentHash: string;
  /** The build environment image, e.g. `golang:1.22-bookworm`. */
  buildImage: string;
  buildImageDigest?: string;
  testResults: TestResult[];
  /** RFC 3339 times of the run. */
  startedOn: string;
  finishedOn: string;
  /** Overrides SLSA_BUILDER_ID, e.g. to name the CI host. */
  builderId?: string;
}

/** An in-toto ResourceDescriptor (the fields slipway writes). */
export interface ResourceDescriptor {
  name?: string;
  uri?: string;
  digest?: Record<string, string>;
  mediaType?: string;
  annotations?: Record<string, unknown>;
}

export interface SlsaProvenance {
  buildDefinition: {
    buildType: string;
    externalParameters: { sourceRepository: string; commit: string; service: string; version: string };
    internalParameters: { runId: string; contentHash: string };
    resolvedDependencies: ResourceDescriptor[];
  };
  runDetails: {
    builder: { id: string };
    metadata: { invocationId: string; startedOn: string; finishedOn: string };
    byproducts: ResourceDescriptor[];
  };
}

export interface InTotoStatement {
  _type: typeof IN_TOTO_STATEMENT_TYPE;
  subject: { name: string; digest: Record<string, string> }[];
  predicateType: typeof SLSA_PROVENANCE_V1;
  predicate: SlsaProvenance;
}

/** The statement for one image: `subjectName` is the image's name (`registry/repository`), `subjectDigest` its manifest digest. */
export function buildProvenanceStatement(input: ProvenanceInput, subjectName: string, subjectDigest: string): InTotoStatement {
  const { algorithm, hex } = parseDigest(subjectDigest);
  const passed = input.testResults.filter((t) => t.status === "passed").length;
  const failed = input.testResults.filter((t) => t.status === "failed").length;
  const buildImage: ResourceDescriptor = { name: "build-image", uri: `oci://${input.buildImage}` };
  if (input.buildImageDigest !== undefined) {
    const parsed = parseDigest(input.buildImageDigest);
    buildImage.digest = { [parsed.algorithm]: parsed.hex };
  }
  return {
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [{ name: subjectName, digest: { [algorithm]: hex } }],
    predicateType: SLSA_PROVENANCE_V1,
    predicate: {
      buildDefinition: {
        buildType: SLIPWAY_BUILD_TYPE,
        externalParameters: { sourceRepository: input.sourceRepository, commit: input.commit, service: input.service, version: input.version },
        internalParameters: { runId: input.runId, contentHash: input.contentHash },
        resolvedDependencies: [{ name: "source", uri: sourceUri(input.sourceRepository, input.commit), digest: { gitCommit: input.commit } }, buildImage],
      },
      runDetails: {
        builder: { id: input.builderId ?? SLIPWAY_BUILDER_ID },
        metadata: { invocationId: input.runId, startedOn: input.startedOn, finishedOn: input.finishedOn },
        byproducts: [{ name: "test-results", mediaType: "application/json", annotations: { passed, failed, total: input.testResults.length, stages: input.testResults } }],
      },
    },
  };
}

const resourceDescriptor = z.looseObject({
  name: z.string().optional(),
  uri: z.string().optional(),
  digest: z.record(z.string(), z.string()).optional(),
});

const statementSchema = z.looseObject({
  _type: z.literal(IN_TOTO_STATEMENT_TYPE),
  subject: z.array(z.looseObject({ name: z.string(), digest: z.record(z.string(), z.string()) })).min(1),
  predicateType: z.literal(SLSA_PROVENANCE_V1),
  predicate: z.looseObject({
    buildDefinition: z.looseObject({
      buildType: z.string().min(1),
      externalParameters: z.record(z.string(), z.unknown()),
      internalParameters: z.record(z.string(), z.unknown()).optional(),
      resolvedDependencies: z.array(resourceDescriptor).optional(),
    }),
    runDetails: z.looseObject({
      builder: z.looseObject({ id: z.string().min(1) }),
      metadata: z.looseObject({ invocationId: z.string().optional(), startedOn: z.string().optional(), finishedOn: z.string().optional() }).optional(),
      byproducts: z.array(resourceDescriptor).optional(),
    }),
  }),
});

/** Parses statement bytes; throws an Error naming the first thing wrong. */
export function parseProvenanceStatement(bytes: Uint8Array): InTotoStatement {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    throw new Error("the statement is not JSON");
  }
  const result = statementSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new Error(`the statement is not an in-toto v1 SLSA provenance: ${issue === undefined ? "invalid" : `${issue.path.join(".") || "(root)"}: ${issue.message}`}`);
  }
  return result.data as unknown as InTotoStatement;
}

/** True when one of the statement's subjects has `digest`. */
export function statementNamesDigest(statement: InTotoStatement, digest: string): boolean {
  const { algorithm, hex } = parseDigest(digest);
  return statement.subject.some((s) => s.digest[algorithm] === hex);
}

/** The artifact manifest: one in-toto layer, the image as subject, dated by the run's end so attaching twice is idempotent. */
export function provenanceManifest(statementLayer: Descriptor, subject: Descriptor, created: string): Uint8Array {
  const manifest: Manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    artifactType: IN_TOTO_MEDIA_TYPE,
    config: EMPTY_CONFIG,
    layers: [{ mediaType: IN_TOTO_MEDIA_TYPE, digest: statementLayer.digest, size: statementLayer.size }],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
    annotations: { "org.opencontainers.image.created": created },
  };
  return new TextEncoder().encode(JSON.stringify(manifest));
}

/** SLSA's convention for git sources: `git+<url>@<commit>`. */
function sourceUri(repository: string, commit: string): string {
  const base = repository.startsWith("git+") ? repository : `git+${repository}`;
  return `${base}@${commit}`;
}
