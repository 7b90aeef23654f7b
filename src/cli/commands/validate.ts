import { loadSystem } from "../../config/load-system.js";
import { formatProblem } from "../../domain/errors.js";
import { paint } from "../output.js";
import type { CommandContext } from "../main.js";

export async function validateCommand({ output, globals }: CommandContext): Promise<number> {
  const system = await loadSystem(globals.config);
  const order = system.graph.topologicalOrder();
  if (globals.json) {
    output.out(JSON.stringify({ system: system.config.system, valid: true, services: order, waves: system.graph.waves(), warnings: system.warnings }));
    return 0;
  }
  output.out(`${paint(output, "green", "✓")} ${system.config.system}: slipway.yaml and ${system.services.length} services are valid`);
  output.out(`  dependency order: ${order.join(" → ")}`);
  output.out(`  environments: ${system.config.environments.map((e) => `${e.name} (${e.runtime}, from ${e.registry})`).join(" → ")}`);
  for (const warning of system.warnings) output.out(`${paint(output, "yellow", "warning")} ${formatProblem(warning)}`);
  return 0;
}
