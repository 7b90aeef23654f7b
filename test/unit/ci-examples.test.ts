// The CI pipeline definitions in examples/ci/ are what a team copies: they
// must parse, call only slipway commands and options that exist, and their
// system definition (services in two other repositories, trust:) must load.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseDocument } from "yaml";
import { loadSystem } from "../../src/config/load-system.js";
import { trustedKeys } from "../../src/release/attestations/trust.js";
import { repoRoot } from "../e2e/helpers.js";

const examples = join(repoRoot, "examples", "ci");
const definitions = [join(examples, "github-actions", "slipway.yml"), join(examples, "gitlab-ci", ".gitlab-ci.yml")];
const cli = (...args: string[]): string => execFileSync(process.execPath, [join(repoRoot, "bin", "slipway.js"), ...args], { encoding: "utf8" });
/** Commands whose first argument is a subcommand. */
const GROUPS = new Set(["runs", "audit", "rollout", "render"]);

/** Every string in the document: scripts are lists of strings, or one string with several lines. */
function strings(node: unknown): string[] {
  if (typeof node === "string") return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (typeof node === "object" && node !== null) return Object.values(node).flatMap(strings);
  return [];
}

interface Invocation {
  command: string[];
  options: string[];
  line: string;
}

/** `slipway -c dir ci a b --since x` → command [ci], options [--since]. */
function invocations(text: string): Invocation[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("slipway "))
    .map((line) => {
      const words = line.split(/\s+/).slice(1);
      const command: string[] = [];
      const options: string[] = [];
      for (let i = 0; i < words.length; i++) {
        const word = words[i] ?? "";
        if (word === "-c" || word === "--config") i++;
        else if (word.startsWith("-")) options.push(word.split("=")[0] ?? word);
        else if (command.length === 0 || (command.length === 1 && GROUPS.has(command[0] ?? ""))) command.push(word);
      }
      return { command, options, line };
    });
}

function commandsIn(help: string): string[] {
  const section = help.split(/^Commands:$/m)[1] ?? "";
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1] ?? "").filter((c) => c !== "help");
}

describe("examples/ci", () => {
  const topLevel = commandsIn(cli("--help"));

  for (const file of definitions) {
    describe(file.slice(repoRoot.length + 1), () => {
      const document = parseDocument(readFileSync(file, "utf8"));
      it("is valid YAML", () => assert.deepEqual(document.errors.map((e) => e.message), []));

      const calls = strings(document.toJS()).flatMap(invocations);
      it("runs slipway ci, then release on another runner", () => {
        assert.ok(calls.some((c) => c.command[0] === "ci"), "no slipway ci");
        assert.ok(calls.some((c) => c.command[0] === "release"), "no slipway release");
      });

      it("calls only slipway commands and options that exist", () => {
        for (const call of calls) {
          const [command, sub] = call.command;
          assert.ok(command !== undefined && topLevel.includes(command), `${call.line}: slipway has no command "${command}" (it has ${topLevel.join(", ")})`);
          if (sub !== undefined) assert.ok(commandsIn(cli(command, "--help")).includes(sub), `${call.line}: slipway ${command} has no subcommand "${sub}"`);
          const help = cli(...call.command, "--help");
          for (const option of call.options) assert.match(help, new RegExp(`(^|[\\s,])${option}\\b`, "m"), `${call.line}: slipway ${call.command.join(" ")} has no option ${option}`);
        }
      });

      it("takes the signing key from the CI's secret store, never from a file", () => {
        const text = readFileSync(file, "utf8");
        assert.match(text, /SLIPWAY_SIGNING_KEY/);
        assert.doesNotMatch(text, /cosign\.key|\.pem\b/);
      });
    });
  }

  it("the system definition loads with its services in two other repositories and its trusted keys", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-ci-example-"));
    try {
      mkdirSync(join(dir, "system", "keys"), { recursive: true });
      copyFileSync(join(examples, "system", "slipway.yaml"), join(dir, "system", "slipway.yaml"));
      for (const name of ["github-actions", "gitlab-ci", "release-managers"]) {
        writeFileSync(join(dir, "system", "keys", `${name}.pub`), generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "pem" }).toString());
      }
      const services: [string, string, string][] = [["payments", "ledger", "payments"], ["payments", "payments-api", "payments"], ["storefront", "web", "storefront"]];
      for (const [repo, service, team] of services) {
        mkdirSync(join(dir, repo, "services", service), { recursive: true });
        writeFileSync(join(dir, repo, "services", service, "slipway.service.yaml"), `name: ${service}\nowners: [${team}]\nbuild: { image: node:20 }\nport: 8080\nreadiness: { http: { path: /health } }\n`);
        writeFileSync(join(dir, repo, "services", service, "Dockerfile"), "FROM node:20\n");
      }
      const system = await loadSystem(join(dir, "system"));
      assert.deepEqual(system.services.map((s) => s.config.name).sort(), ["ledger", "payments-api", "web"]);
      const trust = trustedKeys(system) ?? [];
      assert.deepEqual(trust.map((t) => t.identity), ["github-actions", "gitlab-ci", "release-managers"]);
      assert.deepEqual(trust.find((t) => t.identity === "release-managers")?.may, ["approval"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
