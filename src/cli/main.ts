// The slipway command line: parses arguments, constructs the adapters a
// command needs (this is the composition root), runs it, reports errors.
import { Command, CommanderError } from "commander";
import { SlipwayError } from "../domain/errors.js";
import { consoleOutput, reportError, type Output } from "./output.js";

// Each command's module is imported when it runs: a no-op `slipway ci` should
// not pay for loading what `release` or `doctor` need.
const commands = {
  validate: () => import("./commands/validate.js"),
  schema: () => import("./commands/schema.js"),
  upDown: () => import("./commands/up-down.js"),
  doctor: () => import("./commands/doctor.js"),
  ci: () => import("./commands/ci.js"),
  affected: () => import("./commands/affected.js"),
  runs: () => import("./commands/runs.js"),
  release: () => import("./commands/release.js"),
  deploy: () => import("./commands/deploy.js"),
  integrationTest: () => import("./commands/integration-test.js"),
  loadTest: () => import("./commands/load-test.js"),
  controller: () => import("./commands/controller.js"),
  scaleDown: () => import("./commands/scale-down.js"),
  undeploy: () => import("./commands/undeploy.js"),
  recovery: () => import("./commands/recovery.js"),
  history: () => import("./commands/history.js"),
  render: () => import("./commands/render.js"),
  remote: () => import("./remote.js"),
  remoteGroup: () => import("./remote-group.js"),
  serve: () => import("./commands/serve.js"),
  users: () => import("./commands/users.js"),
};

export interface GlobalOptions {
  config: string;
  debug: boolean;
  json: boolean;
  /** A `slipway serve` to talk to instead of this machine's store (status, releases, approve, deploy, rollout, rollback, promote). */
  server?: string;
}

export interface CommandContext {
  output: Output;
  globals: GlobalOptions;
}

/** --to-lock's lock number: a whole number from 1, as `slipway history` numbers them. */
export function lockNumberOf(text: string, env: string): number {
  const number = Number(text);
  if (!/^\d+$/.test(text.trim()) || number < 1) throw new SlipwayError("USAGE", `--to-lock ${text} is not a lock number`, { hint: `\`slipway history --env ${env}\` lists the locks by number` });
  return number;
}

