// `slipway scale-down --env E`: finishes the scale-downs the environment's
// finished rollouts left behind, then exits (src/app/scale-down.ts). Commands
// that end a rollout start it detached; run by hand it does the same.
import { finishScaleDowns } from "../../app/scale-down.js";
import type { CommandContext } from "../main.js";

export async function scaleDownCommand(ctx: CommandContext, opts: { env: string }): Promise<number> {
  const end = await finishScaleDowns(ctx.globals.config, opts.env, (line) => ctx.output.out(`${new Date().toISOString()} ${line}`));
  return end === "gave up" ? 1 : 0;
}
