// The layering rules are enforced by lint; this proves the rules fire, so a
// config change cannot switch them off unnoticed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ESLint } from "eslint";
import { repoRoot } from "../e2e/helpers.js";

async function ruleMessages(filePath: string, code: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe("layering lint rules", () => {
  it("keep domain/ free of I/O", async () => {
    const messages = await ruleMessages("src/domain/example.ts", 'import { readFileSync } from "node:fs";\nexport const f = readFileSync;\n');
    assert.ok(messages.some((m) => m.includes("domain/ is pure")), messages.join("\n"));
  });
  it("keep domain/ from importing other layers", async () => {
    const messages = await ruleMessages("src/domain/example.ts", 'import { loadSystem } from "../config/load-system.js";\nexport const f = loadSystem;\n');
    assert.ok(messages.some((m) => m.includes("imports nothing of ours")), messages.join("\n"));
  });
  it("keep adapters from importing faces", async () => {
    const messages = await ruleMessages("src/docker/example.ts", 'import { main } from "../cli/main.js";\nexport const f = main;\n');
    assert.ok(messages.some((m) => m.includes("Only faces import faces")), messages.join("\n"));
  });
  for (const [face, adapter] of [
    ["src/cli/commands/example.ts", "../../docker/engine.js"],
    ["src/cli/example.ts", "../store/sqlite/sqlite-store.js"],
    ["src/server/example.ts", "../router/haproxy/haproxy-router.js"],
    ["src/server/routes/example.ts", "../../runtime/docker/docker-runtime.js"],
    ["src/cli/example.ts", "../registry/oci/oci-registry-client.js"],
    ["src/server/example.ts", "../platform/platform.js"],
  ]) {
    it(`keep ${face} from importing the adapter ${adapter}`, async () => {
      const messages = await ruleMessages(face as string, `import * as adapter from "${adapter}";\nexport const f = adapter;\n`);
      assert.ok(messages.some((m) => m.includes("only through src/app/")), messages.join("\n"));
    });
  }
  it("let faces import the application layer", async () => {
    const messages = await ruleMessages("src/cli/example.ts", 'import { deploy } from "../app/deploy.js";\nexport const f = deploy;\n');
    assert.deepEqual(messages.filter((m) => m.startsWith("no-restricted")), []);
  });
  it("let the application layer compose adapters", async () => {
    const messages = await ruleMessages("src/app/example.ts", 'import { DockerEngine } from "../docker/engine.js";\nexport const f = DockerEngine;\n');
    assert.deepEqual(messages.filter((m) => m.startsWith("no-restricted")), []);
  });
  it("keep the application layer from importing faces", async () => {
    const messages = await ruleMessages("src/app/example.ts", 'import { main } from "../cli/main.js";\nexport const f = main;\n');
    assert.ok(messages.some((m) => m.includes("never imports them")), messages.join("\n"));
  });
});
