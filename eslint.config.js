// Lint, including the layering rules of ARCHITECTURE.md: arrows point down
// only, so domain/ does no I/O and imports nothing of ours, nothing below
// the faces (cli/, server/, web/) imports them, and the faces reach adapters
// only through the application layer (app/), the one place that composes them.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

const faces = ["**/cli/**", "**/server/**", "**/web/**"];
// Concrete adapters: constructed in src/app/ (and bench/, tests), never by a face.
const adapters = ["**/docker/**", "**/registry/**", "**/router/haproxy/**", "**/runtime/docker/**", "**/runtime/kubernetes/**", "**/router/gateway-api/**", "**/router/replica-ratio/**", "**/store/sqlite/**", "**/platform/**"];

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "examples/**", "test/fixtures/**", ".slipway/**", ".demo/**"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", fetch: "readonly", AbortSignal: "readonly", setTimeout: "readonly", clearTimeout: "readonly" } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**", "src/server/**", "src/web/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: faces, message: "Only faces import faces: arrows point down (ARCHITECTURE.md)." }] }],
    },
  },
  {
    files: ["src/cli/**/*.ts", "src/server/**/*.ts"],
    // Tests are composition roots of their own: they may set up a real store.
    ignores: ["src/**/*.test.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: adapters, message: "Faces reach adapters only through src/app/, which composes them (ARCHITECTURE.md)." }] }],
    },
  },
  {
    // The web face (the dashboard, run in a browser) talks only to the HTTP API: it imports nothing of ours outside src/web/.
    files: ["src/web/**/*.ts", "src/web/**/*.tsx"],
    ignores: ["src/web/vite.config.ts", "src/web/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              group: ["node:*", "**/src/*", "**/app/*", "**/cli/*", "**/server/*", "**/domain/*", "**/delivery/*", "**/config/*", "**/store/*", "**/router/*", "**/runtime/*", "**/release/*", "**/pipeline/*", "**/registry/*", "**/docker/*"],
              message: "The dashboard talks only to the HTTP API (src/web/ui/api/): it imports nothing of ours outside src/web/ (ARCHITECTURE.md).",
            },
          ],
        },
      ],
    },
  },
  {
    // The application layer composes adapters and engines for the faces; it never imports a face.
    files: ["src/app/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ group: faces, message: "src/app/ serves the faces and never imports them: arrows point down (ARCHITECTURE.md)." }] }],
    },
  },
  {
    files: ["src/domain/**/*.ts"],
    ignores: ["src/domain/**/*.test.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*", "fs", "path", "child_process", "net", "http", "https", "os", "dockerode", "better-sqlite3", "yaml"], message: "domain/ is pure: no I/O and no adapters. Move this to an adapter behind a port." },
            { group: ["../*"], message: "domain/ imports nothing of ours outside domain/." },
          ],
        },
      ],
      "no-restricted-globals": ["error", { name: "fetch", message: "domain/ does no I/O." }, { name: "process", message: "domain/ does no I/O; take values as parameters." }],
    },
  },
  {
    // The rollout planners are pure too (ARCHITECTURE.md): they may use domain/ and types, but do no I/O.
    files: ["src/delivery/types.ts", "src/delivery/strategies/**/*.ts"],
    ignores: ["src/delivery/strategies/**/*.test.ts", "src/delivery/strategies/testing/**"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            { group: ["node:*", "fs", "path", "child_process", "net", "http", "https", "os", "dockerode", "better-sqlite3", "yaml"], message: "planners are pure: no I/O. The controller does the I/O." },
            { group: faces, message: "Only faces import faces: arrows point down (ARCHITECTURE.md)." },
          ],
        },
      ],
      "no-restricted-globals": ["error", { name: "fetch", message: "planners do no I/O." }, { name: "process", message: "planners do no I/O." }, { name: "setTimeout", message: "planners take time as input." }],
      "no-restricted-properties": ["error", { object: "Date", property: "now", message: "planners take time as input (observed.nowMs)." }, { object: "Math", property: "random", message: "planners are deterministic." }],
    },
  },
);
