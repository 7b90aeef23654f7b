// Where Slipway is installed: the directory holding its package.json. Files
// a command needs at run time (bin/slipway.js, the dashboard's dist/web, the
// router's supervisor script, package.json) are found from here rather than
// from the calling module's own URL, because `npm run build` bundles the CLI
// into dist/cli/ (ADR 31), where a module's URL is that of its chunk.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

/** The install directory: the nearest ancestor of this module with Slipway's package.json. */
export function installRoot(): string {
  if (root !== undefined) return root;
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (isSlipwayPackage(join(dir, "package.json"))) return (root = dir);
    if (dirname(dir) === dir) throw new Error(`no Slipway package.json above ${fileURLToPath(import.meta.url)}`);
  }
}

/** A path inside the install directory, e.g. installPath("dist", "web"). */
export function installPath(...parts: string[]): string {
  return join(installRoot(), ...parts);
}

function isSlipwayPackage(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { name?: unknown }).name === "slipway";
  } catch {
    return false;
  }
}
