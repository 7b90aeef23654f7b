import { loadSystem } from "../../config/load-system.js";
import type { EnvironmentConfig } from "../../domain/config-schema.js";
import { formatProblem } from "../../domain/errors.js";
import { PromotionPath } from "../../domain/promotion-path.js";
import { paint } from "../output.js";
import type { CommandContext } from "../main.js";

export async function validateCommand({ output, globals }: CommandContext): Promise<number> {
  const system = await loadSystem(globals.config);
  const order = system.graph.topologicalOrder();
  if (globals.json) {
    output.out(JSON.stringify({ system: system.config.system, valid: true, services: order, waves: system.graph.waves(), promotionPath: PromotionPath.of(system.config.environments).order, warnings: system.warnings }));
    return 0;
  }
  output.out(`${paint(output, "green", "✓")} ${system.config.system}: slipway.yaml and ${system.services.length} services are valid`);
  output.out(`  dependency order: ${order.join(" → ")}`);
  const byName = new Map(system.config.environments.map((e) => [e.name, e]));
  const rules = (e: EnvironmentConfig): string => {
    const p = e.promotion;
    if (p === undefined) return "";
    const parts = [...p.requirePassed.map((k) => `${k} passed`), ...(p.soak === undefined ? [] : [`soak ${p.soak.minutes}m`]), ...(p.approvals > 0 ? [`${p.approvals} approval${p.approvals === 1 ? "" : "s"}`] : [])];
    return parts.length === 0 ? "" : `; needs ${parts.join(", ")}`;
  };
  const path = PromotionPath.of(system.config.environments).order.flatMap((n) => byName.get(n) ?? []);
  output.out(`  environments: ${path.map((e) => `${e.name} (${e.runtime}, from ${e.registry}${rules(e)})`).join(" → ")}`);
  for (const warning of system.warnings) output.out(`${paint(output, "yellow", "warning")} ${formatProblem(warning)}`);
  return 0;
}
