// `slipway test --env <env>`: the system's integration tests against what is
// deployed in an environment (src/app/integration.ts).
import { runSystemIntegrationTests } from "../../app/integration.js";
import type { CommandContext } from "../main.js";
import { lineReporter } from "../app-events.js";
import { paint } from "../output.js";

export async function integrationTestCommand(ctx: CommandContext, opts: { env: string }): Promise<number> {
  const { output, globals } = ctx;
  const stop = new AbortController();
  const onSignal = (): void => stop.abort(new Error("interrupted"));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const done = await runSystemIntegrationTests(globals.config, opts.env, { reporter: lineReporter(output, globals), signal: stop.signal });
    if (done === undefined) {
      output.err("interrupted: nothing recorded; the test container, if one ran, was removed");
      return 130;
    }
    const { run, logFile } = done;
    if (globals.json) output.out(JSON.stringify(run));
    else {
      const failed = run.results.filter((r) => !r.passed).length;
      output.out(`${run.status === "passed" ? paint(output, "green", "passed") : paint(output, "red", "failed")}: ${run.results.length - failed} of ${run.results.length} tests passed; log ${logFile}`);
    }
    return run.status === "passed" ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
