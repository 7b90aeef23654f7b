import { loadSystem, type LoadedSystem } from "../../config/load-system.js";
import { ConfigError, SlipwayError } from "../../domain/errors.js";
import { DockerEngine } from "../../docker/engine.js";
import { runDoctor, type CheckResult } from "../../platform/doctor.js";
import { paint } from "../output.js";
import type { CommandContext } from "../main.js";

export async function doctorCommand({ output, globals }: CommandContext): Promise<number> {
  const { system, configCheck } = await tryLoad(globals.config);
  const results = [...(configCheck ? [configCheck] : []), ...(await runDoctor(new DockerEngine(), system))];
  const failed = results.some((r) => r.level === "fail");
  if (globals.json) {
    output.out(JSON.stringify({ ok: !failed, checks: results }));
    return failed ? 1 : 0;
  }
  const width = Math.max(...results.map((r) => r.name.length));
  for (const r of results) {
    const mark = r.level === "ok" ? paint(output, "green", "✓") : r.level === "warn" ? paint(output, "yellow", "!") : paint(output, "red", "✗");
    output.out(`${mark} ${r.name.padEnd(width)}  ${r.detail}`);
    if (r.fix !== undefined && r.level !== "ok") output.out(`  ${" ".repeat(width)}  fix: ${r.fix}`);
  }
  output.out(failed ? "doctor: some checks failed" : "doctor: all required checks passed");
  return failed ? 1 : 0;
}

/** Doctor works without a system too (host checks only); a broken one is a failed check, not a crash. */
async function tryLoad(config: string): Promise<{ system?: LoadedSystem; configCheck?: CheckResult }> {
  try {
    const system = await loadSystem(config);
    return { system, configCheck: { name: "configuration", level: "ok", detail: `${system.config.system}: ${system.services.length} services` } };
  } catch (err) {
    if (err instanceof ConfigError) return { configCheck: { name: "configuration", level: "fail", detail: err.message, fix: "slipway validate" } };
    if (err instanceof SlipwayError && err.code === "CONFIG_NOT_FOUND") return { configCheck: { name: "configuration", level: "warn", detail: "no slipway.yaml here; host checks only" } };
    throw err;
  }
}
