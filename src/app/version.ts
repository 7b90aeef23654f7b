// Slipway's own version, from its package.json (three levels above dist/src/app/).
import { readFileSync } from "node:fs";

export function slipwayVersion(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { name?: unknown; version?: unknown };
    return pkg.name === "slipway" && typeof pkg.version === "string" ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}
