// The slipway command line: parses arguments, constructs the adapters a
// command needs (this is the composition root), runs it, reports errors.
import { Command, CommanderError } from "commander";
import { SlipwayError } from "../domain/errors.js";
import { consoleOutput, reportError, type Output } from "./output.js";
import { validateCommand } from "./commands/validate.js";
import { schemaCommand } from "./commands/schema.js";
import { upCommand, downCommand } from "./commands/up-down.js";
import { doctorCommand } from "./commands/doctor.js";
import { ciCommand } from "./commands/ci.js";
import { affectedCommand } from "./commands/affected.js";
import { runsListCommand, runsShowCommand } from "./commands/runs.js";

export interface GlobalOptions {
  config: string;
  debug: boolean;
  json: boolean;
}

export interface CommandContext {
  output: Output;
  globals: GlobalOptions;
}

export async function main(argv: string[], output: Output = consoleOutput()): Promise<number> {
  let exitCode = 0;
  const program = new Command("slipway")
    .description("Carries a system of microservices from commit to production and back.")
    .option("-c, --config <path>", "slipway.yaml, or a folder at or below it", process.cwd())
    .option("--json", "machine-readable output", false)
    .option("--debug", "show stacks with errors", false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .showSuggestionAfterError(true);

  const context = (): CommandContext => ({ output, globals: program.opts<GlobalOptions>() });
  const run =
    <A extends unknown[]>(action: (ctx: CommandContext, ...args: A) => Promise<number> | number) =>
    async (...args: A): Promise<void> => {
      exitCode = await action(context(), ...args);
    };

  program.command("validate").description("check slipway.yaml and every slipway.service.yaml; exits non-zero on any error").action(run(validateCommand));
  program
    .command("schema")
    .description("write the JSON Schemas of both configuration files, for editors")
    .option("-o, --out <dir>", "folder to write them to", "schema")
    .action(run((ctx, opts: { out: string }) => schemaCommand(ctx, opts.out)));
  program.command("up").description("start the local platform: check Docker Engine, start the dev and prod registries, migrate the state store").action(run(upCommand));
  program.command("down").description("stop what `slipway up` started; registry data is kept").action(run(downCommand));
  program
    .command("ci")
    .description("build, unit-test, image, container-test and push to the dev registry every service that changed")
    .argument("[services...]", "only these services (and what their builds depend on)")
    .option("-j, --concurrency <n>", "services built at once (default: the number of cores)")
    .action(run((ctx, services: string[], opts: { concurrency?: string }) => ciCommand(ctx, services, opts)));
  program
    .command("affected")
    .description("list the services CI would build, and why")
    .option("--since <git-ref>", "compare with a git ref instead of the dev registry")
    .action(run((ctx, opts: { since?: string }) => affectedCommand(ctx, opts)));
  const runs = program
    .command("runs")
    .description("list pipeline runs")
    .option("-n, --limit <n>", "how many", "20")
    .action(run((ctx, opts: { limit: string }) => runsListCommand(ctx, opts)));
  runs.command("show").description("show one pipeline run").argument("<id>").action(run((ctx, id: string) => runsShowCommand(ctx, id)));
  program.command("doctor").description("check the host and platform, and say how to fix what is missing").action(run(doctorCommand));

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander already printed its usage error.
      return err.exitCode === 0 ? 0 : new SlipwayError("USAGE", err.message).exitCode;
    }
    const { debug, json } = program.opts<GlobalOptions>();
    return reportError(output, err, { debug, json });
  }
}
