// Expands the `services:` patterns of slipway.yaml into folders. Supports
// `*` and `?` within a segment and `**` for any depth; skips dot-folders and
// node_modules when walking, as a person would expect.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export function expandFolders(root: string, pattern: string): string[] {
  const segments = pattern.split("/").filter((s) => s !== "" && s !== ".");
  const results = new Set<string>();
  walk(root, "", segments, results);
  return [...results].sort();
}

function walk(root: string, relative: string, segments: readonly string[], out: Set<string>): void {
  const absolute = join(root, relative);
  if (segments.length === 0) {
    if (isDirectory(absolute)) out.add(relative === "" ? "." : relative);
    return;
  }
  const [head = "", ...rest] = segments;
  if (head === "**") {
    walk(root, relative, rest, out);
    for (const child of listFolders(absolute)) walk(root, join(relative, child), segments, out);
    return;
  }
  if (!/[*?]/.test(head)) {
    walk(root, join(relative, head), rest, out);
    return;
  }
  const matcher = segmentRegExp(head);
  for (const child of listFolders(absolute)) if (matcher.test(child)) walk(root, join(relative, child), rest, out);
}

function listFolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules")
      .map((e) => e.name);
  } catch {
    return [];
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function segmentRegExp(segment: string): RegExp {
  const body = segment.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
  return new RegExp(`^${body}$`);
}
