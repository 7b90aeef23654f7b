#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build`, which also
// bundles it into dist/cli/ for a faster start (ADR 31). The bundle is used
// only while it is newer than tsc's last output (a bare `tsc` after it would
// otherwise be shadowed by stale code).
import { statSync } from "node:fs";

const dist = new URL("../dist/", import.meta.url);
const mtime = (path) => statSync(new URL(path, dist), { throwIfNoEntry: false })?.mtimeMs ?? -1;
const bundled = mtime("cli/built") >= mtime(".tsbuildinfo");
const { main } = await import(bundled ? "../dist/cli/main.js" : "../dist/src/cli/main.js");

process.exitCode = await main(process.argv.slice(2));
