// The local platform: start and stop what `slipway up` runs (the dev and
// prod registries, the state store's migrations), and check the host.
import { loadSystem, type LoadedSystem } from "../config/load-system.js";
import { DockerEngine } from "../docker/engine.js";
import { ConfigError, SlipwayError } from "../domain/errors.js";
import { runDoctor, type CheckResult } from "../platform/doctor.js";
import { platformDown, platformUp, type ComponentReport } from "../platform/platform.js";

export type { CheckResult, ComponentReport };

export async function startPlatform(config: string): Promise<ComponentReport[]> {
  return platformUp(await loadSystem(config), new DockerEngine());
}

export async function stopPlatform(config: string): Promise<ComponentReport[]> {
  return platformDown(await loadSystem(config));
}

/** Doctor works without a system too (host checks only); a broken one is a failed check, not a crash. */
export async function checkHost(config: string): Promise<CheckResult[]> {
  const { system, configCheck } = await tryLoad(config);
  return [...(configCheck ? [configCheck] : []), ...(await runDoctor(new DockerEngine(), system))];
}

async function tryLoad(config: string): Promise<{ system?: LoadedSystem; configCheck?: CheckResult }> {
  try {
    const system = await loadSystem(config);
    const warned = system.warnings.length === 0 ? "" : `; ${system.warnings.length} warning${system.warnings.length === 1 ? "" : "s"}`;
    return { system, configCheck: { name: "configuration", level: warned === "" ? "ok" : "warn", detail: `${system.config.system}: ${system.services.length} services${warned}`, fix: "slipway validate" } };
  } catch (err) {
    if (err instanceof ConfigError) return { configCheck: { name: "configuration", level: "fail", detail: err.message, fix: "slipway validate" } };
    if (err instanceof SlipwayError && err.code === "CONFIG_NOT_FOUND") return { configCheck: { name: "configuration", level: "warn", detail: "no slipway.yaml here; host checks only" } };
    throw err;
  }
}
