import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DockerIgnore } from "./dockerignore.js";

describe("DockerIgnore", () => {
  const rows: [string, string, boolean][] = [
    ["node_modules", "node_modules/x/index.js", true],
    ["node_modules", "src/node_modules/x.js", false],
    ["**/node_modules", "src/node_modules/x.js", true],
    ["*.md", "README.md", true],
    ["*.md", "docs/README.md", false],
    ["**/*.md", "docs/deep/README.md", true],
    ["/dist", "dist/app.js", true],
    ["./dist/", "dist/app.js", true],
    ["src/*.test.ts", "src/app.test.ts", true],
    ["src/*.test.ts", "src/deep/app.test.ts", false],
    ["src/**/*.test.ts", "src/deep/app.test.ts", true],
    ["src/**/*.test.ts", "src/app.test.ts", true],
    ["?.txt", "a.txt", true],
    ["?.txt", "ab.txt", false],
    ["[ab].txt", "b.txt", true],
    ["[!ab].txt", "c.txt", true],
    ["# comment", "# comment", false],
  ];
  for (const [pattern, path, excluded] of rows) {
    it(`"${pattern}" ${excluded ? "excludes" : "keeps"} ${path}`, () => assert.equal(new DockerIgnore(pattern).excludes(path), excluded));
  }

  it("lets the last matching pattern win, with ! re-including", () => {
    const ignore = new DockerIgnore("*.md\n!README.md\n");
    assert.equal(ignore.excludes("CHANGES.md"), true);
    assert.equal(ignore.excludes("README.md"), false);
    const again = new DockerIgnore("*.md\n!README.md\nREADME*\n");
    assert.equal(again.excludes("README.md"), true);
  });

  it("is empty without rules", () => {
    assert.equal(new DockerIgnore("\n# only a comment\n").isEmpty, true);
  });
});
