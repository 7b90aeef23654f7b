// Golden files for planner traces: src/delivery/strategies/__golden__/<name>.json,
// compared with deepEqual; UPDATE_GOLDEN=1 rewrites them. Tests run from
// dist/, so the files are found relative to the repository, not the build.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const goldenDir = fileURLToPath(new URL("../../../../../src/delivery/strategies/__golden__/", import.meta.url));

export function assertGolden(name: string, actual: unknown): void {
  const file = `${goldenDir}${name}.json`;
  if (process.env["UPDATE_GOLDEN"] === "1") {
    mkdirSync(goldenDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(actual, null, 2)}\n`);
    return;
  }
  assert.ok(existsSync(file), `no golden file ${file}; run the tests with UPDATE_GOLDEN=1 to write it`);
  assert.deepEqual(actual, JSON.parse(readFileSync(file, "utf8")), `${name} differs from ${file} (UPDATE_GOLDEN=1 rewrites it after a deliberate change)`);
}
