import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { loadSystem } from "../config/load-system.js";
import { canonicalJson } from "../domain/canonical-json.js";
import { computeContentHash, ContentHasher, explainChange, type HashInputs } from "./content-hash.js";

const base: HashInputs = {
  service: "api",
  config: { port: 8080, build: { image: "x" } },
  buildImageId: "sha256:aaa",
  files: [
    { path: "b.ts", sha256: "2" },
    { path: "a.ts", sha256: "1" },
  ],
  inputs: [],
  dependencies: { lib: "h1" },
};

describe("computeContentHash", () => {
  it("is stable under reordering of files and config keys", () => {
    const a = computeContentHash(base);
    const b = computeContentHash({ ...base, files: [...base.files].reverse(), config: { build: { image: "x" }, port: 8080 } });
    assert.equal(a.hash, b.hash);
    assert.equal(a.short, a.hash.slice(0, 12));
    assert.match(a.hash, /^[0-9a-f]{64}$/);
  });

  const changes: [string, Partial<HashInputs>, string][] = [
    ["a file's content", { files: [{ path: "a.ts", sha256: "9" }, { path: "b.ts", sha256: "2" }] }, "file changed: a.ts"],
    ["a new file", { files: [...base.files, { path: "c.ts", sha256: "3" }] }, "file added: c.ts"],
    ["a removed file", { files: [{ path: "a.ts", sha256: "1" }] }, "file removed: b.ts"],
    ["the configuration", { config: { port: 8081, build: { image: "x" } } }, "slipway.service.yaml changed"],
    ["the build image", { buildImageId: "sha256:bbb" }, "build image changed"],
    ["a build dependency", { dependencies: { lib: "h2" } }, "build dependency lib changed"],
    ["a shared input", { inputs: [{ path: "libs/geo/geo.ts", sha256: "5" }] }, "input added: libs/geo/geo.ts"],
  ];
  for (const [what, change, reason] of changes) {
    it(`changes with ${what}, and says why`, () => {
      const before = computeContentHash(base);
      const after = computeContentHash({ ...base, ...change });
      assert.notEqual(after.hash, before.hash);
      assert.deepEqual(explainChange(before, after), [reason]);
    });
  }

  it("explains nothing when nothing changed, and 'never built' without a previous hash", () => {
    assert.deepEqual(explainChange(computeContentHash(base), computeContentHash(base)), []);
    assert.deepEqual(explainChange(undefined, computeContentHash(base)), ["never built"]);
  });

  it("writes canonical JSON with sorted keys and no undefined members", () => {
    assert.equal(canonicalJson({ b: 1, a: [true, null, { d: undefined, c: "x" }] }), '{"a":[true,null,{"c":"x"}],"b":1}');
  });
});

describe("ContentHasher on a real git repository", () => {
  const root = mkdtempSync(join(tmpdir(), "slipway-hash-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const git = (...args: string[]): void => void execFileSync("git", ["-C", root, ...args], { stdio: "ignore" });
  const svc = (name: string, extra = ""): string => `name: ${name}\nowners: [t]\nbuild: { image: img ${extra}}\nport: 8080\nreadiness: { tcp: {} }\n`;

  write("slipway.yaml", "system: s\nregistries: { dev: { url: 127.0.0.1:1 }, prod: { url: 127.0.0.1:2 } }\nenvironments: [{ name: t, registry: dev }]\n");
  write(".gitignore", "dist/\n");
  write("services/lib/slipway.service.yaml", svc("lib"));
  write("services/lib/lib.ts", "export const x = 1;\n");
  write("services/lib/Dockerfile", "FROM scratch\n");
  write("services/api/Dockerfile", "FROM scratch\n");
  write("services/api/slipway.service.yaml", svc("api", ", dependsOn: [lib], inputs: [shared] "));
  write("services/api/app.ts", "console.log(1);\n");
  write("services/api/.dockerignore", "*.md\n");
  write("services/api/NOTES.md", "notes\n");
  write("services/api/dist/app.js", "built\n");
  write("shared/util.ts", "export {};\n");
  git("init", "-q");

  const hashes = async (outputs: Record<string, string[]> = {}): Promise<Map<string, string>> => {
    const system = await loadSystem(root);
    const all = await new ContentHasher(system, async (image) => `id-of-${image}`, (service) => new Set(outputs[service] ?? [])).hashAll();
    return new Map([...all].map(([k, v]) => [k, v.hash]));
  };

  it("covers tracked and new files but not ignored ones, .dockerignored ones or the service file's comments", async () => {
    const before = await hashes();
    write("services/api/dist/app.js", "rebuilt\n");
    write("services/api/NOTES.md", "more notes\n");
    write("services/api/slipway.service.yaml", svc("api", ", dependsOn: [lib], inputs: [shared] ") + "# a comment\nreplicas: 3\n");
    assert.deepEqual(await hashes(), before);

    write("services/api/app.ts", "console.log(2);\n");
    const changed = await hashes();
    assert.notEqual(changed.get("api"), before.get("api"));
    assert.equal(changed.get("lib"), before.get("lib"));
  });

  it("changes a dependent's hash when a build dependency or shared input changes", async () => {
    const before = await hashes();
    write("services/lib/lib.ts", "export const x = 2;\n");
    const afterLib = await hashes();
    assert.notEqual(afterLib.get("lib"), before.get("lib"));
    assert.notEqual(afterLib.get("api"), before.get("api"));

    write("shared/util.ts", "export const y = 1;\n");
    const afterShared = await hashes();
    assert.notEqual(afterShared.get("api"), afterLib.get("api"));
    assert.equal(afterShared.get("lib"), afterLib.get("lib"));
  });

  it("leaves out untracked files the service's build wrote, but not once git tracks them", async () => {
    git("add", "-A");
    const before = await hashes();
    write("services/api/server", "a binary the build wrote\n");
    write("services/api/__pycache__/app.pyc", "bytecode\n");
    const outputs = { api: ["server", "__pycache__/app.pyc"] };
    assert.notEqual((await hashes()).get("api"), before.get("api"), "unrecorded, they count as new sources");
    assert.deepEqual(await hashes(outputs), before);
    write("services/api/server", "rebuilt, different bytes\n");
    assert.deepEqual(await hashes(outputs), before);

    git("add", "services/api/server");
    assert.notEqual((await hashes(outputs)).get("api"), before.get("api"), "a tracked file is a source, whoever wrote it");
  });
});
