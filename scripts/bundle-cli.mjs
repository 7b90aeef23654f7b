// Part of `npm run build`, after tsc and bundle-kubernetes-client.mjs: bundles
// the CLI (dist/src/cli/main.js and everything it imports, its lazily loaded
// commands as chunks of their own) into dist/cli/, so a command loads a few
// files instead of ~300 ES modules (zod alone is 95): ~0.1 s of every
// command's start (ADR 31). bin/slipway.js runs the bundle unless tsc wrote
// newer output since (then dist/src, so a bare `tsc` is never shadowed by a
// stale bundle). Packages with native parts or CommonJS loaded through
// createRequire stay outside, resolved from node_modules as before.
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "cli");
const started = Date.now();
const temporary = join(root, "dist", ".cli.bundle");
rmSync(temporary, { recursive: true, force: true });
await build({
  input: join(root, "dist", "src", "cli", "main.js"),
  platform: "node",
  logLevel: "warn",
  external: [/^better-sqlite3($|\/)/, /^dockerode($|\/)/, /^autocannon($|\/)/],
  output: { dir: temporary, format: "esm", entryFileNames: "main.js", chunkFileNames: "[name]-[hash].js", sourcemap: false },
});
// Written last: bin/slipway.js takes the bundle only when this stamp is newer than tsc's build info.
writeFileSync(join(temporary, "built"), `${new Date().toISOString()}\n`);
rmSync(out, { recursive: true, force: true });
renameSync(temporary, out);
console.log(`bundled the CLI into dist/cli/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
