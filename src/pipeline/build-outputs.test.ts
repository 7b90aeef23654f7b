import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { buildOutputWarning, gitignoreLines, snapshotFolder, writtenBetween } from "./build-outputs.js";

describe("build outputs", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-build-outputs-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("finds files a build created or rewrote, not what it left alone, .git or node_modules", () => {
    writeFileSync(join(dir, "main.go"), "package main\n");
    writeFileSync(join(dir, "server"), "old binary");
    utimesSync(join(dir, "server"), 1_000, 1_000);
    const before = snapshotFolder(dir);
    writeFileSync(join(dir, "server"), "new binary");
    mkdirSync(join(dir, "__pycache__"));
    writeFileSync(join(dir, "__pycache__", "app.cpython-311.pyc"), "x");
    mkdirSync(join(dir, "node_modules"));
    writeFileSync(join(dir, "node_modules", "left-pad.js"), "x");
    mkdirSync(join(dir, ".git"));
    writeFileSync(join(dir, ".git", "index"), "x");
    assert.deepEqual(writtenBetween(before, snapshotFolder(dir)), ["__pycache__/app.cpython-311.pyc", "server"]);
  });

  it("suggests one .gitignore line per top-level folder or file", () => {
    assert.deepEqual(gitignoreLines(["server", "__pycache__/a.pyc", "__pycache__/b.pyc", "bin/x/y"]), ["/server", "__pycache__/", "bin/"]);
  });

  it("warns naming the files and the lines to add", () => {
    assert.equal(
      buildOutputWarning("services/api", ["server"]),
      "the build wrote 1 file into services/api that git neither tracks nor ignores (server); they are left out of the content hash from now on, so they do not make the next CI rebuild. Add to services/api/.gitignore: /server",
    );
    assert.match(buildOutputWarning("s", ["a", "b", "c", "d", "e", "f", "g"]), /\(a, b, c, d, e and 2 more\)/);
  });
});
