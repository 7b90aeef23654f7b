import { loadSystem } from "../../config/load-system.js";
import { DockerEngine } from "../../docker/engine.js";
import { platformDown, platformUp, type ComponentReport } from "../../platform/platform.js";
import { paint, type Output } from "../output.js";
import type { CommandContext } from "../main.js";

export async function upCommand({ output, globals }: CommandContext): Promise<number> {
  const system = await loadSystem(globals.config);
  const reports = await platformUp(system, new DockerEngine());
  print(output, globals.json, reports);
  return 0;
}

export async function downCommand({ output, globals }: CommandContext): Promise<number> {
  const system = await loadSystem(globals.config);
  const reports = await platformDown(system);
  print(output, globals.json, reports);
  return 0;
}

function print(output: Output, json: boolean, reports: readonly ComponentReport[]): void {
  if (json) {
    output.out(JSON.stringify({ components: reports }));
    return;
  }
  const width = Math.max(...reports.map((r) => r.component.length));
  for (const r of reports) {
    output.out(`${r.component.padEnd(width)}  ${paint(output, "bold", r.status.padEnd(15))} ${paint(output, "dim", r.detail)}`);
  }
}