export async function main(argv: string[], output: Output = consoleOutput()): Promise<number> {
  let exitCode = 0;
  const program = new Command("slipway")
    .description("Carries a system of microservices from commit to production and back.")
    .option("-c, --config <path>", "slipway.yaml, or a folder at or below it", process.cwd())
    .option("--json", "machine-readable output", false)
    .option("--debug", "show stacks with errors", false)
    .option("--server <url>", "talk to this `slipway serve` (default: SLIPWAY_SERVER) with the token in SLIPWAY_TOKEN, for status, releases, release, approve, reject, deploy, rollout, rollback (also --to-lock), promote, history, audit, runs, snapshot")
    .exitOverride()
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) })
    .showSuggestionAfterError(true);

  const context = (): CommandContext => ({ output, globals: program.opts<GlobalOptions>() });
  const run =
    <A extends unknown[]>(action: (ctx: CommandContext, ...args: A) => Promise<number> | number) =>
    async (...args: A): Promise<void> => {
      exitCode = await action(context(), ...args);
    };
  // A command that can also talk to a server: remote when --server or SLIPWAY_SERVER says so.
  const localOrRemote =
    <A extends unknown[]>(local: (ctx: CommandContext, ...args: A) => Promise<number>, remote: (ctx: CommandContext, r: import("./remote.js").Remote, ...args: A) => Promise<number>) =>
    async (...args: A): Promise<void> => {
      const ctx = context();
      const { remoteOf } = await commands.remote();
      const server = remoteOf(ctx.globals);
      exitCode = server === undefined ? await local(ctx, ...args) : await remote(ctx, server, ...args);
    };

  program.command("validate").description("check slipway.yaml and every slipway.service.yaml; exits non-zero on any error").action(run(async (ctx) => (await commands.validate()).validateCommand(ctx)));
  program
    .command("schema")
    .description("write the JSON Schemas of both configuration files, for editors")
    .option("-o, --out <dir>", "folder to write them to", "schema")
    .action(run(async (ctx, opts: { out: string }) => (await commands.schema()).schemaCommand(ctx, opts.out)));
  program.command("up").description("start the local platform: check Docker Engine, start the dev and prod registries, migrate the state store").action(run(async (ctx) => (await commands.upDown()).upCommand(ctx)));
  program.command("down").description("stop what `slipway up` started; registry data is kept").action(run(async (ctx) => (await commands.upDown()).downCommand(ctx)));
  program
    .command("ci")
    .description("build, unit-test, image, container-test and push to the dev registry every service that changed")
    .argument("[services...]", "only these services (and what their builds depend on)")
    .option("-j, --concurrency <n>", "services built at once (default: the number of cores)")
    .action(run(async (ctx, services: string[], opts: { concurrency?: string }) => (await commands.ci()).ciCommand(ctx, services, opts)));
  program
    .command("affected")
    .description("list the services CI would build, and why")
    .option("--since <git-ref>", "compare with a git ref instead of the dev registry")
    .action(run(async (ctx, opts: { since?: string }) => (await commands.affected()).affectedCommand(ctx, opts)));
  const runs = program
    .command("runs")
    .description("list pipeline runs")
    .option("-n, --limit <n>", "how many", "20")
    .action(localOrRemote(async (ctx, opts: { limit: string }) => (await commands.runs()).runsListCommand(ctx, opts), async (ctx, r, opts) => (await commands.remote()).remoteRuns(ctx, r, opts)));
  runs
    .command("show")
    .description("show one pipeline run")
    .argument("<id>")
    .action(localOrRemote(async (ctx, id: string) => (await commands.runs()).runsShowCommand(ctx, id), async (ctx, r, id) => (await commands.remote()).remoteRun(ctx, r, id)));
  program
    .command("release")
    .description("promote the digest CI tested to the prod registry, under the release policy; signs it and attaches provenance")
    .argument("[services...]", "the services to release")
    .option("--version <semver>", "the version to release (default: from conventional commits since the last release)")
    .option("--prerelease <id>", "release the next <version>-<id>.N, e.g. rc")
    .option("--all", "every service whose tested digest is not its newest release")
    .action(
      localOrRemote(
        async (ctx, services: string[], opts: { version?: string; prerelease?: string; all?: boolean }) => (await commands.release()).releaseCommand(ctx, services, opts),
        async (ctx, r, services, opts) => (await commands.remote()).remoteRelease(ctx, r, services, opts),
      ),
    );
  program
    .command("approve")
    .description("approve a release waiting for approval, or with --env a service's digest entering an environment (promotion.approvals), as the current identity (SLIPWAY_IDENTITY, git user.email or the OS user)")
    .argument("<release>", "service@version; with --env: service, or service@sha256:… (default: the digest the environment before it serves)")
    .option("-m, --comment <text>", "why")
    .option("--env <environment>", "approve the service's digest entering this environment instead of a release")
    .action(
      localOrRemote(
        async (ctx, id: string, opts: { comment?: string; env?: string }) => (opts.env === undefined ? (await commands.release()).approveCommand(ctx, id, opts) : (await commands.release()).approveEntryCommand(ctx, opts.env, id, opts)),
        async (ctx, r, id, opts) => (await commands.remote()).remoteApprove(ctx, r, id, opts),
      ),
    );
  program
    .command("reject")
    .description("reject a release waiting for approval, as the current identity (an owner of the service); it becomes refused")
    .argument("<release>", "service@version")
    .requiredOption("-r, --reason <text>", "why, for the requester and the audit log")
    .action(localOrRemote(async (ctx, id: string, opts: { reason: string }) => (await commands.release()).rejectCommand(ctx, id, opts), async (ctx, r, id, opts) => (await commands.remote()).remoteReject(ctx, r, id, opts)));
  program
    .command("releases")
    .description("what is in production: version → digest → commit → run → approvals → signature, per service")
    .argument("[service]")
    .action(localOrRemote(async (ctx, service: string | undefined) => (await commands.release()).releasesCommand(ctx, service), async (ctx, r, service) => (await commands.remote()).remoteReleases(ctx, r, service)));
  program
    .command("verify")
    .description("check an image's signature and provenance; non-zero when missing, wrong or tampered")
    .argument("<image>", "registry/repository:tag or @digest")
    .option("--key <path>", "public key (default: the state directory's keys/cosign.pub)")
    .action(run(async (ctx, image: string, opts: { key?: string }) => (await commands.release()).verifyCommand(ctx, image, opts)));
  const audit = program
    .command("audit")
    .description("list the audit log of releases, approvals, refusals and promotions")
    .option("-n, --limit <n>", "how many of the newest entries", "50")
    .action(localOrRemote(async (ctx, opts: { limit: string }) => (await commands.release()).auditCommand(ctx, opts), async (ctx, r, opts) => (await commands.remote()).remoteAudit(ctx, r, opts)));
  audit
    .command("verify")
    .description("check the audit log's hash chain; non-zero when a row was edited or deleted")
    .action(localOrRemote(async (ctx) => (await commands.release()).auditVerifyCommand(ctx), async (ctx, r) => (await commands.remote()).remoteAuditVerify(ctx, r)));
  program
    .command("test")
    .description("run the system's integration tests against what is deployed in an environment; records service → digest with the results. With --mixed: against that service at its new digest beside every other service at the environment's digests, in the environment's scratch copy")
    .requiredOption("--env <env>", "the environment (with --mixed: the target whose digests the other services run at)")
    .option("--mixed <service>", "check this service's new digest with what the environment runs (compatibility)")
    .option("--digest <digest>", "with --mixed: the new digest (default: CI's newest build of the service)")
    .action(run(async (ctx, opts: { env: string; mixed?: string; digest?: string }) => (await commands.integrationTest()).integrationTestCommand(ctx, opts)));
  program
    .command("loadtest")
    .description("run the system's load test scenarios against an environment's router (autocannon); judges thresholds and regression against the last passing run, records service → digest, writes an SVG latency report")
    .requiredOption("--env <env>", "the environment")
    .option("--scenario <name>", "only this scenario")
    .action(run(async (ctx, opts: { env: string; scenario?: string }) => (await commands.loadTest()).loadTestCommand(ctx, opts)));
  program
    .command("deploy")
    .description("roll a service out to an environment with its strategy (rolling, blue-green or canary); runs until done or paused")
    .argument("<service>")
    .requiredOption("--env <env>", "the environment")
    .option("--version <semver>", "a released version (environments deploying from the prod registry)")
    .option("--digest <sha256>", "an image digest in the environment's registry (default: CI's newest build, or the newest release)")
    .action(localOrRemote(async (ctx, service: string, opts: { env: string; version?: string; digest?: string }) => (await commands.deploy()).deployCommand(ctx, service, opts), async (ctx, r, service, opts) => (await commands.remote()).remoteDeploy(ctx, r, service, opts)));
  const rollout = program.command("rollout").description("follow and steer a service's rollout");
  rollout.command("status").description("the rollout's state: phase, step, analyses, revisions").argument("<service>").requiredOption("--env <env>", "the environment").action(localOrRemote(async (ctx, service: string, opts: { env: string }) => (await commands.deploy()).rolloutStatusCommand(ctx, service, opts), async (ctx, r, service, opts) => (await commands.remote()).remoteRolloutStatus(ctx, r, service, opts)));
  for (const [name, description] of [
    ["watch", "show the rollout live (and drive it, unless another slipway process does)"],
    ["resume", "continue a paused or interrupted rollout, running it until done or paused"],
    ["pause", "hold the rollout where it is until resume"],
    ["promote", "go past the current pause or analysis step (--full: skip every remaining step)"],
    ["abort", "send all traffic back to the stable revision"],
    ["retry", "roll an aborted or degraded rollout forward again, as a new attempt"],
  ] as const) {
    rollout
      .command(name)
      .description(description)
      .argument("<service>")
      .requiredOption("--env <env>", "the environment")
      .option("--full", "promote: skip every remaining step, pause and analysis")
      .option("--reason <text>", "abort: why")
      .action(localOrRemote(async (ctx, service: string, opts: { env: string; full?: boolean; reason?: string }) => (await commands.deploy()).rolloutCommand(ctx, name, service, opts), async (ctx, r, service, opts) => (await commands.remote()).remoteRolloutAction(ctx, r, name, service, opts)));
  }
  rollout
    .command("undo")
    .description("abort the rollout in flight, or roll back to the previous (or a given) revision")
    .argument("<service>")
    .requiredOption("--env <env>", "the environment")
    .option("--to-revision <n>", "the revision number to go back to")
    .action(localOrRemote(async (ctx, service: string, opts: { env: string; toRevision?: string }) => (await commands.deploy()).undoCommand(ctx, service, opts), async (ctx, r, service, opts) => (await commands.remote()).remoteRolloutAction(ctx, r, "undo", service, opts)));
  program
    .command("rollback")
    .description("roll a service back in an environment (abort the rollout in flight, or return to the last revision that served healthily), or with --to-lock the whole system to a lock from its history")
    .argument("[service]")
    .requiredOption("--env <env>", "the environment")
    .option("--to-lock <n>", "the whole system back to lock n of `slipway history --env`, dependencies first")
    .action(async (service: string | undefined, opts: { env: string; toLock?: string }) => {
      if (opts.toLock !== undefined) {
        if (service !== undefined) throw new SlipwayError("USAGE", "rollback --to-lock takes the whole system back: name no service");
        const lock = lockNumberOf(opts.toLock, opts.env);
        await localOrRemote(async (ctx) => (await commands.history()).rollbackToLockCommand(ctx, { env: opts.env, lock }), async (ctx, r) => (await commands.remoteGroup()).remoteRollbackToLock(ctx, r, { env: opts.env, lock }))();
        return;
      }
      if (service === undefined) throw new SlipwayError("USAGE", "name the service to roll back, or pass --to-lock <n> for the whole system");
      await localOrRemote(async (ctx, name: string, o: { env: string }) => (await commands.deploy()).undoCommand(ctx, name, { ...o, lastGood: true }), async (ctx, r, name, o) => (await commands.remote()).remoteRolloutAction(ctx, r, "rollback", name, o))(service, { env: opts.env });
    });
  program
    .command("promote")
    .description("promote the whole system: the source environment's lock into the next environment, each changed service in dependency order with its strategy; a failure rolls the group back")
    .requiredOption("--from <env>", "the environment whose lock is promoted")
    .requiredOption("--to <env>", "the environment it is promoted into")
    .action(localOrRemote(async (ctx, opts: { from: string; to: string }) => (await commands.history()).promoteCommand(ctx, opts), async (ctx, r, opts) => (await commands.remoteGroup()).remotePromote(ctx, r, opts)));
  program
    .command("history")
    .description("an environment's lock history: each change of its digests, what changed, who, when, the result")
    .requiredOption("--env <env>", "the environment")
    .option("-n, --limit <n>", "the newest n entries", "50")
    .action(localOrRemote(async (ctx, opts: { env: string; limit?: string }) => (await commands.history()).historyCommand(ctx, opts), async (ctx, r, opts) => (await commands.remote()).remoteHistory(ctx, r, opts)));
  program
    .command("status")
    .description("environment × service: version, digest, ready instances, traffic split")
    .option("--env <env>", "only this environment")
    .action(localOrRemote(async (ctx, opts: { env?: string }) => (await commands.deploy()).statusCommand(ctx, opts), async (ctx, r, opts) => (await commands.remote()).remoteStatus(ctx, r, opts)));
  program
    .command("snapshot")
    .description("write the system lock of an environment: each service's digest, template, replicas and strategy, in dependency order (no secrets)")
    .requiredOption("--env <env>", "the environment")
    .option("-o, --out <file>", "write the lock to this file (default: stdout)")
    .option("--allow-partial", "lock the services that serve and leave out, with the reason, any in a rollout or without a ready instance")
    .action(localOrRemote(async (ctx, opts: { env: string; out?: string; allowPartial?: boolean }) => (await commands.recovery()).snapshotCommand(ctx, opts), async (ctx, r, opts) => (await commands.remote()).remoteSnapshot(ctx, r, opts)));
  program
    .command("restore")
    .description("redeploy exactly the digests of a system lock onto an environment, dependencies first; what already runs is skipped")
    .argument("<file>", "a lock written by `slipway snapshot`")
    .requiredOption("--env <env>", "the target environment")
    .action(run(async (ctx, file: string, opts: { env: string }) => (await commands.recovery()).restoreCommand(ctx, file, opts)));
  program
    .command("render")
    .description("render an environment's system in another form; nothing is applied")
    .command("kubernetes")
    .description("the system as Kubernetes manifests (Namespace, Gateway, and per service a Deployment, Service and HTTPRoute), from a lock or from what runs now; no secret values")
    .requiredOption("--env <env>", "the environment")
    .option("--lock <file>", "render this system lock (from `slipway snapshot`) instead of what runs now")
    .option("--namespace <ns>", "the namespace (default: the environment's kubernetes.namespace, else the system's name)")
    .option("--gateway-class <name>", "the Gateway's gatewayClassName (default: the placeholder slipway-gateway-class)")
    .option("-o, --out <file>", "write the manifests to this file (default: stdout)")
    .option("--allow-partial", "without --lock: render the services that serve, leaving out any in a rollout or without a ready instance")
    .action(run(async (ctx, opts: { env: string; lock?: string; namespace?: string; gatewayClass?: string; out?: string; allowPartial?: boolean }) => (await commands.render()).renderKubernetesCommand(ctx, opts)));
  program
    .command("controller")
    .description("run the rollout controller for an environment until stopped: drives every rollout in flight, so pauses and analysis go on while no other command runs")
    .requiredOption("--env <env>", "the environment")
    .action(run(async (ctx, opts: { env: string }) => (await commands.controller()).controllerCommand(ctx, opts)));
  program
    .command("serve")
    .description("run the rollout controller of every environment and the HTTP API (JSON, server-sent events, OpenAPI at /api/openapi.json) until stopped")
    .option("--host <address>", "the address to listen on", "127.0.0.1")
    .option("-p, --port <n>", "the port", "7700")
    .option("--cert <file>", "TLS certificate (PEM); with --key, serves HTTPS")
    .option("--key <file>", "TLS private key (PEM)")
    .action(run(async (ctx, opts: { host: string; port: string; cert?: string; key?: string }) => (await commands.serve()).serveCommand(ctx, opts)));
  const users = program.command("users").description("the people who use `slipway serve`, with their roles (viewer, deployer, approver, admin)");
  users
    .command("add")
    .description("add a user; the name is the identity the release policy knows (a service owner's e-mail, say)")
    .argument("<name>")
    .requiredOption("--role <role>", "viewer, deployer, approver or admin (each may do what the one before may)")
    .option("--password-stdin", "read a password (at least 12 characters) from stdin, for logging in from a browser")
    .action(run(async (ctx, name: string, opts: { role: string; passwordStdin?: boolean }) => (await commands.users()).usersAddCommand(ctx, name, opts)));
  users.command("list").description("list the users").action(run(async (ctx) => (await commands.users()).usersListCommand(ctx)));
  users
    .command("remove")
    .description("remove a user: their API tokens and dashboard sessions stop working at once (never the last admin)")
    .argument("<name>")
    .action(run(async (ctx, name: string) => (await commands.users()).usersRemoveCommand(ctx, name)));
  users
    .command("set-role")
    .description("change a user's role, for their sessions at once; a demotion caps their tokens at the new role (never the last admin's)")
    .argument("<name>")
    .requiredOption("--role <role>", "viewer, deployer, approver or admin")
    .action(run(async (ctx, name: string, opts: { role: string }) => (await commands.users()).usersSetRoleCommand(ctx, name, opts)));
  const token = program.command("token").description("API tokens for `slipway serve` (CLI remote mode, scripts, CI)");
  token
    .command("create")
    .description("create a token for a user, at most the user's role; printed once, stored only as a hash")
    .requiredOption("--user <name>", "the user it acts as")
    .requiredOption("--role <role>", "viewer, deployer, approver or admin")
    .option("--label <text>", "what it is for")
    .action(run(async (ctx, opts: { user: string; role: string; label?: string }) => (await commands.users()).tokenCreateCommand(ctx, opts)));
  token.command("list").description("list tokens (never their values)").action(run(async (ctx) => (await commands.users()).tokenListCommand(ctx)));
  token.command("revoke").description("revoke a token").argument("<id>").action(run(async (ctx, id: string) => (await commands.users()).tokenRevokeCommand(ctx, id)));
  program
    .command("undeploy")
    .description("take services out of an environment: drained in the router, stopped gracefully, recorded; refused while other deployed services depend on them (unless --all or --force)")
    .argument("[services...]")
    .requiredOption("--env <env>", "the environment")
    .option("--all", "every service deployed in the environment")
    .option("--force", "undeploy even though deployed services depend on it")
    .action(run(async (ctx, services: string[], opts: { env: string; all?: boolean; force?: boolean }) => (await commands.undeploy()).undeployCommand(ctx, services, opts)));
  program
    .command("scale-down")
    .description("remove the previous revisions that finished rollouts keep warm for a rollback, each at its scale-down time, then exit (deploy and rollback start it in the background)")
    .requiredOption("--env <env>", "the environment")
    .action(run(async (ctx, opts: { env: string }) => (await commands.scaleDown()).scaleDownCommand(ctx, opts)));
  program.command("doctor").description("check the host and platform, and say how to fix what is missing").action(run(async (ctx) => (await commands.doctor()).doctorCommand(ctx)));

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
