// Attaches a provenance statement to an image as an OCI 1.1 artifact: the
// statement is the one layer, the image is the `subject`. Storing it by
// digest lets the client record it in the `sha256-<hex>` referrers index on
// registries without the referrers API (Distribution 2.8). The same statement
// gives the same artifact digest, so attaching twice lists it once.
import { SlipwayError } from "../../domain/errors.js";
import { computeDigest } from "../../registry/digest.js";
import { MediaTypes, type Descriptor, type RegistryClient } from "../../registry/types.js";
import { EMPTY_CONFIG, IN_TOTO_MEDIA_TYPE, provenanceManifest, statementNamesDigest, type InTotoStatement } from "./provenance.js";
import { pushSmallBlob } from "./registry-io.js";

/** Returns the artifact manifest's digest. `image` is the descriptor of the manifest the statement is about. */
export async function attachProvenance(client: RegistryClient, repository: string, image: Descriptor, statement: InTotoStatement): Promise<string> {
  if (!statementNamesDigest(statement, image.digest)) {
    const named = statement.subject.map((s) => Object.entries(s.digest).map(([alg, hex]) => `${alg}:${hex}`).join(",")).join("; ");
    throw new SlipwayError("PROVENANCE_INVALID", `the provenance statement is about ${named || "nothing"}, not ${repository}@${image.digest}`, { hint: "build the statement for the digest being attached to" });
  }
  await pushSmallBlob(client, repository, new TextEncoder().encode("{}"), EMPTY_CONFIG.mediaType);
  const layer = await pushSmallBlob(client, repository, new TextEncoder().encode(JSON.stringify(statement)), IN_TOTO_MEDIA_TYPE);
  const manifest = provenanceManifest(layer, image, statement.predicate.runDetails.metadata.finishedOn);
  return client.putManifest(repository, computeDigest(manifest), manifest, MediaTypes.ociManifest);
}
