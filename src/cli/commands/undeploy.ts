// `slipway undeploy <service…> | --all --env E [--force]`: a thin face over
// src/app/undeploy.ts.
import { withEnvironment } from "../../app/environment.js";
import { undeploy } from "../../app/undeploy.js";
import { currentIdentity } from "../../release/identity.js";
import type { CommandContext } from "../main.js";
import { lineReporter } from "../app-events.js";

export async function undeployCommand(ctx: CommandContext, services: string[], opts: { env: string; all?: boolean; force?: boolean }): Promise<number> {
  const { output, globals } = ctx;
  return withEnvironment(globals.config, opts.env, async (session) => {
    const done = await undeploy(session, { services, ...(opts.all === undefined ? {} : { all: opts.all }), ...(opts.force === undefined ? {} : { force: opts.force }) }, { reporter: lineReporter(output, globals), identity: currentIdentity() });
    if (globals.json) output.out(JSON.stringify({ undeployed: done }));
    else if (done.length === 0) output.out(`nothing is deployed in ${opts.env}`);
    return 0;
  });
}
