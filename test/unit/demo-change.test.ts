// The quickstart (scripts/demo.sh) ships a feature to the example's ingestion
// service as a patch. This keeps the patch applying to the example as it is,
// so a change to the example cannot break the quickstart unnoticed.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../e2e/helpers.js";

describe("the quickstart's change to the example", () => {
  it("applies to the example's ingestion service and adds the x-served-by header with a test", () => {
    const patch = join(repoRoot, "scripts", "demo", "ingestion-served-by.patch");
    const dir = mkdtempSync(join(tmpdir(), "slipway-demo-patch-"));
    try {
      const src = join(dir, "services", "ingestion", "src");
      mkdirSync(src, { recursive: true });
      for (const file of ["app.ts", "app.test.ts"]) copyFileSync(join(repoRoot, "examples", "drone-delivery", "services", "ingestion", "src", file), join(src, file));
      execFileSync("git", ["apply", patch], { cwd: dir, stdio: "pipe" });
      assert.match(readFileSync(join(src, "app.ts"), "utf8"), /res\.setHeader\("x-served-by"/);
      assert.match(readFileSync(join(src, "app.test.ts"), "utf8"), /x-served-by/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
