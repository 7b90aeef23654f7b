// The planners are pure (ARCHITECTURE.md): no node:* module, no I/O, no
// clock, no randomness; time comes in as Observed.nowMs. Lint does not cover
// delivery/ yet, so this reads the compiled modules and says which breaks it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const modules = [
  ...readdirSync(here)
    .filter((f) => f.endsWith(".js") && !f.endsWith(".test.js"))
    .map((f) => `${here}${f}`),
  fileURLToPath(new URL("../types.js", import.meta.url)),
];

const forbidden: [RegExp, string][] = [
  [/from\s+["']node:|import\(["']node:|require\(/, "imports a node: module"],
  [/from\s+["'](fs|path|os|net|http|https|child_process|dockerode|better-sqlite3)["']/, "imports an I/O library"],
  [/\bDate\.now\(|new Date\(/, "reads the clock"],
  [/\bperformance\.now\(|\bprocess\./, "reads the process"],
  [/\bMath\.random\(/, "is random"],
  [/\bsetTimeout\(|\bsetInterval\(|\bfetch\(/, "does I/O or waits"],
];

describe("delivery planners are pure", () => {
  it("finds the modules", () => assert.ok(modules.length >= 10, modules.join(", ")));
  for (const file of modules) {
    it(file.slice(file.lastIndexOf("/dist/") + 6), () => {
      const source = readFileSync(file, "utf8");
      for (const [pattern, what] of forbidden) assert.doesNotMatch(source, pattern, `${file} ${what}`);
    });
  }
});
