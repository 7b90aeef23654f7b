// A delivery benchmark's scratch system on Docker: a temp folder, the real
// CLI on it, its services' folders, and what is removed at the end, also on
// Ctrl-C — the platform
// (`slipway down`), the system's containers by label, the images the
// benchmark built, the folder — unless --keep leaves it all.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanUpOnInterrupt, repoRoot } from "./harness.js";
import { log, type RunResult, type Runner } from "./processes.js";
import { MINUTE, SECOND } from "./stats.js";

/** `slipway down` for the system at `root`, then whatever of `system` still runs (by label) and `images`: what a failed run may leave too. */
export async function removeSystem(run: Runner["run"], root: string, system: string, images: readonly string[]): Promise<void> {
  await run(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, "down"], { timeoutMs: MINUTE }).catch(() => undefined);
  const ids = (await run("docker", ["ps", "-aq", "--filter", `label=org.slipway.system=${system}`], { timeoutMs: 20 * SECOND })).stdout.split("\n").filter(Boolean);
  if (ids.length > 0) await run("docker", ["rm", "-f", ...ids], { timeoutMs: MINUTE });
  if (images.length > 0) await run("docker", ["rmi", "-f", ...images], { timeoutMs: MINUTE });
}

export interface ScratchSystemOptions {
  /** The system's name in its slipway.yaml (its containers' label). */
  system: string;
  /** The start of the temp folder's name. */
  prefix: string;
  /** --keep: nothing is removed; the folder's path is logged. */
  keep: boolean;
  /** How long a CLI call may take unless it says otherwise. */
  cliTimeoutMs: number;
  /** Removed after the system and before the folder (e.g. a cluster's namespaces). */
  alsoRemove?: () => Promise<unknown>;
}

export interface ScratchSystem {
  root: string;
  /** Image tags to remove at the end: the benchmark adds what it builds. */
  images: string[];
  /** `slipway --config <root> <args>`; a BenchError unless it exits 0. */
  cli(args: string[], timeoutMs?: number): Promise<RunResult>;
  /** services/<name>/slipway.service.yaml, and the Dockerfile `validate` requires a service to be built from. */
  writeService(name: string, yaml: string): void;
  /** Removes it all (see cleanUpOnInterrupt): call it in a `finally`. */
  cleanup(): Promise<void>;
}

/** A fresh temp folder for the system, removed with all it ran and built on cleanup() or Ctrl-C. */
export function scratchSystem({ run, mustRun }: Runner, options: ScratchSystemOptions): ScratchSystem {
  const root = mkdtempSync(join(tmpdir(), options.prefix));
  const images: string[] = [];
  const cleanup = cleanUpOnInterrupt(async () => {
    if (options.keep) return log(`kept ${root}`);
    await removeSystem(run, root, options.system, images);
    await options.alsoRemove?.();
    rmSync(root, { recursive: true, force: true });
  });
  const cli = (args: string[], timeoutMs = options.cliTimeoutMs): Promise<RunResult> => mustRun(process.execPath, [join(repoRoot, "bin", "slipway.js"), "--config", root, ...args], { timeoutMs });
  const writeService = (name: string, yaml: string): void => {
    mkdirSync(join(root, "services", name), { recursive: true });
    writeFileSync(join(root, "services", name, "slipway.service.yaml"), yaml);
    writeFileSync(join(root, "services", name, "Dockerfile"), "FROM scratch\n");
  };
  return { root, images, cli, writeService, cleanup };
}
