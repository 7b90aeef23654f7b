// The dashboard (src/web/, built by Vite into dist/web) at /: its files as
// they are, and index.html for every other path that is not the API (the
// SPA fallback), so a page's URL can be reloaded. Hashed assets are cached
// for good; index.html is revalidated, so a new build shows at once. The
// overview's page names the API reads it starts with as preloads.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative, sep } from "node:path";
import type { Context, Hono } from "hono";
import { installPath } from "../install-paths.js";

/** dist/src/server/dashboard.js → dist/web */
export const DASHBOARD_DIR = `${installPath("dist", "web")}/`;

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".json": "application/json",
  ".woff2": "font/woff2",
};

// Everything the page loads comes from this server: no CDN, no inline script.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// The overview at / reads these first (app.tsx, use-overview.ts): the browser fetches them while it
// still loads and parses the script, and the page's own fetch of the same URL takes the answer.
// Only for / and a valid session: another page does not read the status, and a logged-out page
// would keep the 401s and hand them to the overview after the login.
const OVERVIEW_PRELOADS = ["/api/session", "/api/system", "/api/status"].map((path) => `<${path}>; rel=preload; as=fetch; crossorigin`).join(", ");

interface Asset {
  body: Buffer;
  type: string;
}

/** Every file of the build by its URL path, read once: the build is small, and a fixed map cannot be walked out of. */
function readBuild(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const file = join(at, name);
      if (statSync(file).isDirectory()) walk(file);
      else assets.set("/" + relative(dir, file).split(sep).join("/"), { body: readFileSync(file), type: TYPES[extname(name)] ?? "application/octet-stream" });
    }
  };
  try {
    walk(dir);
  } catch {
    // Not built: answered below with how to build it.
  }
  return assets;
}

export interface DashboardOptions {
  dir?: string;
  /** Whether the request comes with a valid session (its API reads would answer). */
  loggedIn?: (c: Context) => boolean;
}

export function mountDashboard(app: Hono, { dir = DASHBOARD_DIR, loggedIn = () => false }: DashboardOptions = {}): void {
  let assets: Map<string, Asset> | undefined;
  app.on(["GET", "HEAD"], "*", (c, next) => {
    if (c.req.path === "/api" || c.req.path.startsWith("/api/")) return next();
    assets ??= readBuild(dir);
    const index = assets.get("/index.html");
    if (index === undefined) return c.text("The dashboard is not built: run `npm run build` (it builds src/web/ into dist/web), then restart slipway serve.\n", 404);
    const asset = assets.get(c.req.path);
    // A missing hashed asset is a 404, not the page: a stale tab must not parse HTML as a script.
    if (asset === undefined && c.req.path.startsWith("/assets/")) return c.text("not found\n", 404);
    const answer = asset ?? index;
    c.header("Content-Type", answer.type);
    c.header("Cache-Control", c.req.path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache");
    if (answer === index) c.header("Content-Security-Policy", CSP);
    if (c.req.path === "/" && loggedIn(c)) c.header("Link", OVERVIEW_PRELOADS);
    return c.body(new Uint8Array(answer.body));
  });
}
