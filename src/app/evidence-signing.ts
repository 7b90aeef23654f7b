// Signs evidence that is not a CI stage — a passed integration-test run, an
// approval — and attaches it to the digest in the dev registry, so a release
// on another machine can count it. Signs with SLIPWAY_SIGNING_KEY when set
// (a CI runner's secret), else the state directory's key.
import type { LoadedSystem } from "../config/load-system.js";
import { repositoryPath } from "../domain/image-names.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import { attest, type Attester } from "../release/attestations/attest-stages.js";
import type { Evidence } from "../release/attestations/statements.js";
import { keysDir } from "../release/release-service.js";
import { signingKeyFor } from "../release/signing/keys.js";
import { devRegistryClient } from "./registry-clients.js";
import { slipwayVersion } from "./version.js";

/** Attaches each piece of evidence to its service's digest when the dev registry holds it; returns how many were attached. */
export async function signEvidence(system: LoadedSystem, items: readonly { service: string; digest: string; evidence: Evidence }[]): Promise<number> {
  if (items.length === 0) return 0;
  const client = devRegistryClient(system);
  const dev = parseRegistryUrl(system.config.registries.dev.url);
  const attester: Attester = { client, registryName: dev.authority, privateKey: signingKeyFor(process.env, keysDir(system)).privateKey, tools: { slipway: slipwayVersion() ?? "unknown", node: process.version } };
  let attached = 0;
  try {
    for (const item of items) {
      const service = system.services.find((s) => s.config.name === item.service);
      if (service === undefined) continue;
      const repository = repositoryPath(system.config, service.config, dev);
      // A digest deployed from elsewhere (the prod registry) has nowhere to go in dev.
      if ((await client.headManifest(repository, item.digest)) === undefined) continue;
      await attest(attester, repository, item.digest, item.evidence);
      attached++;
    }
  } finally {
    client.close();
  }
  return attached;
}
