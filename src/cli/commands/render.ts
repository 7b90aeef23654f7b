// `slipway render kubernetes`: an environment's system as Kubernetes
// manifests (docs/kubernetes.md), from a system lock file or from what runs
// now — a lock taken exactly as `slipway snapshot` takes it. Renders only:
// nothing is applied, and no cluster is needed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSystem, type LoadedSystem } from "../../config/load-system.js";
import { renderManifests, resolveNamespace, serializeManifests, type RenderOptions } from "../../delivery/kubernetes/render-manifests.js";
import { checkLockFits, parseLock, type SystemLock } from "../../delivery/recovery/system-lock.js";
import type { EnvironmentConfig } from "../../domain/config-schema.js";
import { SlipwayError } from "../../domain/errors.js";
import { endpointPort, environmentOf } from "../../domain/placement.js";
import type { CommandContext } from "../main.js";
import { snapshotCommand } from "./recovery.js";

export interface RenderKubernetesOptions {
  env: string;
  lock?: string;
  namespace?: string;
  gatewayClass?: string;
  out?: string;
  allowPartial?: boolean;
}

export async function renderKubernetesCommand(ctx: CommandContext, opts: RenderKubernetesOptions): Promise<number> {
  const system = await loadSystem(ctx.globals.config);
  const { environment, portOffset } = environmentOf(system.config, opts.env);
  const { lock, source } = opts.lock === undefined ? await snapshotNow(ctx, opts) : { lock: readLock(opts.lock), source: `the lock file ${opts.lock}` };
  checkLockFits(lock, system.config.system, system.services.map((s) => s.config.name));
  const { namespace, from } = resolveNamespace({ flag: opts.namespace, configured: environment.kubernetes?.namespace, system: system.config.system, environment: environment.name });
  const version = slipwayVersion();
  const options: RenderOptions = {
    namespace,
    namespaceSource: from,
    environment: environment.name,
    source: lock.environment === environment.name ? source : `${source} (taken in ${lock.environment})`,
    ...configured(system, portOffset),
    ...gatewayOptions(environment.kubernetes?.gateway, opts.gatewayClass),
    ...(version === undefined ? {} : { slipwayVersion: version }),
  };
  const rendered = renderManifests(lock, options);
  const text = serializeManifests(rendered);
  if (opts.out === undefined) {
    process.stdout.write(text);
    return 0;
  }
  writeFileSync(opts.out, text);
  const kinds = rendered.documents.map((d) => `${String(d.object["kind"])}/${String((d.object["metadata"] as { name: string }).name)}`);
  if (ctx.globals.json) ctx.output.out(JSON.stringify({ file: opts.out, namespace, objects: kinds }));
  else ctx.output.out(`wrote ${opts.out}: ${kinds.length} objects of ${system.config.system} (${environment.name}) in namespace ${namespace}; create the Secrets it names before applying`);
  return 0;
}

function readLock(file: string): SystemLock {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new SlipwayError("USAGE", `cannot read the lock ${file}: ${(err as Error).message}`, { hint: "take one with `slipway snapshot --env <env> -o <file>`" });
  }
  return parseLock(text, file);
}

/** What runs now: `slipway snapshot` itself writes the lock to a private temporary file. */
async function snapshotNow(ctx: CommandContext, opts: RenderKubernetesOptions): Promise<{ lock: SystemLock; source: string }> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-render-"));
  try {
    const file = join(dir, "lock.json");
    const quiet = { ...ctx, output: { ...ctx.output, out: () => undefined }, globals: { ...ctx.globals, json: false } };
    await snapshotCommand(quiet, { env: opts.env, out: file, ...(opts.allowPartial === true ? { allowPartial: true } : {}) });
    return { lock: readLock(file), source: `what ran in ${opts.env} (a snapshot taken when rendering)` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What the lock does not record: endpoint ports, ports of dependencies outside it. */
function configured(system: LoadedSystem, portOffset: number): Pick<RenderOptions, "endpointPorts" | "servicePorts"> {
  const configs = system.services.map((s) => s.config);
  return {
    endpointPorts: Object.fromEntries(configs.map((c) => [c.name, endpointPort(c, portOffset)])),
    servicePorts: Object.fromEntries(configs.map((c) => [c.name, c.port])),
  };
}

/** The environment's gateway settings, the same the Kubernetes runtime uses; --gateway-class wins. */
function gatewayOptions(gateway: NonNullable<EnvironmentConfig["kubernetes"]>["gateway"], flag: string | undefined): Pick<RenderOptions, "gatewayClass" | "sharedPort" | "hostnameSuffix"> {
  const gatewayClass = flag ?? gateway?.className;
  return {
    ...(gatewayClass === undefined ? {} : { gatewayClass }),
    ...(gateway?.port === undefined ? {} : { sharedPort: gateway.port }),
    ...(gateway?.hostnameSuffix === undefined ? {} : { hostnameSuffix: gateway.hostnameSuffix }),
  };
}

function slipwayVersion(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
    return pkg.name === "slipway" && typeof pkg.version === "string" ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}
