// Files a service's build writes into its own folder (a `go build` binary,
// Python's __pycache__): when git neither tracks nor ignores them they would
// count as sources, so the next CI would see a new content hash and rebuild
// although nothing changed. CI compares the folder before and after the
// build and unit-test containers; what they created or changed, untracked,
// is recorded as build output, left out of the content hash from then on,
// and named in a warning with the .gitignore lines that would tidy it up.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** path (relative, with `/`) → size and modification time, of every file under `dir` but .git and node_modules. */
export type FolderSnapshot = Map<string, string>;

export function snapshotFolder(dir: string, prefix = "", into: FolderSnapshot = new Map()): FolderSnapshot {
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    if (entry.name === ".git" || entry.name === "node_modules") continue;
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) snapshotFolder(dir, path, into);
    else if (entry.isFile()) {
      const stat = statSync(join(dir, path));
      into.set(path, `${stat.size}:${stat.mtimeMs}`);
    }
  }
  return into;
}

/** Files new in `after` or changed since `before`, sorted. */
export function writtenBetween(before: FolderSnapshot, after: FolderSnapshot): string[] {
  return [...after].filter(([path, stamp]) => before.get(path) !== stamp).map(([path]) => path).sort();
}

/** .gitignore lines (for the service folder's .gitignore) covering these paths: a top-level folder as `name/`, a file as `/name`. */
export function gitignoreLines(paths: readonly string[]): string[] {
  return [...new Set(paths.map((p) => (p.includes("/") ? `${p.slice(0, p.indexOf("/"))}/` : `/${p}`)))].sort();
}

const SHOWN = 5;

/** The warning CI prints for the outputs of one service's build. */
export function buildOutputWarning(serviceFolder: string, outputs: readonly string[]): string {
  const shown = outputs.slice(0, SHOWN).join(", ") + (outputs.length > SHOWN ? ` and ${outputs.length - SHOWN} more` : "");
  return (
    `the build wrote ${outputs.length} file${outputs.length === 1 ? "" : "s"} into ${serviceFolder} that git neither tracks nor ignores (${shown}); ` +
    `they are left out of the content hash from now on, so they do not make the next CI rebuild. ` +
    `Add to ${serviceFolder}/.gitignore: ${gitignoreLines(outputs).join(" ")}`
  );
}
