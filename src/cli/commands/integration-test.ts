// `slipway test --env <env>`: the system's integration tests against what is
// deployed in an environment (src/app/integration.ts); with --mixed <service>,
// against that service's new digest beside the environment's digests
// (src/app/compatibility.ts).
import { runCompatibilityTests } from "../../app/compatibility.js";
import { runSystemIntegrationTests } from "../../app/integration.js";
import { describePair } from "../../domain/compatibility-pairs.js";
import { SlipwayError } from "../../domain/errors.js";
import { currentIdentity } from "../../release/identity.js";
import type { CommandContext } from "../main.js";
import { lineReporter } from "../app-events.js";
import { untilInterrupted } from "../interrupt.js";
import { paint } from "../output.js";

export async function integrationTestCommand(ctx: CommandContext, opts: { env: string; mixed?: string; digest?: string }): Promise<number> {
  if (opts.mixed !== undefined) return compatibilityCommand(ctx, { env: opts.env, mixed: opts.mixed, ...(opts.digest === undefined ? {} : { digest: opts.digest }) });
  if (opts.digest !== undefined) throw new SlipwayError("USAGE", "--digest goes with --mixed <service>", { hint: `slipway test --env ${opts.env} --mixed <service> --digest ${opts.digest}` });
  const { output, globals } = ctx;
  return untilInterrupted(async (signal) => {
    const done = await runSystemIntegrationTests(globals.config, opts.env, { reporter: lineReporter(output, globals), signal });
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
  });
}

async function compatibilityCommand(ctx: CommandContext, opts: { env: string; mixed: string; digest?: string }): Promise<number> {
  const { output, globals } = ctx;
  return untilInterrupted(async (signal) => {
    const request = { service: opts.mixed, ...(opts.digest === undefined ? {} : { digest: opts.digest }) };
    const done = await runCompatibilityTests(globals.config, opts.env, request, { reporter: lineReporter(output, globals), signal, identity: currentIdentity() });
    if (done === undefined) {
      output.err("interrupted: nothing recorded; the scratch copy was taken down");
      return 130;
    }
    const { run, logFile } = done;
    if (globals.json) output.out(JSON.stringify(run));
    else if (run.status === "passed") {
      output.out(`${paint(output, "green", "compatible")}: ${run.service} at ${run.digest.slice(0, 19)} passed ${run.results.length} tests beside what ${run.environment} runs; log ${logFile}`);
    } else {
      const failed = run.results.filter((r) => !r.passed).length;
      output.out(`${paint(output, "red", "incompatible")}: ${run.service} at ${run.digest.slice(0, 19)} beside what ${run.environment} runs: ${failed} of ${run.results.length} tests failed; log ${logFile}`);
      for (const pair of run.pairs) output.out(`  broke: ${describePair(pair)}`);
      if (run.pairs.length === 0) output.out("  no dependency edge of the new service explains the failure: the tests that failed do not reach it");
    }
    return run.status === "passed" ? 0 : 1;
  });
}
