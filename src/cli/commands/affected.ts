import { affectedServices } from "../../app/pipeline.js";
import { paint } from "../output.js";
import type { CommandContext } from "../main.js";

export async function affectedCommand({ output, globals }: CommandContext, opts: { since?: string }): Promise<number> {
  const result = await affectedServices(globals.config, opts);
  if (globals.json) {
    output.out(JSON.stringify({ services: result }));
    return 0;
  }
  for (const s of result) {
    output.out(`${s.affected ? paint(output, "yellow", "●") : paint(output, "green", "○")} ${s.service}${s.affected ? "" : paint(output, "dim", " unchanged")}`);
    for (const reason of s.reasons.slice(0, 10)) output.out(`    ${reason}`);
    if (s.reasons.length > 10) output.out(`    … and ${s.reasons.length - 10} more`);
  }
  return 0;
}
