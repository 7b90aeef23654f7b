// `slipway serve`: the rollout controller of every environment, and the
// HTTP API (src/server/) over the application layer, in one long-running
// process. Ctrl-C (or SIGTERM) stops accepting requests, ends the event
// streams and lets each controller save where its rollouts are, so every
// rollout resumes from the store.
import { fanOut } from "../../app/events.js";
import { watchRunJournals } from "../../app/run-watcher.js";
import { openServeHost, startControllers } from "../../app/serve-host.js";
import { SlipwayError } from "../../domain/errors.js";
import { createApiApp } from "../../server/api-app.js";
import { listen } from "../../server/http-server.js";
import type { CommandContext } from "../main.js";
import { lineReporter } from "../app-events.js";
import { paint } from "../output.js";

export interface ServeOptions {
  host: string;
  port: string;
  cert?: string;
  key?: string;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export async function serveCommand(ctx: CommandContext, opts: ServeOptions): Promise<number> {
  const { output, globals } = ctx;
  const port = Number(opts.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SlipwayError("USAGE", `--port ${opts.port} is not a port number`);
  if ((opts.cert === undefined) !== (opts.key === undefined)) throw new SlipwayError("USAGE", "TLS needs both --cert and --key");
  const tls = opts.cert !== undefined && opts.key !== undefined ? { cert: opts.cert, key: opts.key } : undefined;

  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const host = await openServeHost(globals.config);
  try {
    const reporter = fanOut(lineReporter(output, { json: globals.json, prefixService: true }), host.hub);
    const controllers = await startControllers(host, { reporter, signal: stop.signal });
    // CI runs in `slipway ci`'s process: its stages reach the event stream through the run's journal.
    const watchingRuns = watchRunJournals(host.system.stateDir, (event) => host.hub.emit(event), stop.signal);
    const api = createApiApp(host, { secureCookies: tls !== undefined });
    const server = await listen(api, { hostname: opts.host, port, ...(tls === undefined ? {} : { tls }) });
    output.out(`slipway serve: ${host.system.config.system} at ${server.url} (API: ${server.url}/api/openapi.json; events: ${server.url}/api/events)`);
    for (const c of controllers) {
      if ("skipped" in c) output.err(paint(output, "yellow", `${c.environment}: no controller here: ${c.skipped}`));
      else {
        output.out(`${c.environment}: controller running; rollouts recorded by the API or by CLI commands are driven here`);
        c.controller.done.catch((err: unknown) => output.err(paint(output, "red", `${c.environment}: the controller stopped: ${err instanceof Error ? err.message : String(err)}; restart slipway serve`)));
      }
    }
    if (tls === undefined && !LOOPBACK.has(opts.host)) output.err(paint(output, "yellow", `listening on ${opts.host} without TLS: passwords and tokens cross the network in clear; pass --cert and --key`));
    output.out(
      host.auth.hasUsers()
        ? `log in: open the dashboard at ${server.url}/ in a browser (your user and password), or call the API with Authorization: Bearer <token from \`slipway token create\`>`
        : `no users yet: \`slipway users add <you@example.com> --role admin --password-stdin\`, then log in at ${server.url}/ (the dashboard) or use \`slipway token create --user <you@example.com> --role admin\``,
    );
    await new Promise((resolve) => stop.signal.addEventListener("abort", resolve, { once: true }));
    output.out("stopping: no new requests; each controller saves where its rollouts are");
    await server.close();
    await Promise.allSettled([...controllers.map((c) => ("controller" in c ? c.controller.done : undefined)), watchingRuns]);
    output.out("slipway serve stopped; rollouts in flight stay where they are and resume on the next start");
    return 0;
  } finally {
    stop.abort();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    host.close();
  }
}
