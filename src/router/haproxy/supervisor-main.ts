// Entry point of the router's supervisor process (supervisor.ts), started
// detached by HaproxyRouter.start() through the platform's daemon helpers:
//   node supervisor-main.js <haproxy binary> <config file> <master socket> <haproxy pid file>
// Its stdout and stderr are the router's log file, which HAProxy shares.
import { fileURLToPath } from "node:url";
import { superviseHaproxy } from "./supervisor.js";

/** The compiled path of this file, for the daemon's command line. */
export const SUPERVISOR_SCRIPT = fileURLToPath(import.meta.url);

async function main(argv: string[]): Promise<number> {
  const [binary, configFile, masterSocket, haproxyPidFile] = argv;
  if (binary === undefined || configFile === undefined || masterSocket === undefined || haproxyPidFile === undefined) {
    process.stderr.write("usage: supervisor-main.js <haproxy binary> <config file> <master socket> <haproxy pid file>\n");
    return 2;
  }
  const stop = new AbortController();
  process.on("SIGTERM", () => stop.abort());
  process.on("SIGINT", () => stop.abort());
  const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  await superviseHaproxy({ binary, configFile, masterSocket, haproxyPidFile, log }, stop.signal);
  log("supervisor: stopped");
  return 0;
}

if (process.argv[1] === SUPERVISOR_SCRIPT) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`supervisor failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
