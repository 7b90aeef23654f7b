// A CNCF Distribution registry (Debian's docker-registry) run by slipway on
// loopback, its data in the state directory so images survive down and up.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RegistryAddress } from "../domain/registry-address.js";
import type { DaemonSpec } from "./daemon.js";

export const REGISTRY_BINARY = "/usr/bin/docker-registry";

export function registryBinary(): string | undefined {
  const candidates = [process.env["SLIPWAY_REGISTRY_BINARY"], REGISTRY_BINARY, "/usr/local/bin/registry"];
  return candidates.find((c): c is string => c !== undefined && existsSync(c));
}

/** The daemon spec for one registry role. */
export function registryDaemonSpec(stateDir: string, role: "dev" | "prod", address: RegistryAddress, binary: string): DaemonSpec {
  const dir = join(stateDir, "registries", role);
  const dataDir = join(dir, "data");
  const configFile = join(dir, "config.yml");
  return {
    name: `${role} registry`,
    command: binary,
    args: ["serve", configFile],
    pidFile: join(stateDir, "run", `registry-${role}.pid`),
    logFile: join(stateDir, "logs", `registry-${role}.log`),
    port: address.port,
    portSetting: `registries.${role}.url in slipway.yaml`,
    healthy: () => registryAnswers(address),
    prepare: () => {
      mkdirSync(dataDir, { recursive: true });
      writeFileSync(configFile, registryConfig(address, dataDir));
    },
  };
}

function registryConfig(address: RegistryAddress, dataDir: string): string {
  return [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${JSON.stringify(dataDir)}`,
    "  delete:",
    "    enabled: true",
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    `  addr: ${address.host}:${address.port}`,
    "  headers:",
    "    X-Content-Type-Options: [nosniff]",
    "",
  ].join("\n");
}

/** True when GET /v2/ answers as the distribution spec says (200, or 401 behind auth). */
export async function registryAnswers(address: RegistryAddress, timeoutMs = 1_000): Promise<boolean> {
  try {
    const res = await fetch(`${address.scheme}://${address.authority}/v2/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200 || res.status === 401;
  } catch {
    return false;
  }
}
