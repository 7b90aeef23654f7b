// The signers slipway.yaml's `trust:` names, with their keys loaded: a path
// (relative to slipway.yaml) or PEM text per identity. A key that cannot be
// read is an error naming `trust.<identity>.publicKey`.
import { join, isAbsolute } from "node:path";
import type { LoadedSystem } from "../../config/load-system.js";
import { SlipwayError } from "../../domain/errors.js";
import { keyIdOf, loadPublicKey } from "../signing/keys.js";
import type { TrustedKey } from "./read-evidence.js";

/** Undefined when slipway.yaml has no `trust:`: evidence is then the local store's. */
export function trustedKeys(system: Pick<LoadedSystem, "root" | "config">): TrustedKey[] | undefined {
  const trust = system.config.trust;
  if (trust === undefined) return undefined;
  return Object.entries(trust).map(([identity, signer]) => {
    const pem = signer.publicKey.trimStart().startsWith("-----BEGIN");
    const source = pem || isAbsolute(signer.publicKey) ? signer.publicKey : join(system.root, signer.publicKey);
    let publicKey;
    try {
      publicKey = loadPublicKey(source);
    } catch (err) {
      const message = err instanceof SlipwayError ? err.message : String(err);
      throw new SlipwayError("CONFIG_INVALID", `slipway.yaml trust.${identity}.publicKey: ${message}`, { hint: "give the path of the signer's cosign.pub (relative to slipway.yaml) or its PEM text", cause: err });
    }
    return { identity, keyId: keyIdOf(publicKey), publicKey, may: signer.may };
  });
}
