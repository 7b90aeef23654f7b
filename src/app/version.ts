// Slipway's own version, from its package.json.
import { readFileSync } from "node:fs";
import { installPath } from "../install-paths.js";

export function slipwayVersion(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(installPath("package.json"), "utf8")) as { name?: unknown; version?: unknown };
    return pkg.name === "slipway" && typeof pkg.version === "string" ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}
