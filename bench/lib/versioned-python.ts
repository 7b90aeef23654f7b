// The service the delivery benchmarks roll out (python-server.ts) built into
// one image per version from python:3.11-slim-bookworm and pushed to a
// registry; and the `--rounds N --keep` arguments those benchmarks take.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { wholeNumber } from "./harness.js";
import { BenchError, type Runner } from "./processes.js";
import { SERVER_PY } from "./python-server.js";
import { MINUTE, SECOND } from "./stats.js";

export const PYTHON_BASE = "python:3.11-slim-bookworm";

/**
 * Builds `<repository>:<version>` for each version (contexts under `root`) and
 * pushes it, tagged into each of `repositories` when there are more (the
 * same image: the same digest); adds each tag to `images` (for clean-up) and
 * returns version → digest.
 */
export async function buildVersions(mustRun: Runner["mustRun"], root: string, repositories: string | readonly string[], versions: readonly string[], images: string[]): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const version of versions) {
    const context = join(root, `context-${version}`);
    mkdirSync(context);
    writeFileSync(join(context, "server.py"), SERVER_PY);
    writeFileSync(join(context, "Dockerfile"), `FROM ${PYTHON_BASE}\nENV APP_VERSION=${version}\nCOPY server.py /app/server.py\nUSER 65534\nCMD ["python", "-u", "/app/server.py"]\n`);
    const tags = (typeof repositories === "string" ? [repositories] : repositories).map((repository) => `${repository}:${version}`);
    const [tag = "", ...more] = tags;
    images.push(...tags);
    await mustRun("docker", ["build", "-q", "-t", tag, context], { timeoutMs: 3 * MINUTE });
    for (const other of more) await mustRun("docker", ["tag", tag, other], { timeoutMs: 20 * SECOND });
    for (const t of tags) await mustRun("docker", ["push", "-q", t], { timeoutMs: 3 * MINUTE });
    const digest = (await mustRun("docker", ["inspect", "--format", "{{index .RepoDigests 0}}", tag], { timeoutMs: 20 * SECOND })).stdout.trim().split("@")[1];
    if (digest === undefined) throw new BenchError(`no digest for ${tag}`);
    digests[version] = digest;
  }
  return digests;
}

/** `--rounds N` (1–20, default 3) and `--keep`. */
export function roundsAndKeep(argv: readonly string[], usage: string): { rounds: number; keep: boolean } {
  const options = { rounds: 3, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--rounds") options.rounds = wholeNumber(arg, argv[++i], 1, 20);
    else if (arg === "--keep") options.keep = true;
    else throw new BenchError(`unknown argument ${arg ?? ""}\n${usage}`);
  }
  return options;
}
