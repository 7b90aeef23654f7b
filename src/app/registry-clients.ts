// Registry clients for the configured registries, credentials read from the
// environment variables slipway.yaml names (never from the file itself).
import type { LoadedSystem } from "../config/load-system.js";
import type { RegistryConfig } from "../domain/config-schema.js";
import { SlipwayError } from "../domain/errors.js";
import { parseRegistryUrl } from "../domain/registry-address.js";
import { OciRegistryClient } from "../registry/oci/oci-registry-client.js";
import type { RegistryClient } from "../registry/types.js";

export function devRegistryClient(system: LoadedSystem, env: NodeJS.ProcessEnv = process.env): RegistryClient {
  return registryClient(system, "dev", env);
}

export function registryClient(system: LoadedSystem, role: "dev" | "prod", env: NodeJS.ProcessEnv = process.env): RegistryClient {
  const config = system.config.registries[role];
  const credentials = registryCredentials(config, role, env);
  return new OciRegistryClient(parseRegistryUrl(config.url), credentials === undefined ? {} : { credentials });
}

export function registryCredentials(config: RegistryConfig, role: string, env: NodeJS.ProcessEnv): { username: string; password: string } | undefined {
  if (config.credentials === undefined) return undefined;
  const { usernameEnv, passwordEnv } = config.credentials;
  const username = env[usernameEnv];
  const password = env[passwordEnv];
  const missing = [username === undefined ? usernameEnv : undefined, password === undefined ? passwordEnv : undefined].filter((n) => n !== undefined);
  if (username === undefined || password === undefined) {
    throw new SlipwayError("CONFIG_INVALID", `the ${role} registry's credentials are read from ${missing.join(" and ")}, which ${missing.length === 1 ? "is" : "are"} not set`, {
      hint: `export ${missing.join(" and ")} before running slipway`,
    });
  }
  return { username, password };
}
