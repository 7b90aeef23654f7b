import { startPlatform, stopPlatform, type ComponentReport } from "../../app/platform.js";
import { paint, type Output } from "../output.js";
import type { CommandContext } from "../main.js";

export async function upCommand({ output, globals }: CommandContext): Promise<number> {
  const reports = await startPlatform(globals.config);
  print(output, globals.json, reports);
  return 0;
}

export async function downCommand({ output, globals }: CommandContext): Promise<number> {
  const reports = await stopPlatform(globals.config);
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
