// `slipway controller --env <env>`: the environment's rollout controller
// (src/app/controller.ts) as a long-running process, until Ctrl-C; rollouts
// stay where they are, and any slipway command (or the next controller)
// resumes them from the store.
import { startEnvironmentController } from "../../app/controller.js";
import type { CommandContext } from "../main.js";
import { lineReporter } from "../app-events.js";

export async function controllerCommand(ctx: CommandContext, opts: { env: string }): Promise<number> {
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const controller = await startEnvironmentController(ctx.globals.config, opts.env, { reporter: lineReporter(ctx.output, { json: ctx.globals.json, prefixService: true }), signal: stop.signal });
    ctx.output.out(`controller for ${opts.env} (process ${process.pid}): driving rollouts as they come and keeping settled services at their replica counts; Ctrl-C stops it and leaves them where they are`);
    await controller.done;
    ctx.output.out("controller stopped; rollouts in flight stay where they are");
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
