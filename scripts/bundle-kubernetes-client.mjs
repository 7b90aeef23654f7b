// Part of `npm run build`, after tsc: replaces dist/src/kubernetes/client-node.js
// (a re-export of @kubernetes/client-node) with one minified ES module holding
// those exports and everything they import, so a command on a cluster
// environment loads one file instead of ~1,000 (src/kubernetes/client-node.ts
// says why). Idempotent: a bundle already in place is bundled from tsc's
// output again only when tsc wrote a new one.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "dist", "src", "kubernetes", "client-node.js");
const MARK = "/* slipway: bundled @kubernetes/client-node */";

const current = readFileSync(target, "utf8");
if (current.startsWith(MARK)) process.exit(0);
const started = Date.now();
const temporary = join(root, "dist", ".client-node.bundle");
rmSync(temporary, { recursive: true, force: true });
await build({
  input: target,
  platform: "node",
  logLevel: "warn",
  output: { dir: temporary, format: "esm", minify: true, codeSplitting: false, entryFileNames: "client-node.js" },
});
writeFileSync(target, `${MARK}\n${readFileSync(join(temporary, "client-node.js"), "utf8")}`);
rmSync(temporary, { recursive: true, force: true });
rmSync(`${target}.map`, { force: true });
console.log(`bundled @kubernetes/client-node into ${target.slice(root.length + 1)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
