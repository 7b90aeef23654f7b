import { availableParallelism } from "node:os";
import { runCiPipeline } from "../../app/pipeline.js";
import { SlipwayError } from "../../domain/errors.js";
import { chooseMode, createProgressRenderer } from "../../pipeline/progress/index.js";
import type { CommandContext } from "../main.js";

export async function ciCommand({ output, globals }: CommandContext, services: string[], opts: { concurrency?: string }): Promise<number> {
  const concurrency = opts.concurrency === undefined ? availableParallelism() : Number(opts.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new SlipwayError("USAGE", `--concurrency must be a whole number of at least 1, got "${opts.concurrency}"`);
  const renderer = createProgressRenderer({
    mode: chooseMode({ isTTY: process.stdout.isTTY === true, json: globals.json, ci: process.env["CI"] !== undefined }),
    write: (text) => process.stdout.write(text),
    color: process.stdout.isTTY === true && process.env["NO_COLOR"] === undefined,
    columns: process.stdout.columns ?? 100,
  });

  // First Ctrl-C: stop starting work and remove running containers. Second: leave now.
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    // The live view hides the cursor and redraws in place: end it before writing anything else.
    renderer.dispose();
    if (interrupts > 1) process.exit(130);
    output.err(`\n${signal}: stopping; removing the containers of this run (again to quit at once)`);
    controller.abort(new Error(`interrupted by ${signal}`));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const result = await runCiPipeline(globals.config, { services, concurrency, listener: renderer.listener, signal: controller.signal });
    return result.status === "passed" ? 0 : result.status === "cancelled" ? 130 : 1;
  } finally {
    renderer.dispose();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
